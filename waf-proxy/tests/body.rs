//! Request bodies of known length up to 64 KiB are read and inspected before the origin is
//! connected: a refused request never reaches the origin, not even its head.

mod common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{client, recording_origin, Heads, Proxy, TempDir};

const FORM: &str = "application/x-www-form-urlencoded";

/// Reads from `s` until the end of a response head; the head.
async fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut byte))
            .await
            .expect("response head in time")
            .expect("read");
        assert_eq!(
            n,
            1,
            "connection closed after {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The heads the origin received whose request line has `path`.
fn heads_for(heads: &Heads, path: &str) -> Vec<String> {
    let line = format!(" {path} HTTP/");
    heads
        .lock()
        .map(|h| h.iter().filter(|h| h.contains(&line)).cloned().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_body_never_reaches_the_origin_and_a_clean_one_arrives_whole() {
    let (o, heads) = recording_origin("origin").await;
    let dir = TempDir::new("preread");
    let up = format!("http://{o}");
    let p = Proxy::start(&dir, &["--upstream", &up], false);
    let c = client();

    // Attacks in small bodies (form, JSON): refused, and the origin saw nothing of them.
    let r = c
        .post(p.url("/blocked-form"))
        .header("Content-Type", FORM)
        .body("name=x&q=1' union select password from users--")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    let r = c
        .post(p.url("/blocked-json"))
        .header("Content-Type", "application/json")
        .body(r#"{"user":{"name":"<script>alert(document.cookie)</script>"}}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);

    // Clean bodies arrive whole, up to the largest that is read first (64 KiB) and past it.
    for (path, size) in [
        ("/ok-small", 30usize),
        ("/ok-64k", 64 * 1024),
        ("/ok-64k1", 64 * 1024 + 1),
    ] {
        let body = format!("comment={}", "a".repeat(size - "comment=".len()));
        let r = c
            .post(p.url(path))
            .header("Content-Type", FORM)
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["x-body-len"],
            size.to_string().as_str(),
            "{path}"
        );
    }

    // A client that sends its head, then its body a moment later: the origin sees nothing until
    // the body is there and has been inspected.
    let addr = format!("127.0.0.1:{}", p.port);
    let body = "q=1' union select password from users--";
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /blocked-slow HTTP/1.1\r\nHost: localhost\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write head");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        heads_for(&heads, "/blocked-slow").is_empty(),
        "head forwarded before its body"
    );
    s.write_all(body.as_bytes()).await.expect("write body");
    let resp = read_head(&mut s).await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");

    // `Expect: 100-continue`: the WAF answers 100 itself, reads and inspects the body, and the
    // origin gets the request without `Expect`, body included.
    for (path, body, status) in [
        ("/ok-continue", "name=alice&comment=hello+world", "200"),
        (
            "/blocked-continue",
            "q=1' union select password from users--",
            "403",
        ),
    ] {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.expect("write head");
        let interim = read_head(&mut s).await;
        assert!(interim.starts_with("HTTP/1.1 100"), "{path}: {interim}");
        s.write_all(body.as_bytes()).await.expect("write body");
        let resp = read_head(&mut s).await;
        assert!(
            resp.starts_with(&format!("HTTP/1.1 {status}")),
            "{path}: {resp}"
        );
        if status == "200" {
            assert!(
                resp.contains(&format!("x-body-len: {}", body.len())),
                "{resp}"
            );
        }
    }

    // HTTP/2 (cleartext, prior knowledge): the same, over streams of one connection.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("h2 client");
    for (path, body, status) in [
        ("/ok-h2", "name=alice&comment=hello+world", 200),
        (
            "/blocked-h2",
            "q=1' union select password from users--",
            403,
        ),
    ] {
        let r = h2
            .post(p.url(path))
            .header("Content-Type", FORM)
            .body(body)
            .send()
            .await
            .expect("h2 post");
        assert_eq!(r.version(), reqwest::Version::HTTP_2);
        assert_eq!(r.status(), status, "{path}");
        if status == 200 {
            assert_eq!(r.headers()["x-body-len"], body.len().to_string().as_str());
        }
    }

    let ok = heads_for(&heads, "/ok-continue");
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert!(!ok[0].to_ascii_lowercase().contains("expect:"), "{ok:?}");
    for path in [
        "/blocked-form",
        "/blocked-json",
        "/blocked-slow",
        "/blocked-continue",
    ] {
        let seen = heads_for(&heads, path);
        assert!(seen.is_empty(), "{path} reached the origin: {seen:?}");
    }
    for path in ["/ok-small", "/ok-64k", "/ok-64k1", "/ok-h2"] {
        assert_eq!(heads_for(&heads, path).len(), 1, "{path}");
    }
}
