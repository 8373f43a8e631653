//! Request lines with bytes the URI parser refuses (`<`, `>`, `"` in the query, `` ` `` in the
//! path, sent raw as attack tools send them) are inspected like any request: blocked with the
//! block page, a request id and an attack-log event when they are attacks, passed
//! percent-encoded when they are not; never Pingora's bare 400. A line Pingora
//! already accepts reaches the origin byte for byte.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use waf_core::event::AttackEvent;

/// Reads one response (head and `Content-Length` body) from a keep-alive connection.
async fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + len {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("answer in time")
            .expect("read");
        assert!(
            n > 0,
            "closed mid-answer: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

async fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// The events logged so far, once there are at least `n` (or 5 s).
async fn events(p: &Proxy, n: usize) -> Vec<AttackEvent> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&p.events).unwrap_or_default();
        let evs: Vec<AttackEvent> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("event line"))
            .collect();
        if evs.len() >= n || Instant::now() > deadline {
            return evs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The request id of a block answer: on the page and in `X-Request-Id`, the same.
fn request_id(res: &str) -> String {
    let on_page = res
        .split_once("Request id: <code>")
        .and_then(|(_, r)| r.split_once("</code>"))
        .map(|(id, _)| id.to_string())
        .unwrap_or_else(|| panic!("no request id on the page: {res}"));
    let header = res
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-request-id")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no X-Request-Id: {res}"));
    assert_eq!(on_page, header);
    on_page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_request_line_probes_are_blocked_and_recorded() {
    let (o, heads) = recording_origin("origin-ok").await;
    let dir = TempDir::new("reqline-probe");
    let up = format!("http://{o}");
    let p = Proxy::start(&dir, &["--upstream", &up], false);
    let head = "\r\nHost: app.example\r\nUser-Agent: probe\r\n\r\n";
    let mut ids = Vec::new();

    // The probe as attack tools send it, in one write.
    let mut s = connect(p.port).await;
    let probe = format!("GET /?q=<script>alert(1)</script> HTTP/1.1{head}");
    s.write_all(probe.as_bytes()).await.expect("write");
    let res = read_response(&mut s).await;
    assert!(res.starts_with("HTTP/1.1 403"), "{res}");
    assert!(!res.contains("<script>alert(1)"), "payload echoed: {res}");
    ids.push(request_id(&res));

    // In absolute form.
    let mut s = connect(p.port).await;
    let probe = format!("GET http://app.example/?q=<script>alert(1)</script> HTTP/1.1{head}");
    s.write_all(probe.as_bytes()).await.expect("write");
    let res = read_response(&mut s).await;
    assert!(res.starts_with("HTTP/1.1 403"), "{res}");
    ids.push(request_id(&res));

    // A byte at a time: the line arrives over many reads.
    let mut s = connect(p.port).await;
    let probe = format!("GET /x?q=\"><script>alert(1)</script> HTTP/1.1{head}");
    for b in probe.as_bytes() {
        s.write_all(&[*b]).await.expect("write");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let res = read_response(&mut s).await;
    assert!(res.starts_with("HTTP/1.1 403"), "{res}");
    ids.push(request_id(&res));

    // The second request of a keep-alive connection, after one that sent a body.
    let mut s = connect(p.port).await;
    s.write_all(b"POST /form HTTP/1.1\r\nHost: app.example\r\nContent-Length: 9\r\n\r\nname=ann\n")
        .await
        .expect("write");
    let first = read_response(&mut s).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    let probe = format!("GET /?q=<svg/onload=alert(1)> HTTP/1.1{head}");
    s.write_all(probe.as_bytes()).await.expect("write");
    let res = read_response(&mut s).await;
    assert!(res.starts_with("HTTP/1.1 403"), "{res}");
    ids.push(request_id(&res));

    // Each one recorded in the attack log under the id its page shows.
    let evs = events(&p, ids.len()).await;
    let logged: Vec<&str> = evs.iter().map(|e| e.request_id.as_str()).collect();
    assert_eq!(logged, ids, "{evs:?}");
    for e in &evs {
        assert_eq!(
            (e.action.as_str(), e.attack_type.as_str(), e.host.as_str()),
            ("block", "xss", "app.example"),
            "{e:?}"
        );
    }
    // Nothing of the probes reached the origin.
    let seen = heads.lock().expect("heads").clone();
    assert!(!seen.iter().any(|h| h.contains("alert")), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harmless_raw_bytes_reach_the_origin_encoded() {
    let (o, heads) = recording_origin("origin-ok").await;
    let dir = TempDir::new("reqline-pass");
    let up = format!("http://{o}");
    let p = Proxy::start(&dir, &["--upstream", &up], false);

    // On one keep-alive connection: the refused bytes percent-encoded, and a line the URI parser
    // already accepts (`"` in the path, `` ` `` in the query, braces, pipes) left as sent.
    let lines = [
        (
            "GET /search?q=\"exact\" HTTP/1.1",
            "GET /search?q=%22exact%22 HTTP/1.1",
        ),
        ("GET /a`b?x=<b> HTTP/1.1", "GET /a%60b?x=%3Cb%3E HTTP/1.1"),
        (
            "GET /p\"{q}|^?x=`{y}|^ HTTP/1.1",
            "GET /p\"{q}|^?x=`{y}|^ HTTP/1.1",
        ),
    ];
    let mut s = connect(p.port).await;
    for (sent, _) in &lines {
        s.write_all(format!("{sent}\r\nHost: app.example\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let res = read_response(&mut s).await;
        assert!(res.starts_with("HTTP/1.1 200"), "{sent}: {res}");
        assert!(res.ends_with("origin-ok"), "{sent}: {res}");
    }
    let seen = heads.lock().expect("heads").clone();
    let got: Vec<&str> = seen
        .iter()
        .filter(|h| !h.contains("waf-proxy-health"))
        .filter_map(|h| h.lines().next())
        .collect();
    let want: Vec<&str> = lines.iter().map(|(_, at_origin)| *at_origin).collect();
    assert_eq!(got, want);
    // None of them logged: the only event is that of a marker blocked after them.
    let marker =
        "GET /end?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: app.example\r\n\r\n";
    s.write_all(marker.as_bytes()).await.expect("write");
    let res = read_response(&mut s).await;
    assert!(res.starts_with("HTTP/1.1 403"), "{res}");
    let evs = events(&p, 1).await;
    let urls: Vec<&str> = evs.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(urls.len(), 1, "{evs:?}");
    assert!(urls[0].contains("/end?q="), "{evs:?}");
}
