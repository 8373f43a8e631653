//! The record store: filters, paging, retention by count and by age, clear.

use rusqlite::Connection;
use waf_core::event::{BodyPrefix, HeaderLine, ObservationRecord};

use super::*;

fn db() -> Connection {
    let c = Connection::open_in_memory().expect("db");
    migrate(&c).expect("schema");
    c
}

fn rec(i: u64, ts_s: u64) -> ObservationRecord {
    ObservationRecord {
        ts_ms: ts_s * 1000,
        request_id: format!("r{i}"),
        rule_id: i % 2 + 1,
        rule_name: format!("rule {}", i % 2 + 1),
        site_id: 0,
        host: if i.is_multiple_of(3) {
            "a.example"
        } else {
            "b.example"
        }
        .into(),
        client_ip: "203.0.113.9".into(),
        method: if i.is_multiple_of(2) { "GET" } else { "POST" }.into(),
        uri: format!("/api/{i}?q=1"),
        version: "HTTP/1.1".into(),
        request_headers: vec![HeaderLine {
            name: "host".into(),
            value: "a.example".into(),
        }],
        request_body: BodyPrefix {
            data: "aGk=".into(),
            size: 2,
            truncated: false,
        },
        status: if i.is_multiple_of(4) { 403 } else { 200 },
        response_headers: Vec::new(),
        response_body: BodyPrefix::default(),
        blocked: i.is_multiple_of(4),
        duration_ms: 1,
    }
}

#[test]
fn filters_and_pages_newest_first() {
    let c = db();
    for i in 0..12 {
        insert(&c, &rec(i, 1_000 + i)).expect("insert");
    }
    let (rows, total) = list(&c, &Filter::default(), 1, 5).expect("list");
    assert_eq!((rows.len(), total), (5, 12));
    assert_eq!(rows[0].request_id, "r11");
    let (rows, _) = list(&c, &Filter::default(), 3, 5).expect("page 3");
    assert_eq!(rows.len(), 2);
    let count = |f: Filter| list(&c, &f, 1, 100).expect("list").1;
    assert_eq!(
        count(Filter {
            host: Some("a.example".into()),
            ..Filter::default()
        }),
        4
    );
    assert_eq!(
        count(Filter {
            status: Some(403),
            ..Filter::default()
        }),
        3
    );
    assert_eq!(
        count(Filter {
            method: Some("POST".into()),
            ..Filter::default()
        }),
        6
    );
    assert_eq!(
        count(Filter {
            rule_id: Some(1),
            ..Filter::default()
        }),
        6
    );
    assert_eq!(
        count(Filter {
            path: Some("/api/1".into()),
            ..Filter::default()
        }),
        3,
        "/api/1, /api/10, /api/11"
    );
    assert_eq!(
        count(Filter {
            path: Some("/other".into()),
            ..Filter::default()
        }),
        0
    );
    assert_eq!(
        count(Filter {
            start_time: Some(1_005),
            end_time: Some(1_006),
            ..Filter::default()
        }),
        2
    );
    let one = get(&c, rows[0].id).expect("get").expect("present");
    assert_eq!(one.request_body.data, b"hi");
    assert_eq!(one.request_headers[0].name, "host");
    assert!(get(&c, 999).expect("get").is_none());
}

#[test]
fn retention_keeps_the_newest_by_count_and_drops_the_old_by_age() {
    let c = db();
    let now = 100 * 3600;
    // 30 records an hour old, then 20 from 3 hours ago (inserted later: ids say nothing of age).
    for i in 0..30 {
        insert(&c, &rec(i, (now - 3600) as u64)).expect("insert");
    }
    for i in 30..50 {
        insert(&c, &rec(i, (now - 3 * 3600) as u64)).expect("insert");
    }
    let by_age = Retention {
        max_records: 1000,
        max_age_hours: 2,
    };
    assert_eq!(enforce_retention(&c, by_age, now).expect("age"), 20);
    assert_eq!(totals(&c, 0).expect("totals").total, 30);
    let by_count = Retention {
        max_records: 100,
        max_age_hours: 24,
    };
    assert_eq!(enforce_retention(&c, by_count, now).expect("count"), 0);
    let tight = Retention {
        max_records: 10,
        max_age_hours: 24,
    };
    assert_eq!(enforce_retention(&c, tight, now).expect("count"), 20);
    let (rows, total) = list(&c, &Filter::default(), 1, 100).expect("list");
    assert_eq!(total, 10);
    assert_eq!(
        rows.last().map(|r| r.request_id.as_str()),
        Some("r20"),
        "the newest ten are kept"
    );
    assert_eq!(clear(&c).expect("clear"), 10);
    assert_eq!(totals(&c, 0).expect("totals").total, 0);
}

#[test]
fn totals_count_rules_hosts_and_blocks() {
    let c = db();
    for i in 0..8 {
        insert(&c, &rec(i, 5_000 + i)).expect("insert");
    }
    let t = totals(&c, 5_004).expect("totals");
    assert_eq!((t.total, t.since, t.blocked, t.body_bytes), (8, 4, 2, 16));
    assert_eq!((t.oldest, t.newest), (Some(5_000), Some(5_007)));
    assert_eq!(t.top_rules.len(), 2);
    assert_eq!(t.top_hosts[0].key, "b.example");
}
