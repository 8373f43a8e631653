//! Criterion benchmarks of the engine. Run: `cargo bench -p waf-bench`.
//! Targets (issue 2): clean GET <= 5 us, attack GET <= 10 us, 64 KiB JSON <= 150 us,
//! compile 10k rules <= 300 ms, cost at 10k custom rules <= 2x cost at 10.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use waf_bench::*;
use waf_core::{Action, Policy, Request, Scratch};

fn typical(uri: &str) -> Request<'_> {
    Request {
        host: "shop.example.com",
        headers: TYPICAL_HEADERS,
        client_ip: "198.51.100.7".parse().ok(),
        ..Request::get(uri)
    }
}

fn inspect(c: &mut Criterion) {
    let policy = match Policy::default_policy() {
        Ok(p) => p,
        Err(e) => panic!("default policy: {e}"),
    };
    let mut scratch = Scratch::new();
    assert_eq!(
        policy.inspect(&typical(TYPICAL_URI), &mut scratch).action,
        Action::Allow
    );
    assert_eq!(
        policy.inspect(&typical(ATTACK_URI), &mut scratch).action,
        Action::Block
    );
    let mut g = c.benchmark_group("inspect");
    g.bench_function("clean_get", |b| {
        b.iter(|| policy.inspect(black_box(&typical(TYPICAL_URI)), &mut scratch))
    });
    g.bench_function("attack_get", |b| {
        b.iter(|| policy.inspect(black_box(&typical(ATTACK_URI)), &mut scratch))
    });

    let json = json_body(64 * 1024);
    let json_headers: Vec<(&str, &[u8])> = TYPICAL_HEADERS
        .iter()
        .copied()
        .chain([("Content-Type", &b"application/json"[..])])
        .collect();
    let req = Request {
        method: "POST",
        headers: &json_headers,
        body: json.as_bytes(),
        ..typical("/api/items")
    };
    assert_eq!(
        policy.inspect(&req, &mut scratch).action,
        Action::Allow,
        "{:?}",
        policy.inspect(&req, &mut scratch).matched
    );
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("json_post_64k", |b| {
        b.iter(|| policy.inspect(black_box(&req), &mut scratch))
    });

    let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    let mp = multipart_body(1024 * 1024, boundary);
    let ct = format!("multipart/form-data; boundary={boundary}");
    let mp_headers: Vec<(&str, &[u8])> = TYPICAL_HEADERS
        .iter()
        .copied()
        .chain([("Content-Type", ct.as_bytes())])
        .collect();
    let req = Request {
        method: "POST",
        headers: &mp_headers,
        body: &mp,
        ..typical("/upload")
    };
    g.throughput(Throughput::Bytes(mp.len() as u64));
    g.bench_function("multipart_upload_1m", |b| {
        b.iter(|| policy.inspect(black_box(&req), &mut scratch))
    });
    g.finish();
}

fn custom_rules(c: &mut Criterion) {
    let mut g = c.benchmark_group("custom_rules");
    g.sample_size(10);
    let sources = sources_with_custom_rules(10_000);
    g.bench_function("compile_10k", |b| {
        b.iter(|| Policy::from_sources(black_box(&sources)).map(|p| p.counts().custom))
    });
    g.finish();
    let mut g = c.benchmark_group("custom_rules_cost");
    for n in [10usize, 10_000] {
        let policy = match policy_with_custom_rules(n) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let mut scratch = Scratch::new();
        assert_eq!(
            policy.inspect(&typical(TYPICAL_URI), &mut scratch).action,
            Action::Allow
        );
        g.bench_function(format!("clean_get_{n}_rules"), |b| {
            b.iter(|| policy.inspect(black_box(&typical(TYPICAL_URI)), &mut scratch))
        });
    }
    g.finish();
}

criterion_group!(benches, inspect, custom_rules);
criterion_main!(benches);
