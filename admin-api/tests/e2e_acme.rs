//! Let's Encrypt end to end against Debian's pebble (the ACME test CA) on loopback: waf-admin
//! orders a certificate for a site, pebble validates HTTP-01 by really fetching
//! `/.well-known/acme-challenge/<token>` from waf-proxy (its DNS is pebble-challtestsrv, which
//! resolves every name to 127.0.0.1), `save` installs the certificate and the next TLS handshake
//! through waf-proxy for that SNI presents it; the background renewal replaces it. DNS-01 goes
//! through `check-dns` with the TXT record published in challtestsrv. Pebble's roots are trusted
//! only here.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use admin_api::acme::{Acme, AcmeConfig};
use admin_api::build_app;
use admin_api::state::Transport;
use common::{env_with, Env};
use procs::{free_port, proxy_bin, spawn_origin};
use serde_json::{json, Value};

const DOMAIN: &str = "shop.example.com";

/// A child process killed when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// pebble and pebble-challtestsrv, with the CA that signs pebble's own HTTPS listener.
struct Pebble {
    directory: String,
    management: String,
    /// The test CA of pebble's listener (what waf-admin trusts for the directory).
    listener_ca: PathBuf,
    /// challtestsrv's management API (set-txt).
    challtest: String,
    dns: SocketAddr,
    _daemons: Vec<Daemon>,
}

fn wait_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The CA certificate (PEM) and a leaf for localhost / 127.0.0.1 signed by it (cert, key).
fn listener_pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "waf e2e_acme listener CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&key, &*ca)
        .expect("leaf");
    (ca.pem(), leaf.pem(), key.serialize_pem())
}

impl Pebble {
    /// Starts both with pebble validating HTTP-01 on `http_port` (waf-proxy's listener).
    fn start(dir: &Path, http_port: u16, tls_port: u16) -> Option<Pebble> {
        for bin in ["/usr/bin/pebble", "/usr/bin/pebble-challtestsrv"] {
            if !Path::new(bin).exists() {
                eprintln!("SKIP: {bin} missing (scripts/setup.sh installs Debian's pebble)");
                return None;
            }
        }
        let (ca, cert, key) = listener_pki();
        let listener_ca = dir.join("listener-ca.pem");
        std::fs::write(&listener_ca, ca).expect("ca");
        std::fs::write(dir.join("pebble.crt"), cert).expect("cert");
        std::fs::write(dir.join("pebble.key"), key).expect("key");
        let (dns_port, chall_port) = (free_port(), free_port());
        let challtest = Command::new("/usr/bin/pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{chall_port}")])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn pebble-challtestsrv");
        let challtest = Daemon(challtest);
        let (port, mgmt) = (free_port(), free_port());
        let config = json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{mgmt}"),
            "certificate": dir.join("pebble.crt"),
            "privateKey": dir.join("pebble.key"),
            "httpPort": http_port,
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false
        }});
        let cfg = dir.join("pebble.json");
        std::fs::write(&cfg, config.to_string()).expect("pebble config");
        wait_port(chall_port, "pebble-challtestsrv");
        let pebble = Command::new("/usr/bin/pebble")
            .arg("-config")
            .arg(&cfg)
            .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
            // No random validation delays; nonces are not rejected at random. Validation is
            // real (PEBBLE_VA_ALWAYS_VALID is not set).
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn pebble");
        let pebble = Daemon(pebble);
        wait_port(port, "pebble");
        wait_port(mgmt, "pebble management");
        Some(Pebble {
            directory: format!("https://127.0.0.1:{port}/dir"),
            management: format!("https://127.0.0.1:{mgmt}"),
            listener_ca,
            challtest: format!("http://127.0.0.1:{chall_port}"),
            dns: SocketAddr::from(([127, 0, 0, 1], dns_port)),
            _daemons: vec![pebble, challtest],
        })
    }

    /// The PEM root pebble issues under (fetched from its management interface).
    async fn issuing_root(&self) -> String {
        let ca = std::fs::read(&self.listener_ca).expect("ca");
        let client = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"))
            .build()
            .expect("client");
        client
            .get(format!("{}/roots/0", self.management))
            .send()
            .await
            .expect("roots")
            .text()
            .await
            .expect("root pem")
    }
}

