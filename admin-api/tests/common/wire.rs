//! A client for waf-admin's real TLS listener that sends the request target byte for byte, over
//! HTTP/1.1 or HTTP/2 (chosen by ALPN). reqwest cannot be used for this: its URL parser resolves
//! `.` and `..` segments (also `%2e`) before anything is sent.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::TlsConnector;

/// Which HTTP version a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// HTTP/1.1 (ALPN `http/1.1`).
    H1,
    /// HTTP/2 (ALPN `h2`).
    H2,
}

/// One request: method, target exactly as sent, headers, body.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Req {
    pub fn new(method: &str, target: &str) -> Self {
        Req {
            method: method.to_string(),
            target: target.to_string(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Connects to a server whose certificate is the PEM file `cert`.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    tls: TlsConnector,
    tls_h2: TlsConnector,
}

enum Conn {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Client {
    pub fn new(addr: SocketAddr, cert: &Path) -> Self {
        let pem = std::fs::read(cert).expect("listener certificate");
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(c.expect("pem")).expect("root");
        }
        let config = |alpn: &[u8]| {
            let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
            c.alpn_protocols = vec![alpn.to_vec()];
            TlsConnector::from(Arc::new(c))
        };
        Client {
            addr,
            tls: config(b"http/1.1"),
            tls_h2: config(b"h2"),
        }
    }

    async fn tls(
        &self,
        proto: Proto,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let connector = match proto {
            Proto::H1 => &self.tls,
            Proto::H2 => &self.tls_h2,
        };
        connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("tls: {e}"))
    }

    async fn connect(&self, proto: Proto) -> Result<Conn, String> {
        let tls = self.tls(proto).await?;
        let negotiated = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        let io = TokioIo::new(tls);
        match proto {
            Proto::H1 => {
                assert_eq!(negotiated.as_deref(), Some(&b"http/1.1"[..]));
                let (send, conn) = http1::handshake(io).await.map_err(|e| e.to_string())?;
                actix_web::rt::spawn(async move {
                    let _ = conn.await;
                });
                Ok(Conn::H1(send))
            }
            Proto::H2 => {
                assert_eq!(negotiated.as_deref(), Some(&b"h2"[..]), "no HTTP/2");
                let (send, conn) = http2::handshake(TokioExecutor::new(), io)
                    .await
                    .map_err(|e| e.to_string())?;
                actix_web::rt::spawn(async move {
                    let _ = conn.await;
                });
                Ok(Conn::H2(send))
            }
        }
    }

    fn request(&self, r: &Req) -> hyper::Request<Full<Bytes>> {
        // A relative target is what is tested, so the authority goes in a Host header (HTTP/2
        // takes :authority from an absolute URI only).
        let mut b = hyper::Request::builder()
            .method(r.method.as_str())
            .uri(r.target.as_str())
            .header("host", format!("localhost:{}", self.addr.port()));
        for (k, v) in &r.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(Full::new(r.body.clone())).expect("request")
    }

    async fn send_on(&self, conn: &mut Conn, r: &Req) -> Result<Reply, String> {
        let req = self.request(r);
        let res = match conn {
            Conn::H1(s) => {
                s.ready().await.map_err(|e| e.to_string())?;
                s.send_request(req).await
            }
            Conn::H2(s) => {
                s.ready().await.map_err(|e| e.to_string())?;
                s.send_request(req).await
            }
        }
        .map_err(|e| format!("{e:?}"))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e:?}"))?
            .to_bytes();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Sends one request over HTTP/2 with the `h2` crate, uploading the body as flow control
    /// allows, as curl does; an error if the server resets the stream before the whole body was
    /// sent (RST_STREAM, even NO_ERROR after an early answer: curl 7.88 then fails with (92)
    /// and shows no answer).
    pub async fn send_h2_whole(&self, r: &Req) -> Result<Reply, String> {
        let tls = self.tls(Proto::H2).await?;
        let (client, conn) = h2::client::handshake(tls)
            .await
            .map_err(|e| format!("h2 handshake: {e}"))?;
        actix_web::rt::spawn(async move {
            let _ = conn.await;
        });
        let mut client = client.ready().await.map_err(|e| e.to_string())?;
        let mut b = hyper::Request::builder()
            .method(r.method.as_str())
            .uri(format!(
                "https://localhost:{}{}",
                self.addr.port(),
                r.target
            ));
        for (k, v) in &r.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let req = b
            .header("content-length", r.body.len().to_string())
            .body(())
            .expect("request");
        let (response, mut send) = client
            .send_request(req, r.body.is_empty())
            .map_err(|e| e.to_string())?;
        let mut rest = r.body.clone();
        while !rest.is_empty() {
            send.reserve_capacity(rest.len().min(1 << 16));
            match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                Some(Ok(0)) => continue,
                Some(Ok(n)) => {
                    let chunk = rest.split_to(n.min(rest.len()));
                    send.send_data(chunk, rest.is_empty())
                        .map_err(|e| format!("reset while sending the body: {e}"))?;
                }
                Some(Err(e)) => return Err(format!("reset while sending the body: {e}")),
                None => return Err("stream closed while sending the body".into()),
            }
        }
        let res = response.await.map_err(|e| format!("response: {e}"))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let mut body = res.into_body();
        let mut out = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| format!("response body: {e}"))?;
            let _ = body.flow_control().release_capacity(chunk.len());
            out.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: out.into(),
        })
    }

    /// Sends one request on a new connection.
    pub async fn send(&self, proto: Proto, r: &Req) -> Result<Reply, String> {
        let mut conn = self.connect(proto).await?;
        self.send_on(&mut conn, r).await
    }

    /// Sends every request, `parallel` at a time (HTTP/2: streams of one connection; HTTP/1.1:
    /// that many keep-alive connections, reconnecting when the server closes one). Replies come
    /// back in the order of `reqs`.
    pub async fn send_all(
        &self,
        proto: Proto,
        reqs: &[Req],
        parallel: usize,
    ) -> Vec<Result<Reply, String>> {
        match proto {
            Proto::H2 => {
                let conn = self.connect(proto).await.expect("h2 connection");
                let Conn::H2(send) = conn else { unreachable!() };
                futures_util::stream::iter(reqs.iter())
                    .map(|r| {
                        let mut c = Conn::H2(send.clone());
                        async move { self.send_on(&mut c, r).await }
                    })
                    .buffered(parallel)
                    .collect()
                    .await
            }
            Proto::H1 => {
                let lanes = (0..parallel).map(|lane| async move {
                    let mut conn: Option<Conn> = None;
                    let mut out = Vec::new();
                    for (i, r) in reqs.iter().enumerate().skip(lane).step_by(parallel) {
                        let mut res = Err(String::new());
                        for _attempt in 0..2 {
                            if conn.is_none() {
                                conn = self.connect(proto).await.ok();
                            }
                            let Some(c) = conn.as_mut() else { continue };
                            res = self.send_on(c, r).await;
                            let keep = matches!(&res, Ok(rep) if rep.headers.get("connection")
                                .is_none_or(|v| v != "close"));
                            if !keep {
                                conn = None;
                            }
                            if res.is_ok() {
                                break;
                            }
                        }
                        out.push((i, res));
                    }
                    out
                });
                let mut all: Vec<(usize, Result<Reply, String>)> =
                    futures_util::future::join_all(lanes)
                        .await
                        .into_iter()
                        .flatten()
                        .collect();
                all.sort_by_key(|(i, _)| *i);
                all.into_iter().map(|(_, r)| r).collect()
            }
        }
    }
}
