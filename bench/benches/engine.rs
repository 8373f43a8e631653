//! Criterion benchmarks of the engine. Run: `cargo bench -p waf-bench`.
//! Targets: clean GET <= 5 us, attack GET <= 10 us, 64 KiB JSON <= 150 us,
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

/// A POST of `body` to `uri` with `headers`, from the typical client.
fn post<'a>(uri: &'a str, headers: &'a [(&'a str, &'a [u8])], body: &'a [u8]) -> Request<'a> {
    Request {
        method: "POST",
        headers,
        body,
        ..typical(uri)
    }
}

/// The typical headers and a Content-Type.
fn with_content_type(ct: &[u8]) -> Vec<(&'static str, &[u8])> {
    TYPICAL_HEADERS
        .iter()
        .copied()
        .chain([("Content-Type", ct)])
        .collect()
}

fn inspect(c: &mut Criterion) {
    let policy = match Policy::default_policy() {
        Ok(p) => p,
        Err(e) => panic!("default policy: {e}"),
    };
    let json = json_body(64 * 1024);
    let json_headers = with_content_type(b"application/json");
    let json_req = post("/api/items", &json_headers, json.as_bytes());
    let form = form_body(4096);
    let form_headers = with_content_type(b"application/x-www-form-urlencoded");
    let form_req = post(
        "/account/profile?tab=settings",
        &form_headers,
        form.as_bytes(),
    );
    let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    let mp = multipart_body(1024 * 1024, boundary);
    let ct = format!("multipart/form-data; boundary={boundary}");
    let mp_headers = with_content_type(ct.as_bytes());
    let mp_req = post("/upload", &mp_headers, &mp);
    let clean = typical(TYPICAL_URI);
    let attack = typical(ATTACK_URI);
    let cases: [(&str, &Request, Action); 5] = [
        ("clean_get", &clean, Action::Allow),
        ("attack_get", &attack, Action::Block),
        ("json_post_64k", &json_req, Action::Allow),
        ("form_post_4k", &form_req, Action::Allow),
        ("multipart_upload_1m", &mp_req, Action::Allow),
    ];
    // `inspect`: one scratch across iterations, as one proxy worker keeps it: the same request
    // again finds its values in the worker's cache of clean values (a returning client).
    // `uncached`: that cache off, every value decoded and scanned on every request: the cost of
    // a request whose values the worker has never seen.
    for (group, entries) in [("inspect", 4096), ("uncached", 0)] {
        let mut scratch = Scratch::with_value_cache(entries);
        let mut g = c.benchmark_group(group);
        for (name, req, expect) in &cases {
            let v = policy.inspect(req, &mut scratch);
            assert_eq!(v.action, *expect, "{name}: {:?}", v.matched);
            if req.body.len() > 1024 {
                g.throughput(Throughput::Bytes(req.body.len() as u64));
            }
            g.bench_function(*name, |b| {
                b.iter(|| policy.inspect(black_box(req), &mut scratch))
            });
        }
        g.finish();
    }
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
        // Without the value cache: what custom rules cost, not what the cache saves.
        let mut scratch = Scratch::with_value_cache(0);
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
