//! The observation room's records: list (filtered, paged, as the attack log), detail, the raw
//! exchange as HTTP text, stats and clear, over the `obs_records` table that
//! [`crate::ingest`] fills from waf-proxy's event log ([`crate::obs::store`]).

use actix_web::{get, post, web, HttpResponse};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::obs::store::{self, Filter, KeyCount, RecordSummary, StoredBody};
use crate::store::ObsSection;

/// Registers the record routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(records)
        .service(record)
        .service(record_raw)
        .service(clear)
        .service(stats);
}

/// Longest accepted filter value.
const MAX_FILTER: usize = 512;

/// Query of `/obs/records`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// Page, from 1 (required).
    #[param(required = true, minimum = 1)]
    pub page: Option<i64>,
    /// Page size, 1-100 (required).
    #[param(required = true, minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Exact host.
    pub host: Option<String>,
    /// Path prefix (`/api`).
    pub path: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Response status.
    pub status: Option<u16>,
    /// Exact client IP.
    pub client_ip: Option<String>,
    /// Observation rule id.
    pub rule_id: Option<u64>,
    /// From (unix seconds, inclusive).
    pub start_time: Option<i64>,
    /// To (unix seconds, inclusive).
    pub end_time: Option<i64>,
}

fn text(name: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_FILTER => Err(ApiError::field(name, "too long")),
        other => Ok(other),
    }
}

impl TryFrom<RecordQuery> for (Filter, i64, i64) {
    type Error = ApiError;
    fn try_from(q: RecordQuery) -> Result<Self, ApiError> {
        let page = q
            .page
            .ok_or_else(|| ApiError::field("page", "required (from 1)"))?;
        let size = q
            .page_size
            .ok_or_else(|| ApiError::field("page_size", "required (1-100)"))?;
        if !(1..=1_000_000).contains(&page) {
            return Err(ApiError::field("page", "must be 1 to 1000000"));
        }
        if !(1..=100).contains(&size) {
            return Err(ApiError::field("page_size", "must be 1 to 100"));
        }
        let method = text("method", q.method)?.map(|m| m.to_ascii_uppercase());
        if method
            .as_ref()
            .is_some_and(|m| m.len() > 20 || !m.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(ApiError::field("method", "an HTTP method name"));
        }
        let path = text("path", q.path)?;
        if path.as_ref().is_some_and(|p| !p.starts_with('/')) {
            return Err(ApiError::field("path", "a path prefix starting with /"));
        }
        if q.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Err(ApiError::field("status", "an HTTP status, 100 to 599"));
        }
        if let (Some(s), Some(e)) = (q.start_time, q.end_time) {
            if s > e {
                return Err(ApiError::field("end_time", "must not be before start_time"));
            }
        }
        let f = Filter {
            host: text("host", q.host)?.map(|h| h.to_ascii_lowercase()),
            path,
            method,
            status: q.status,
            client_ip: text("client_ip", q.client_ip)?,
            rule_id: q.rule_id,
            start_time: q.start_time,
            end_time: q.end_time,
        };
        Ok((f, page, size))
    }
}

/// One page of records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage {
    /// Newest first.
    pub records: Vec<RecordSummary>,
    /// Records matching the filter.
    pub total: i64,
    /// Page number.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
    /// Pages in all.
    pub total_pages: i64,
}

/// A recorded header (its value redacted by the proxy when it is a credential).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordHeader {
    /// Name as sent.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A recorded body prefix.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordBody {
    /// The bytes kept, as text, when they are UTF-8 (else absent: see `base64`).
    pub text: Option<String>,
    /// The bytes kept, base64.
    pub base64: String,
    /// Bytes kept.
    pub kept: usize,
    /// Bytes that went through the WAF in all.
    pub size: i64,
    /// Whether the body limit cut it (`size` > `kept`).
    pub truncated: bool,
}

impl From<StoredBody> for RecordBody {
    fn from(b: StoredBody) -> Self {
        RecordBody {
            base64: base64::engine::general_purpose::STANDARD.encode(&b.data),
            kept: b.data.len(),
            text: String::from_utf8(b.data).ok(),
            size: b.size,
            truncated: b.truncated,
        }
    }
}

/// One side of an exchange.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordSide {
    /// Headers in order.
    pub headers: Vec<RecordHeader>,
    /// Body prefix.
    pub body: RecordBody,
}

/// A whole record.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDetail {
    /// The list fields.
    #[serde(flatten)]
    pub summary: RecordSummary,
    /// `HTTP/1.1`, `HTTP/2.0`, ...
    pub version: String,
    /// The request as received.
    pub request: RecordSide,
    /// The response as sent to the client (the WAF's page when `blocked`).
    pub response: RecordSide,
}

fn side(headers: Vec<waf_core::event::HeaderLine>, body: StoredBody) -> RecordSide {
    RecordSide {
        headers: headers
            .into_iter()
            .map(|h| RecordHeader {
                name: h.name,
                value: h.value,
            })
            .collect(),
        body: body.into(),
    }
}

