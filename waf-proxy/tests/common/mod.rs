//! Test harness: an in-process origin on port 0, the built `waf-proxy` binary on a free loopback
//! port, the control socket, and a tiny MaxMind DB writer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as TokioBufReader};

/// An origin answering `200 <name>` to everything (HTTP/1.1 keep-alive), with the X-Real-IP it
/// saw in an `x-seen-real-ip` header.
pub async fn origin(name: &'static str) -> SocketAddr {
    recording_origin(name).await.0
}

/// The request heads an origin received, each recorded as soon as it was complete (before its
/// body, which may never come).
pub type Heads = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// [`origin`], also recording every request head it receives.
pub async fn recording_origin(name: &'static str) -> (SocketAddr, Heads) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind origin");
    let addr = l.local_addr().expect("addr");
    let heads = Heads::default();
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = TokioBufReader::new(r);
                loop {
                    let mut len = 0usize;
                    let mut real_ip = String::new();
                    let mut first = true;
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        match r.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if line == "\r\n" && !first {
                            break;
                        }
                        first = false;
                        head.push_str(&line);
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        if let Some(v) = lower.strip_prefix("x-real-ip:") {
                            real_ip = v.trim().to_string();
                        }
                    }
                    if let Ok(mut h) = seen.lock() {
                        h.push(head);
                    }
                    let mut body = vec![0u8; len];
                    if r.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nx-seen-real-ip: {real_ip}\r\nx-body-len: {len}\r\n\r\n{name}",
                        name.len()
                    );
                    if w.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, heads)
}

/// One request as a [`raw_origin`] received it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// The request head as sent, CRLFs included.
    pub head: String,
    /// The body, de-chunked when it came chunked.
    pub body: Vec<u8>,
}

/// What a [`raw_origin`] received: every byte of every connection, and the requests parsed out
/// of them.
#[derive(Debug, Default)]
pub struct Wire {
    /// The bytes of each connection, in order of arrival.
    pub bytes: Vec<Vec<u8>>,
    /// The requests, in order (the proxy's health checks left out).
    pub requests: Vec<Received>,
}

/// The record of a [`raw_origin`].
pub type WireLog = std::sync::Arc<std::sync::Mutex<Wire>>;

impl Wire {
    /// Whether `needle` appears anywhere in what the origin received.
    pub fn saw(&self, needle: &[u8]) -> bool {
        self.bytes
            .iter()
            .any(|b| b.windows(needle.len()).any(|w| w == needle))
    }
    /// The requests whose request line names `path`.
    pub fn for_path(&self, path: &str) -> Vec<Received> {
        let line = format!(" {path} HTTP/");
        self.requests
            .iter()
            .filter(|r| r.head.lines().next().is_some_and(|l| l.contains(&line)))
            .cloned()
            .collect()
    }
}

/// An HTTP/1.1 origin that records every byte it receives, per connection, and every request
/// it parses (bodies by `Content-Length` or chunked); answers `200` with `x-body-len`, or `400`
/// (and closes) when what follows a request is not a request.
pub async fn raw_origin() -> (SocketAddr, WireLog) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind origin");
    let addr = l.local_addr().expect("addr");
    let log = WireLog::default();
    let rec = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let rec = rec.clone();
            tokio::spawn(async move {
                let conn = match rec.lock() {
                    Ok(mut w) => {
                        w.bytes.push(Vec::new());
                        w.bytes.len() - 1
                    }
                    Err(_) => return,
                };
                let mut buf: Vec<u8> = Vec::new();
                let mut chunk = vec![0u8; 65536];
                loop {
                    // Parse as many complete requests as the buffer holds.
                    while let Some((req, used)) = parse_request(&buf) {
                        buf.drain(..used);
                        let ok = req.head.starts_with("GET ")
                            || req.head.starts_with("POST ")
                            || req.head.starts_with("PUT ")
                            || req.head.starts_with("HEAD ");
                        let len = req.body.len();
                        // The proxy's own health checks are not requests a client sent.
                        let health = req.head.contains("User-Agent: waf-proxy-health");
                        if let Ok(mut w) = rec.lock() {
                            if !health {
                                w.requests.push(req);
                            }
                        }
                        let resp = if ok {
                            format!("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nx-body-len: {len}\r\n\r\norigin")
                        } else {
                            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
                        };
                        if s.write_all(resp.as_bytes()).await.is_err() || !ok {
                            return;
                        }
                    }
                    let n = match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    if let Ok(mut w) = rec.lock() {
                        w.bytes[conn].extend_from_slice(&chunk[..n]);
                    }
                }
            });
        }
    });
    (addr, log)
}

