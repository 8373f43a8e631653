//! JavaScript obfuscation of cached scripts (§8.6): `POST /cache/js-obfuscate {"host"}` has
//! waf-proxy minify and mangle that host's cached JavaScript in the background (oxc), served
//! from the cache afterwards; `GET /cache/js-obfuscate/status?host=` is its progress.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{ControlData, ControlRequest, ControlResponse, JsObfuscation, JsTaskState};

use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::state::AppState;

/// Registers the two routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(start).service(status);
}

/// `{"host": "example.com"}`.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JsHost {
    /// The host whose cached JavaScript is rewritten.
    pub host: String,
}

/// A run's state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsState {
    /// None ran for this host since waf-proxy started.
    Idle,
    /// Rewriting.
    Running,
    /// Finished.
    Done,
}

/// Progress of a host's JavaScript rewrite.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsProgress {
    /// `JS obfuscation started`, `JS obfuscation already running` or the state in words.
    pub message: String,
    /// Id of the run (empty when none ran).
    pub task_id: String,
    /// Host.
    pub host: String,
    /// State.
    pub status: JsState,
    /// Percent of the host's cached scripts looked at.
    pub progress: u8,
    /// Cached scripts of the host when the run started.
    pub total: u64,
    /// Scripts looked at.
    pub processed: u64,
    /// Scripts rewritten and stored back in the cache.
    pub rewritten: u64,
    /// Scripts left as they are (encoded, not UTF-8, or not smaller).
    pub skipped: u64,
    /// Scripts that did not parse (left as they are).
    pub failed: u64,
    /// Bytes of the rewritten scripts before.
    pub bytes_before: u64,
    /// Bytes of the rewritten scripts after.
    pub bytes_after: u64,
    /// Unix time the run started (0: none ran).
    pub started_at: u64,
    /// Unix time the run finished (0: running or none ran).
    pub finished_at: u64,
}

fn view(j: JsObfuscation, message: &str) -> JsProgress {
    JsProgress {
        message: message.into(),
        task_id: j.task_id,
        host: j.host,
        status: match j.state {
            JsTaskState::Idle => JsState::Idle,
            JsTaskState::Running => JsState::Running,
            JsTaskState::Done => JsState::Done,
        },
        progress: j.progress,
        total: j.total,
        processed: j.processed,
        rewritten: j.rewritten,
        skipped: j.skipped,
        failed: j.failed,
        bytes_before: j.bytes_before,
        bytes_after: j.bytes_after,
        started_at: j.started_at,
        finished_at: j.finished_at,
    }
}

/// A host name as the cache keys it: 1-253 bytes of letters, digits, `-`, `.`, `:` and `[]`.
fn host(h: &str) -> Result<String, ApiError> {
    let h = h.trim().to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if ok {
        Ok(h)
    } else {
        Err(ApiError::field("host", "a host name"))
    }
}

async fn ask(state: &AppState, req: ControlRequest) -> Result<JsObfuscation, ApiError> {
    let resp: ControlResponse = state.proxy.call(&req).await?;
    match resp.data {
        Some(ControlData::JsObfuscation(j)) if resp.ok => Ok(j),
        _ => Err(ApiError::ProxyUnavailable(
            resp.error.unwrap_or_else(|| "unexpected answer".into()),
        )),
    }
}

/// Start minifying and mangling the host's cached JavaScript (oxc); the rewritten scripts are
/// served from the cache. While a run of the host is going its progress is answered instead.
#[utoipa::path(tag = "cache", request_body = JsHost, responses((status = 200, body = JsProgress),
    (status = 400, description = "validation_error"), (status = 503, description = "proxy_unavailable")))]
#[post("/cache/js-obfuscate", wrap = "Need::write(Module::Cache)")]
async fn start(state: Authorized, body: web::Json<JsHost>) -> Result<HttpResponse, ApiError> {
    let host = host(&body.host)?;
    let before = ask(
        &state,
        ControlRequest::CacheJsObfuscateStatus { host: host.clone() },
    )
    .await?;
    let j = ask(&state, ControlRequest::CacheJsObfuscate { host }).await?;
    let message = if before.state == JsTaskState::Running && before.task_id == j.task_id {
        "JS obfuscation already running"
    } else {
        "JS obfuscation started"
    };
    Ok(HttpResponse::Ok().json(view(j, message)))
}

/// Progress of the host's last JavaScript rewrite.
#[utoipa::path(tag = "cache", params(JsHost), responses((status = 200, body = JsProgress),
    (status = 400, description = "validation_error"), (status = 503, description = "proxy_unavailable")))]
#[get("/cache/js-obfuscate/status", wrap = "Need::read(Module::Cache)")]
async fn status(state: Authorized, q: web::Query<JsHost>) -> Result<HttpResponse, ApiError> {
    let host = host(&q.host)?;
    let j = ask(&state, ControlRequest::CacheJsObfuscateStatus { host }).await?;
    let message = match j.state {
        JsTaskState::Idle => "no JS obfuscation ran for this host",
        JsTaskState::Running => "running",
        JsTaskState::Done => "done",
    };
    Ok(HttpResponse::Ok().json(view(j, message)))
}
