//! TLS versions from the rule set (applied at reload), Host/SNI agreement (421), and fail-closed /
//! fail-open on inspection errors.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{client, origin, rules_dir, Proxy, TempDir};

const SITES: &str = "sites:\n  - { id: 1, name: A, domain: a.test, target_url: \"http://ORIGIN\", enable_https: true }\n  - { id: 2, name: B, domain: b.test, target_url: \"http://ORIGIN\", enable_https: true }\n";

fn settings(versions: &str) -> String {
    format!("settings:\n  tls_versions: {versions}\n")
}

/// An HTTPS client for a.test/b.test on the proxy's TLS port, limited to `max` TLS version.
/// HTTP/1.1: the Host header these tests set apart from the SNI has no HTTP/2 form (there the
/// h2 layer refuses a `host` that disagrees with `:authority` before the WAF sees it).
fn tls_client(addr: SocketAddr, max: Option<reqwest::tls::Version>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .http1_only()
        .danger_accept_invalid_certs(true)
        .resolve("a.test", addr)
        .resolve("b.test", addr)
        .timeout(Duration::from_secs(10));
    if let Some(v) = max {
        b = b.max_tls_version(v);
    }
    b.build().expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_versions_come_from_the_rule_set_and_change_at_reload() {
    let o = origin("origin").await;
    let dir = TempDir::new("tlsver");
    let sites = SITES.replace("ORIGIN", &o.to_string());
    let rules = rules_dir(
        &dir,
        &[("sites.yaml", &sites), ("tls.yaml", &settings("[\"1.3\"]"))],
    );
    // The shipped settings.yaml also has a `settings:` section; keep one.
    std::fs::remove_file(rules.join("settings.yaml")).expect("rm");
    let p = Proxy::start(&dir, &["--rules-dir", rules.to_str().unwrap_or("")], true);
    let port = p.tls_port.unwrap_or(0);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let url = format!("https://a.test:{port}/");
    let tls12 = tls_client(addr, Some(reqwest::tls::Version::TLS_1_2));
    assert!(
        tls12.get(&url).send().await.is_err(),
        "a TLS 1.2-only client must fail the handshake"
    );
    let r = tls_client(addr, None)
        .get(&url)
        .send()
        .await
        .expect("tls 1.3");
    assert_eq!(r.status(), 200);
    // Allow 1.2 again: the next handshake succeeds after the reload.
    std::fs::write(rules.join("tls.yaml"), settings("[\"1.2\", \"1.3\"]")).expect("write");
    assert_eq!(p.control(r#"{"cmd":"reload"}"#)["ok"], true);
    let tls12 = tls_client(addr, Some(reqwest::tls::Version::TLS_1_2));
    let r = tls12.get(&url).send().await.expect("tls 1.2 after reload");
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_must_belong_to_the_sni_site() {
    let o = origin("origin").await;
    let dir = TempDir::new("sni");
    let sites = SITES.replace("ORIGIN", &o.to_string());
    let rules = rules_dir(&dir, &[("sites.yaml", &sites)]);
    let p = Proxy::start(&dir, &["--rules-dir", rules.to_str().unwrap_or("")], true);
    let port = p.tls_port.unwrap_or(0);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let c = tls_client(addr, None);
    // SNI a.test, Host a.test (with a port): routed.
    let r = c
        .get(format!("https://a.test:{port}/"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    // SNI a.test, Host b.test: domain fronting -> 421.
    let r = c
        .get(format!("https://a.test:{port}/"))
        .header("Host", "b.test")
        .header("Accept", "application/json")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 421);
    // SNI a.test, Host of no site: 421 as well (not the default route).
    let r = c
        .get(format!("https://a.test:{port}/"))
        .header("Host", "elsewhere.test")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 421);
    // Plain HTTP has no SNI: Host alone routes.
    let r = client()
        .get(p.url("/"))
        .header("Host", "b.test")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspection_errors_fail_closed_by_default_and_open_when_configured() {
    // Debug builds honour `x-waf-test-panic` when this is set (see waf-proxy/src/guard.rs).
    std::env::set_var("WAF_PROXY_TEST_HOOKS", "1");
    let o = origin("origin").await;
    let up = format!("http://{o}");
    let dir = TempDir::new("failclosed");
    let closed = Proxy::start(&dir, &["--upstream", &up], false);
    let r = client()
        .get(closed.url("/"))
        .header("x-waf-test-panic", "1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 503);
    // The proxy survived: the next request is served.
    let r = client().get(closed.url("/")).send().await.expect("get");
    assert_eq!(r.status(), 200);

    let dir = TempDir::new("failopen");
    let cfg = dir.write("proxy.yaml", "on_inspection_error: open\n");
    let open = Proxy::start(
        &dir,
        &["--upstream", &up, "--config", cfg.to_str().unwrap_or("")],
        false,
    );
    let r = client()
        .get(open.url("/"))
        .header("x-waf-test-panic", "1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("body"), "origin");
}

/// A listen address another process holds ends the start with exit 1 and the address named,
/// rather than a process that stays up listening on nothing.
#[test]
fn a_taken_listen_address_is_a_start_error() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = held.local_addr().expect("addr").to_string();
    let dir = TempDir::new("taken");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_waf-proxy"))
        .args([
            "--listen",
            &addr,
            "--threads",
            "1",
            "--upstream",
            "http://127.0.0.1:9",
        ])
        .arg("--control-socket")
        .arg(dir.path().join("control.sock"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn waf-proxy");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("waf-proxy kept running with {addr} taken");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(!status.success(), "exit status {status}");
    assert!(err.contains(&addr), "stderr does not name {addr}: {err}");
    drop(held);
}
