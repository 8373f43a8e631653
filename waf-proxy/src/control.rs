//! The control socket: newline-delimited JSON over a Unix socket (mode 0600), one
//! [`ControlRequest`] line in, one [`ControlResponse`] line out, any number per connection.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use waf_core::control::{
    BansReport, ChallengeIssued, Clearance, Cleared, ControlData, ControlRequest, ControlResponse,
};

use crate::state::Shared;

/// Longest request line accepted.
const MAX_LINE: usize = 64 * 1024;

/// Binds the socket (replacing a stale one) with mode 0600.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let l = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(l)
}

/// Accepts connections until the listener fails.
pub async fn serve(listener: UnixListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, shared).await {
                        tracing::debug!("control connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("control socket accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    loop {
        line.clear();
        let n = (&mut r)
            .take(MAX_LINE as u64 + 1)
            .read_line(&mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let resp = if line.len() > MAX_LINE {
            ControlResponse::err("request line too long", Vec::new())
        } else if line.trim().is_empty() {
            continue;
        } else {
            match serde_json::from_str::<ControlRequest>(line.trim()) {
                Ok(req) => handle(req, &shared).await,
                Err(e) => ControlResponse::err(format!("bad request: {e}"), Vec::new()),
            }
        };
        let mut out = serde_json::to_vec(&resp)
            .unwrap_or_else(|_| br#"{"ok":false,"error":"unserialisable response"}"#.to_vec());
        out.push(b'\n');
        w.write_all(&out).await?;
        if line.len() > MAX_LINE {
            return Ok(());
        }
    }
}

use tokio::io::AsyncReadExt as _;

/// Executes one command.
pub async fn handle(req: ControlRequest, shared: &Arc<Shared>) -> ControlResponse {
    match req {
        ControlRequest::Reload => reload(shared).await,
        ControlRequest::Status => ControlResponse::ok(ControlData::Status(shared.status())),
        ControlRequest::Stats => {
            let bans = shared.limiter.bans().list(Instant::now()).len() as u64;
            let mut report = shared.stats.report(bans, shared.events.dropped());
            (report.cache_hits, report.cache_misses) = shared.cache.hits_misses();
            ControlResponse::ok(ControlData::Stats(report))
        }
        ControlRequest::CacheStats => {
            ControlResponse::ok(ControlData::CacheStats(shared.cache.stats()))
        }
        ControlRequest::CacheList { host } => ControlResponse::ok(ControlData::CacheEntries(
            shared.cache.list(host.as_deref()),
        )),
        ControlRequest::CacheRead { id } => match shared.cache.read(&id).await {
            Ok(Some(c)) => ControlResponse::ok(ControlData::CacheContent(c)),
            Ok(None) => ControlResponse::err("no cached entry with this id", Vec::new()),
            Err(e) => ControlResponse::err(format!("cache read failed: {e}"), Vec::new()),
        },
        ControlRequest::CachePurge { ids } => {
            ControlResponse::ok(ControlData::CacheRemoved(shared.cache.purge(&ids).await))
        }
        ControlRequest::CacheClear { host } => ControlResponse::ok(ControlData::CacheRemoved(
            shared.cache.clear(host.as_deref()).await,
        )),
        ControlRequest::CacheJsObfuscate { host } => {
            ControlResponse::ok(ControlData::JsObfuscation(shared.cache.obfuscate_js(&host)))
        }
        ControlRequest::CacheJsObfuscateStatus { host } => {
            ControlResponse::ok(ControlData::JsObfuscation(shared.cache.js_status(&host)))
        }
        ControlRequest::Health => {
            ControlResponse::ok(ControlData::Health(shared.routes.load().report()))
        }
        ControlRequest::Bans => ControlResponse::ok(ControlData::Bans(BansReport {
            bans: shared.limiter.bans().list(Instant::now()),
        })),
        ControlRequest::BansClear { ip } => {
            let ip = match ip.as_deref().map(str::parse) {
                None => None,
                Some(Ok(ip)) => Some(ip),
                Some(Err(_)) => {
                    return ControlResponse::err("ip: not an IP address", Vec::new());
                }
            };
            let n = shared.limiter.bans().clear(ip);
            ControlResponse::ok(ControlData::Cleared(Cleared { cleared: n as u64 }))
        }
        ControlRequest::CcClearCounters => {
            shared.limiter.clear_counters();
            ControlResponse::ok(ControlData::Cleared(Cleared { cleared: 0 }))
        }
        ControlRequest::ChallengeIssue { ip } => match ip.parse() {
            Ok(ip) => {
                let (token, expires_at) = shared.challenger.issue(ip);
                ControlResponse::ok(ControlData::Challenge(ChallengeIssued {
                    token,
                    difficulty: shared.challenger.bits(),
                    expires_at,
                }))
            }
            Err(_) => ControlResponse::err("ip: not an IP address", Vec::new()),
        },
        ControlRequest::ChallengeVerify { ip, token, nonce } => {
            let Ok(ip) = ip.parse() else {
                return ControlResponse::err("ip: not an IP address", Vec::new());
            };
            match shared.challenger.verify(ip, &token, &nonce) {
                Some(set_cookie) => ControlResponse::ok(ControlData::Clearance(Clearance {
                    set_cookie,
                    clearance_expires_at: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                        + shared.challenger.cookie_ttl(),
                })),
                None => ControlResponse::err(
                    "challenge not solved: wrong nonce, expired token, or another client IP",
                    Vec::new(),
                ),
            }
        }
        ControlRequest::CaptchaIssue { ip } => {
            let Ok(ip) = ip.parse() else {
                return ControlResponse::err("ip: not an IP address", Vec::new());
            };
            // Drawing takes a moment: off the control socket's task.
            let s = shared.clone();
            match tokio::task::spawn_blocking(move || s.captchas.issue(ip)).await {
                Ok(Some(c)) => ControlResponse::ok(ControlData::Captcha(c)),
                Ok(None) => ControlResponse::err(waf_core::control::CAPTCHA_BUSY, Vec::new()),
                Err(e) => ControlResponse::err(format!("captcha task failed: {e}"), Vec::new()),
            }
        }
        ControlRequest::AcmeChallengeSet {
            token,
            host,
            key_authorization,
        } => match shared.acme.set(&token, &host, &key_authorization) {
            Ok(()) => ControlResponse::ok(ControlData::Cleared(Cleared { cleared: 0 })),
            Err(e) => ControlResponse::err(e, Vec::new()),
        },
        ControlRequest::AcmeChallengeClear { tokens } => {
            ControlResponse::ok(ControlData::Cleared(Cleared {
                cleared: shared.acme.clear(&tokens) as u64,
            }))
        }
        ControlRequest::CaptchaVerify { ip, answer } => {
            let Ok(ip) = ip.parse() else {
                return ControlResponse::err("ip: not an IP address", Vec::new());
            };
            match shared.captchas.verify(ip, &answer) {
                Ok(()) => ControlResponse::ok(ControlData::Clearance(Clearance {
                    set_cookie: shared.challenger.clearance(ip),
                    clearance_expires_at: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                        + shared.challenger.cookie_ttl(),
                })),
                Err(e) => ControlResponse::err(format!("captcha not solved: {e}"), Vec::new()),
            }
        }
    }
}

/// Reloads on a blocking thread (file I/O, compile, DNS).
pub async fn reload(shared: &Arc<Shared>) -> ControlResponse {
    let s = shared.clone();
    match tokio::task::spawn_blocking(move || s.reload()).await {
        Ok(Ok(report)) => ControlResponse::ok(ControlData::Reload(report)),
        Ok(Err(errors)) => ControlResponse::err("compile failed", errors.0),
        Err(e) => ControlResponse::err(format!("reload task failed: {e}"), Vec::new()),
    }
}
