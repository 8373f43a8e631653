//! `GET /realtime/ws` end to end: a real waf-proxy in front of an origin, writing its event log
//! and answering its control socket; waf-admin ingesting that log into the realtime feed;
//! WebSocket clients (tokio-tungstenite) on the admin's plain-HTTP listener.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use admin_api::build_app;
use admin_api::ingest::IngestHandle;
use admin_api::realtime::{Limits, Realtime};
use admin_api::state::{AppState, Transport};
use common::{env_with, Env};
use futures_util::StreamExt;
use procs::{proxy_bin, spawn_origin, spawn_proxy, Proxy};
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

struct Rig {
    env: Env,
    admin: SocketAddr,
    port: u16,
    client: reqwest::Client,
    _proxy: Proxy,
    _ingest: IngestHandle,
}

/// waf-admin (feed bounded by `limits`) + waf-proxy (rules, control socket, event log) +
/// the ingest publishing to the feed; `None` when waf-proxy is not built.
async fn rig(tag: &str, limits: Limits) -> Option<Rig> {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!(
            "SKIP: {} not built (CI builds it before the tests)",
            bin.display()
        );
        return None;
    }
    let env = env_with(tag, Transport::PlainHttp, |s: &mut AppState| {
        s.realtime = Realtime::new(limits);
    });
    let state = env.state.clone();
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("admin bind");
    let admin = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    let events = env.dir.join("events.jsonl");
    let rules = env.dir.join("rules");
    let (proxy, port) = spawn_proxy(
        &bin,
        spawn_origin(),
        &[
            "--rules-dir".as_ref(),
            rules.as_os_str(),
            "--control-socket".as_ref(),
            env.socket.as_os_str(),
            "--events".as_ref(),
            events.as_os_str(),
        ],
    );
    let ingest = admin_api::ingest::spawn_with(
        &env.dir.join("waf-admin.db"),
        &events,
        Duration::from_millis(250),
        Some(env.state.realtime.publisher()),
    )
    .expect("ingest");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let start = Instant::now();
    let up = format!("http://127.0.0.1:{port}/");
    while client.get(&up).send().await.is_err() || !env.socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waf-proxy did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Rig {
        env,
        admin,
        port,
        client,
        _proxy: proxy,
        _ingest: ingest,
    })
}

/// Opens `/realtime/ws` with `key` (none: no Authorization header); `rcvbuf` shrinks the
/// client's socket receive buffer (a client that stops reading then blocks the server soon).
async fn connect(addr: SocketAddr, key: Option<&str>, rcvbuf: Option<u32>) -> Result<Ws, WsError> {
    let mut req = format!("ws://{addr}/openapi/v1/realtime/ws").into_client_request()?;
    if let Some(k) = key {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {k}").parse().expect("header"),
        );
    }
    let sock = TcpSocket::new_v4()?;
    if let Some(n) = rcvbuf {
        sock.set_recv_buffer_size(n)?;
    }
    let stream = sock.connect(addr).await?;
    let (ws, _) = tokio_tungstenite::client_async(req, stream).await?;
    Ok(ws)
}

/// The HTTP status and error code of a refused upgrade.
fn refusal(r: Result<Ws, WsError>) -> (u16, String) {
    match r {
        Err(WsError::Http(res)) => {
            let body: Value = res
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            (
                res.status().as_u16(),
                body["code"].as_str().unwrap_or_default().to_string(),
            )
        }
        Err(e) => panic!("upgrade failed otherwise: {e}"),
        Ok(_) => panic!("upgrade accepted"),
    }
}

/// Reads `ws` in the background; every JSON text message goes to the returned channel.
fn reader(mut ws: Ws) -> mpsc::UnboundedReceiver<Value> {
    let (tx, rx) = mpsc::unbounded_channel();
    actix_web::rt::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).expect("a JSON message");
                if tx.send(v).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The first message of `rx` satisfying `pred` within `within`.
async fn first(
    rx: &mut mpsc::UnboundedReceiver<Value>,
    within: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(v)) if pred(&v) => return Some(v),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

/// A SQL injection through the proxy carrying `marker` (and `pad` bytes of padding); asserts 403.
async fn attack(rig: &Rig, marker: &str, pad: usize) {
    let url = format!(
        "http://127.0.0.1:{}/search?m={marker}&pad={}&q=1%27%20OR%20%271%27%3D%271",
        rig.port,
        "a".repeat(pad)
    );
    let status = rig
        .client
        .get(&url)
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(403), "attack {marker} not blocked");
}

fn is_attack_with(marker: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| {
        v["type"] == "attack"
            && v["event"]["url"]
                .as_str()
                .is_some_and(|u| u.contains(&format!("m={marker}&")))
    }
}