/// One complete request at the start of `buf`, and the bytes it took.
fn parse_request(buf: &[u8]) -> Option<(Received, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let lower = head.to_ascii_lowercase();
    let mut at = end;
    let mut body = Vec::new();
    if lower.contains("\r\ntransfer-encoding: chunked") {
        loop {
            let line_end = buf[at..].windows(2).position(|w| w == b"\r\n")? + at;
            let size_text = String::from_utf8_lossy(&buf[at..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            at = line_end + 2;
            if size == 0 {
                // Trailers: up to an empty line.
                let t = buf[at..].windows(2).position(|w| w == b"\r\n")? + at;
                at = t + 2;
                break;
            }
            if buf.len() < at + size + 2 {
                return None;
            }
            body.extend_from_slice(&buf[at..at + size]);
            at += size + 2;
        }
    } else if let Some(v) = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
    {
        let n: usize = v.trim().parse().unwrap_or(0);
        if buf.len() < at + n {
            return None;
        }
        body.extend_from_slice(&buf[at..at + n]);
        at += n;
    }
    Some((Received { head, body }, at))
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "waf-proxy-test-{tag}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&p).expect("mkdir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running waf-proxy; killed on drop.
pub struct Proxy {
    pub port: u16,
    pub tls_port: Option<u16>,
    pub control: PathBuf,
    pub events: PathBuf,
    child: Child,
}

impl Proxy {
    /// Starts the binary with `--listen` on a free port, a control socket and an event log in
    /// `dir`, plus `extra` arguments; waits until it accepts connections.
    pub fn start(dir: &TempDir, extra: &[&str], tls: bool) -> Proxy {
        Proxy::start_logged(dir, extra, tls, None)
    }

    /// [`Proxy::start`], with the proxy's log (at `info`) written to `log`.
    pub fn start_logged(dir: &TempDir, extra: &[&str], tls: bool, log: Option<&Path>) -> Proxy {
        let port = free_port();
        let tls_port = tls.then(free_port);
        let control = dir.path().join("control.sock");
        let events = dir.path().join("events.jsonl");
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waf-proxy"));
        cmd.args(["--listen", &listen, "--threads", "1"])
            .arg("--control-socket")
            .arg(&control)
            .arg("--events")
            .arg(&events)
            .args(extra)
            .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
            .stdout(Stdio::null())
            .stderr(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
                None => Stdio::null(),
            });
        let tls_listen = tls_port.map(|p| format!("127.0.0.1:{p}"));
        if let Some(t) = &tls_listen {
            cmd.args(["--tls-listen", t]);
        }
        let child = cmd.spawn().expect("spawn waf-proxy");
        let p = Proxy {
            port,
            tls_port,
            control,
            events,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let up =
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && p.control.exists();
            if up {
                break;
            }
            assert!(Instant::now() < deadline, "waf-proxy did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        p
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// One control command; the JSON response.
    pub fn control(&self, line: &str) -> serde_json::Value {
        control(&self.control, line)
    }
}

/// Sends one control line and reads one response line.
pub fn control(sock: &Path, line: &str) -> serde_json::Value {
    let mut s = UnixStream::connect(sock).expect("control connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(line.as_bytes()).expect("write");
    s.write_all(b"\n").expect("write");
    let mut r = BufReader::new(s);
    let mut out = String::new();
    r.read_line(&mut out).expect("read");
    serde_json::from_str(&out).expect("json response")
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that never reuses a proxy's 4xx-closed connections badly and never follows redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// A client whose connections come from `ip` (any 127.0.0.0/8 address works on Linux loopback).
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .local_address(ip.parse::<std::net::IpAddr>().ok())
        .build()
        .expect("client")
}

/// The rules of a test: the shipped settings and managed rules plus the given files.
pub fn rules_dir(dir: &TempDir, files: &[(&str, &str)]) -> PathBuf {
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    for (name, text) in waf_core::DEFAULT_RULES {
        std::fs::write(rules.join(name), text).expect("write");
    }
    for (name, text) in files {
        std::fs::write(rules.join(name), text).expect("write");
    }
    rules
}

// ---- A minimal MaxMind DB writer (IPv4 tree, 24-bit records) ----

fn ctrl(out: &mut Vec<u8>, ty: u8, size: usize) {
    assert!(size < 29);
    if ty <= 7 {
        out.push((ty << 5) | size as u8);
    } else {
        out.push(size as u8);
        out.push(ty - 7);
    }
}

fn uint(out: &mut Vec<u8>, ty: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    ctrl(out, ty, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

fn string(out: &mut Vec<u8>, s: &str) {
    ctrl(out, 2, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// An `.mmdb` mapping each IPv4 network to `{country: {iso_code: CC}}`.
pub fn mmdb(networks: &[(&str, u8, &str)]) -> Vec<u8> {
    // Data section: one record per network.
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for (_, _, cc) in networks {
        offsets.push(data.len());
        ctrl(&mut data, 7, 1);
        string(&mut data, "country");
        ctrl(&mut data, 7, 1);
        string(&mut data, "iso_code");
        string(&mut data, cc);
    }
    // Tree: nodes of [left, right]; Leaf(i) = data of network i; Empty = no data.
    #[derive(Clone, Copy)]
    enum R {
        Node(usize),
        Leaf(usize),
        Empty,
    }
    let mut nodes: Vec<[R; 2]> = vec![[R::Empty, R::Empty]];
    for (i, (net, len, _)) in networks.iter().enumerate() {
        let ip = u32::from(net.parse::<std::net::Ipv4Addr>().expect("ipv4"));
        let mut n = 0;
        for depth in 0..*len {
            let bit = ((ip >> (31 - depth)) & 1) as usize;
            if depth + 1 == *len {
                nodes[n][bit] = R::Leaf(i);
            } else {
                n = match nodes[n][bit] {
                    R::Node(m) => m,
                    _ => {
                        nodes.push([R::Empty, R::Empty]);
                        let m = nodes.len() - 1;
                        nodes[n][bit] = R::Node(m);
                        m
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for node in &nodes {
        for r in node {
            let v = match *r {
                R::Node(m) => m,
                R::Leaf(i) => count + 16 + offsets[i],
                R::Empty => count,
            } as u32;
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    let mut meta = Vec::new();
    ctrl(&mut meta, 7, 9);
    string(&mut meta, "node_count");
    uint(&mut meta, 6, count as u64);
    string(&mut meta, "record_size");
    uint(&mut meta, 5, 24);
    string(&mut meta, "ip_version");
    uint(&mut meta, 5, 4);
    string(&mut meta, "database_type");
    string(&mut meta, "Test-Country");
    string(&mut meta, "languages");
    ctrl(&mut meta, 11, 1);
    string(&mut meta, "en");
    string(&mut meta, "binary_format_major_version");
    uint(&mut meta, 5, 2);
    string(&mut meta, "binary_format_minor_version");
    uint(&mut meta, 5, 0);
    string(&mut meta, "build_epoch");
    uint(&mut meta, 9, 1_700_000_000);
    string(&mut meta, "description");
    ctrl(&mut meta, 7, 1);
    string(&mut meta, "en");
    string(&mut meta, "test database");
    out.extend_from_slice(&meta);
    out
}