/// waf-admin (plain HTTP) with the ACME client pointed at pebble, and waf-proxy with a TLS
/// listener, in front of an origin.
struct Stack {
    env: Env,
    api: String,
    key: String,
    tls_port: u16,
    pebble: Pebble,
    http: reqwest::Client,
    _proxy: Daemon,
}

async fn stack(tag: &str) -> Option<Stack> {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!("SKIP: {} not built", bin.display());
        return None;
    }
    let (port, tls_port) = (free_port(), free_port());
    let dir = common::temp_dir(&format!("{tag}-pebble"));
    let pebble = Pebble::start(&dir, port, tls_port)?;
    let cfg = AcmeConfig {
        directory: pebble.directory.clone(),
        ca_file: Some(pebble.listener_ca.clone()),
        dns_server: Some(pebble.dns),
        order_timeout: Duration::from_secs(60),
        ..AcmeConfig::default()
    };
    let env = env_with(tag, Transport::PlainHttp, |s| s.acme = Acme::new(cfg));
    let state = env.state.clone();
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("admin bind");
    let api = format!("http://{}/openapi/v1", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    let origin = spawn_origin();
    let rules = env.dir.join("rules");
    let tls_listen = format!("127.0.0.1:{tls_port}");
    let listen = format!("127.0.0.1:{port}");
    let proxy = spawn_proxy_at(&bin, origin, &listen, &rules, &env.socket, &tls_listen);
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
        || !env.socket.exists()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waf-proxy did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let key = env.key(&["*:write"]);
    Some(Stack {
        env,
        api,
        key,
        tls_port,
        pebble,
        http: reqwest::Client::new(),
        _proxy: proxy,
    })
}

/// waf-proxy on exactly `listen` (pebble's configuration names the port before the proxy
/// starts, so the shared helper, which picks its own, does not fit).
fn spawn_proxy_at(
    bin: &Path,
    origin: SocketAddr,
    listen: &str,
    rules: &Path,
    socket: &Path,
    tls_listen: &str,
) -> Daemon {
    let child = Command::new(bin)
        .args(["--listen", listen])
        .arg("--upstream")
        .arg(format!("http://{origin}"))
        .arg("--rules-dir")
        .arg(rules)
        .arg("--control-socket")
        .arg(socket)
        .args(["--tls-listen", tls_listen])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn waf-proxy");
    Daemon(child)
}