/// The exchange as HTTP text.
#[derive(Debug, Serialize, ToSchema)]
pub struct RawExchange {
    /// Record id.
    pub id: i64,
    /// Request line, headers, blank line, body prefix (`CRLF` line ends).
    pub request: String,
    /// Status line, headers, blank line, body prefix; empty when no response was sent.
    pub response: String,
    /// Whether the request body is cut at the limit.
    pub request_truncated: bool,
    /// Whether the response body is cut at the limit.
    pub response_truncated: bool,
}

/// Records per rule and host.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsStats {
    /// Whether recording is on.
    pub enabled: bool,
    /// Enabled observation rules.
    pub rules: usize,
    /// Records held.
    pub total_records: i64,
    /// Records since 00:00 UTC.
    pub today_records: i64,
    /// Records of requests the WAF refused.
    pub blocked_records: i64,
    /// Body bytes held.
    pub body_bytes: i64,
    /// Oldest record held, `YYYY-MM-DD HH:MM:SS` (UTC).
    pub oldest: Option<String>,
    /// Newest record held.
    pub newest: Option<String>,
    /// The ten rules with most records (`key` = rule id, `name` = its name).
    pub top_rules: Vec<KeyCount>,
    /// The ten hosts with most records.
    pub top_hosts: Vec<KeyCount>,
}

/// What a clear removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsCleared {
    /// In words.
    pub message: String,
    /// Records deleted.
    pub affected: usize,
}

/// Records, newest first, filtered.
#[utoipa::path(tag = "obs", params(RecordQuery), responses(
    (status = 200, body = RecordPage),
    (status = 400, description = "validation_error (page and page_size are required)")))]
#[get("/obs/records", wrap = "Need::read(Module::Obs)")]
async fn records(state: Authorized, q: web::Query<RecordQuery>) -> Result<HttpResponse, ApiError> {
    let (f, page, page_size) = <(Filter, i64, i64)>::try_from(q.into_inner())?;
    let (records, total) = state.with_db(|c| store::list(c, &f, page, page_size))?;
    Ok(HttpResponse::Ok().json(RecordPage {
        records,
        total,
        page,
        page_size,
        total_pages: (total + page_size - 1) / page_size,
    }))
}

fn load(state: &Authorized, id: i64) -> Result<store::Record, ApiError> {
    state
        .with_db(|c| store::get(c, id))?
        .ok_or_else(|| ApiError::NotFound(format!("observation record {id}")))
}

/// One record: request and response, headers and body prefixes.
#[utoipa::path(tag = "obs", params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = RecordDetail), (status = 404, description = "not_found")))]
#[get("/obs/records/{id}", wrap = "Need::read(Module::Obs)")]
async fn record(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let r = load(&state, id.into_inner())?;
    Ok(HttpResponse::Ok().json(RecordDetail {
        summary: r.summary,
        version: r.version,
        request: side(r.request_headers, r.request_body),
        response: side(r.response_headers, r.response_body),
    }))
}

/// One record as HTTP text: the request and the response as they went over the wire (credentials
/// redacted, bodies cut at the limit).
#[utoipa::path(tag = "obs", params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = RawExchange), (status = 404, description = "not_found")))]
#[get("/obs/records/{id}/raw", wrap = "Need::read(Module::Obs)")]
async fn record_raw(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let r = load(&state, id.into_inner())?;
    let (request, response) = crate::obs::http_text(&r);
    Ok(HttpResponse::Ok().json(RawExchange {
        id: r.summary.id,
        request,
        response,
        request_truncated: r.request_body.truncated,
        response_truncated: r.response_body.truncated,
    }))
}

/// Delete every record.
#[utoipa::path(tag = "obs", responses((status = 200, body = ObsCleared)))]
#[post("/obs/records/clear", wrap = "Need::write(Module::Obs)")]
async fn clear(state: Authorized) -> Result<HttpResponse, ApiError> {
    let affected = state.with_db(store::clear)?;
    Ok(HttpResponse::Ok().json(ObsCleared {
        message: "Observation records cleared".into(),
        affected,
    }))
}

/// Totals, today's count, the busiest rules and hosts.
#[utoipa::path(tag = "obs", responses((status = 200, body = ObsStats)))]
#[get("/obs/stats", wrap = "Need::read(Module::Obs)")]
async fn stats(state: Authorized) -> Result<HttpResponse, ApiError> {
    let doc = state.rules_doc()?;
    let now = crate::state::now();
    let t = state.with_db(|c| store::totals(c, now - now.rem_euclid(86_400)))?;
    Ok(HttpResponse::Ok().json(ObsStats {
        enabled: doc.observation().enabled,
        rules: doc.all::<ObsSection>().iter().filter(|r| r.enabled).count(),
        total_records: t.total,
        today_records: t.since,
        blocked_records: t.blocked,
        body_bytes: t.body_bytes,
        oldest: t.oldest.map(crate::clock::format_time),
        newest: t.newest.map(crate::clock::format_time),
        top_rules: t.top_rules,
        top_hosts: t.top_hosts,
    }))
}