#[actix_web::test]
async fn realtime_ws_streams_attacks_within_a_second_and_traffic_per_second() {
    let Some(rig) = rig("rt-feed", Limits::default()).await else {
        return;
    };
    let key = rig.env.key(&["realtime:read"]);

    // The messages are typed in the document.
    let doc = rig
        .client
        .get(format!("http://{}/openapi.yaml", rig.admin))
        .send()
        .await
        .expect("doc")
        .text()
        .await
        .expect("yaml");
    for schema in ["RealtimeMessage:", "TrafficSecond:", "AttackMessage:"] {
        assert!(doc.contains(schema), "{schema} missing from /openapi.yaml");
    }

    // The key is checked on the upgrade request.
    assert_eq!(
        refusal(connect(rig.admin, None, None).await),
        (401, "missing_token".into())
    );
    let other = rig.env.key(&["attack:read", "monitor:write"]);
    assert_eq!(
        refusal(connect(rig.admin, Some(&other), None).await),
        (403, "scope_denied".into())
    );
    assert_eq!(
        refusal(connect(rig.admin, Some("fwk_nope_nope"), None).await),
        (401, "invalid_key".into())
    );

    let mut rx = reader(connect(rig.admin, Some(&key), None).await.expect("upgrade"));
    // Wait until the feed has its subscriber before the attack (the upgrade answer precedes it).
    let start = Instant::now();
    while rig.env.state.realtime.clients() != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "client not admitted"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    attack(&rig, "first", 0).await;
    let sent = Instant::now();
    let ev = first(&mut rx, Duration::from_secs(1), is_attack_with("first"))
        .await
        .unwrap_or_else(|| panic!("no attack event within 1 s of the attack"));
    eprintln!("attack event after {:?}", sent.elapsed());
    let e = &ev["event"];
    assert_eq!(e["attack_type"], "sqli", "{ev}");
    assert_eq!(e["action"], "block", "{ev}");
    assert_eq!(e["client_ip"], "127.0.0.1", "{ev}");
    assert!(e["id"].as_i64().is_some_and(|id| id > 0), "{ev}");
    assert!(
        e["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{ev}"
    );

    // The same event, by its id, from the attack log.
    let log_key = rig.env.key(&["attack:read"]);
    let stored: Value = rig
        .client
        .get(format!(
            "http://{}/openapi/v1/attack/logs/{}",
            rig.admin, e["id"]
        ))
        .bearer_auth(&log_key)
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert_eq!(stored["request_id"], e["request_id"], "{stored}");

    // Traffic: a second that counted this request (and its block) arrives once per second.
    let url = format!("http://127.0.0.1:{}/page", rig.port);
    let _ = rig.client.get(&url).send().await.expect("clean request");
    attack(&rig, "second", 0).await;
    let t = first(&mut rx, Duration::from_secs(3), |v| {
        v["type"] == "traffic" && v["requests"].as_u64().is_some_and(|n| n >= 1)
    })
    .await
    .expect("a traffic message counting the requests");
    assert!(t["blocked"].as_u64().is_some(), "{t}");
    assert!(
        t["total_requests"].as_u64() >= t["requests"].as_u64(),
        "{t}"
    );
    let a = first(&mut rx, Duration::from_secs(2), |v| v["type"] == "traffic")
        .await
        .expect("the next second's traffic message");
    assert!(
        a["timestamp"].as_i64() > t["timestamp"].as_i64(),
        "{t} then {a}"
    );
    // Every second counted once: the totals grow by the per-second counts.
    assert_eq!(
        a["total_requests"]
            .as_u64()
            .zip(t["total_requests"].as_u64())
            .map(|(x, y)| x - y),
        a["requests"].as_u64(),
        "{t} then {a}"
    );
}

#[actix_web::test]
async fn a_client_that_never_reads_is_dropped_while_another_keeps_receiving() {
    let limits = Limits {
        max_clients: 3,
        queue: 128,
        send_timeout: Duration::from_secs(1),
    };
    let Some(rig) = rig("rt-slow", limits).await else {
        return;
    };
    let key = rig.env.key(&["realtime:read"]);
    let feed = &rig.env.state.realtime;

    let mut rx = reader(connect(rig.admin, Some(&key), None).await.expect("reader"));
    let mut slow = connect(rig.admin, Some(&key), Some(4096))
        .await
        .expect("slow client");
    let third = connect(rig.admin, Some(&key), None).await.expect("third");
    // The cap: a fourth client is refused while three are connected.
    assert_eq!(
        refusal(connect(rig.admin, Some(&key), None).await),
        (503, "service_busy".into())
    );
    drop(third);
    let start = Instant::now();
    while feed.clients() != 2 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "a closed client keeps its slot ({} clients)",
            feed.clients()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }

    // Attacks with 1.5 KiB URLs until the client that never reads is dropped; in bursts small
    // enough that a reading client is never the queue's length behind.
    let start = Instant::now();
    let mut sent = 0;
    while feed.clients() == 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the client that never reads was not dropped after {sent} attacks"
        );
        for _ in 0..16 {
            attack(&rig, &format!("flood{sent}"), 1500).await;
            sent += 1;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("dropped after {sent} attacks, {:?}", start.elapsed());

    // The reader is still there and still served within a second.
    assert_eq!(feed.clients(), 1);
    attack(&rig, "after", 0).await;
    assert!(
        first(&mut rx, Duration::from_secs(1), is_attack_with("after"))
            .await
            .is_some(),
        "the reading client stopped receiving"
    );

    // The dropped one: what was already in its socket, then the close (code 4008) or the end of
    // the connection; never the whole flood.
    let mut got = 0;
    let mut close = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, slow.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => got += 1,
            Ok(Some(Ok(Message::Close(frame)))) => {
                close = frame;
                break;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) => break,
            Err(_) => panic!("the dropped client's connection is still open after 10 s"),
        }
    }
    eprintln!("the dropped client had {got} messages, close {close:?}");
    assert!(got < sent, "the dropped client received all {sent} attacks");
    if let Some(frame) = close {
        assert_eq!(frame.code, CloseCode::from(4008), "{frame:?}");
        assert!(frame.reason.contains("too slow"), "{frame:?}");
    }
}