impl Stack {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.api);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        }
        .bearer_auth(&self.key);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let res = req.send().await.expect("admin call");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn add_site(&self, origin: &str) -> u64 {
        let (s, b) = self
            .call(
                "POST",
                "/site/add",
                Some(json!({"name": "shop", "domain": DOMAIN, "target_url": origin})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["id"].as_u64().expect("site id")
    }

    /// Polls the order until it leaves pending/processing; returns it.
    async fn wait_order(&self, id: i64) -> Value {
        let start = Instant::now();
        loop {
            let (s, b) = self
                .call("GET", &format!("/letsencrypt/status/{id}"), None)
                .await;
            assert_eq!(s, 200, "{b}");
            let st = b["order"]["status"].as_str().unwrap_or("").to_string();
            if st != "pending" && st != "processing" {
                return b["order"].clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "order {id} still {st}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The leaf certificate waf-proxy presents for `DOMAIN`, verified against pebble's root
    /// only: (serial hex, issuer).
    async fn served_cert(&self) -> (String, String) {
        let root = self.pebble.issuing_root().await;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut root.as_bytes()) {
            roots.add(c.expect("root der")).expect("root");
        }
        let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.tls_port))
            .await
            .expect("connect tls");
        let name = rustls::pki_types::ServerName::try_from(DOMAIN).expect("name");
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .expect("handshake verified against pebble's root");
        let (_, conn) = tls.get_ref();
        let der = conn.peer_certificates().expect("peer certs")[0].clone();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
        (
            cert.raw_serial_as_string().replace(':', ""),
            cert.issuer().to_string(),
        )
    }
}

#[actix_web::test]
async fn http01_certificate_issued_by_pebble_is_served_then_renewed() {
    let Some(st) = stack("acme-http").await else {
        return;
    };
    let origin = format!("http://{}", spawn_origin());
    let site = st.add_site(&origin).await;

    // Bad input first: unknown fields, a name that is not the site's, a missing site.
    let (s, _) = st
        .call(
            "POST",
            "/letsencrypt/order",
            Some(json!({"site_id": site, "x": 1})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = st
        .call(
            "POST",
            "/letsencrypt/order",
            Some(json!({"site_id": site, "domains": ["other.example.com"]})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = st
        .call("POST", "/letsencrypt/order", Some(json!({"site_id": 999})))
        .await;
    assert_eq!(s, 404);

    let (s, b) = st
        .call("POST", "/letsencrypt/order", Some(json!({"site_id": site})))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["order"]["status"], "processing", "{b}");
    assert_eq!(b["order"]["challenge"], "http-01");
    let id = b["order"]["id"].as_i64().expect("order id");
    let (s, b) = st.call("GET", "/letsencrypt/list", None).await;
    assert_eq!(s, 200);
    assert!(b["orders"]
        .as_array()
        .is_some_and(|o| o.iter().any(|o| o["id"] == id)));

    let order = st.wait_order(id).await;
    assert_eq!(order["status"], "valid", "{order}");
    let serial = order["serial"].as_str().expect("serial").to_string();
    assert!(
        order["issuer"]
            .as_str()
            .is_some_and(|i| i.contains("Pebble")),
        "{order}"
    );
    // The account key is the owner's only.
    let account = st.env.dir.join("acme").join("account.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&account)
        .expect("account file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let (s, b) = st
        .call("POST", "/letsencrypt/save", Some(json!({"id": id})))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reload"]["applied"], true, "{b}");
    let (got_serial, issuer) = st.served_cert().await;
    assert_eq!(
        got_serial, serial,
        "waf-proxy serves the certificate pebble issued"
    );
    assert!(issuer.contains("Pebble"), "{issuer}");
    // A valid order cannot be cancelled; nothing expires within 30 days.
    let (s, _) = st
        .call("POST", &format!("/letsencrypt/cancel/{id}"), None)
        .await;
    assert_eq!(s, 409);
    let (s, b) = st.call("GET", "/letsencrypt/alerts", None).await;
    assert_eq!(
        (s, b["alerts"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{b}"
    );

    // The background renewal with a window wider than the certificate's life renews it now
    // and installs the new one.
    actix_web::rt::spawn(admin_api::acme::renewal_loop(
        st.env.state.clone().into_inner(),
        Duration::from_secs(1),
        Duration::from_secs(100 * 365 * 86_400),
    ));
    let start = Instant::now();
    let renewed = loop {
        let (_, b) = st.call("GET", "/letsencrypt/list", None).await;
        let found = b["orders"].as_array().and_then(|o| {
            o.iter()
                .find(|o| o["renewed_from"] == id && o["installed_at"].as_i64() > Some(0))
                .cloned()
        });
        if let Some(o) = found {
            break o;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "no renewal: {b}");
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    };
    let new_serial = renewed["serial"].as_str().expect("serial").to_string();
    assert_ne!(new_serial, serial);
    let (got, _) = st.served_cert().await;
    assert_eq!(
        got, new_serial,
        "the renewed certificate is served without a restart"
    );
}

#[actix_web::test]
async fn dns01_waits_for_the_txt_record_then_issues() {
    let Some(st) = stack("acme-dns").await else {
        return;
    };
    let origin = format!("http://{}", spawn_origin());
    let site = st.add_site(&origin).await;
    let (s, b) = st
        .call(
            "POST",
            "/letsencrypt/order",
            Some(json!({"site_id": site, "challenge": "dns-01"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["order"]["status"], "pending");
    let id = b["order"]["id"].as_i64().expect("id");
    let rec = b["order"]["dns_records"][0].clone();
    assert_eq!(rec["name"], format!("_acme-challenge.{DOMAIN}"));

    let (s, b) = st
        .call("GET", &format!("/letsencrypt/check-dns/{id}"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["all_ok"].clone(), b["submitted"].clone()),
        (json!(false), json!(false))
    );

    let res = reqwest::Client::new()
        .post(format!("{}/set-txt", st.pebble.challtest))
        .json(&json!({"host": format!("{}.", rec["name"].as_str().unwrap_or("")), "value": rec["value"]}))
        .send()
        .await
        .expect("set-txt");
    assert!(res.status().is_success());
    let (s, b) = st
        .call("GET", &format!("/letsencrypt/check-dns/{id}"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["all_ok"].clone(), b["submitted"].clone()),
        (json!(true), json!(true)),
        "{b}"
    );
    let order = st.wait_order(id).await;
    assert_eq!(order["status"], "valid", "{order}");

    // An order still pending can be cancelled, once.
    let (_, b) = st
        .call(
            "POST",
            "/letsencrypt/order",
            Some(json!({"site_id": site, "challenge": "dns-01"})),
        )
        .await;
    let other = b["order"]["id"].as_i64().expect("id");
    let (s, _) = st
        .call("POST", &format!("/letsencrypt/cancel/{other}"), None)
        .await;
    assert_eq!(s, 200);
    let (s, _) = st
        .call("POST", &format!("/letsencrypt/cancel/{other}"), None)
        .await;
    assert_eq!(s, 409);
    let (_, b) = st
        .call("GET", &format!("/letsencrypt/status/{other}"), None)
        .await;
    assert_eq!(b["order"]["status"], "cancelled");
    let (s, _) = st.call("GET", "/letsencrypt/check-dns/424242", None).await;
    assert_eq!(s, 404);
}

#[actix_web::test]
async fn expiry_alerts_list_soon_expiring_installed_certificates_until_dismissed() {
    use actix_web::test::{call_service, init_service, read_body_json, TestRequest};
    use admin_api::acme::store;
    let e = common::env("acme-alerts", Transport::Tls);
    let app = init_service(build_app(e.state.clone())).await;
    let now = admin_api::state::now();
    let (soon, later, loose) = e
        .state
        .with_db(|c| {
            let mk = |not_after: i64, installed: bool| -> rusqlite::Result<i64> {
                let id = store::insert(
                    c,
                    1,
                    &[DOMAIN.into()],
                    store::ChallengeKind::Http01,
                    false,
                    0,
                    now,
                )?;
                store::set_issued(c, id, "PEM", "01", "CA", not_after, now)?;
                if installed {
                    store::set_installed(c, id, now)?;
                }
                Ok(id)
            };
            Ok((
                mk(now + 5 * 86_400 - 60, true)?,
                mk(now + 90 * 86_400, true)?,
                mk(now + 86_400, false)?,
            ))
        })
        .expect("rows");
    let read = e.key(&["letsencrypt:read"]);
    let write = e.key(&["letsencrypt:write"]);
    let get = |k: &str| {
        TestRequest::get()
            .uri("/openapi/v1/letsencrypt/alerts")
            .insert_header(common::auth(k))
            .to_request()
    };
    let b: Value = read_body_json(call_service(&app, get(&read)).await).await;
    let ids: Vec<i64> = b["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["id"].as_i64())
        .collect();
    assert_eq!(
        ids,
        vec![soon],
        "{b}; not {later} (90 days) nor {loose} (not installed)"
    );
    assert_eq!(b["alerts"][0]["days_left"], 4);
    // Dismissing needs write.
    let dismiss = |k: &str, id: i64| {
        TestRequest::post()
            .uri(&format!("/openapi/v1/letsencrypt/dismiss-alert/{id}"))
            .insert_header(common::auth(k))
            .to_request()
    };
    assert_eq!(call_service(&app, dismiss(&read, soon)).await.status(), 403);
    assert_eq!(
        call_service(&app, dismiss(&write, 4242)).await.status(),
        404
    );
    assert_eq!(
        call_service(&app, dismiss(&write, soon)).await.status(),
        200
    );
    let b: Value = read_body_json(call_service(&app, get(&read)).await).await;
    assert_eq!(b["alerts"].as_array().map(Vec::len), Some(0), "{b}");
}
