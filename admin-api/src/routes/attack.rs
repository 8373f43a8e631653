//! Attack logs and the log half of CC protection (`/cc/stats`, `/cc/logs`): queries
//! over the `attack_logs` table that [`crate::ingest`] fills from waf-proxy's event log. CC events
//! are the attack events with `attack_type` `cc`.

use actix_web::http::header;
use actix_web::{delete, get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::bodies::Affected;
use super::export::Format;
use super::IdsOrAll;
use crate::access::{Module, Need};
use crate::attack_log::{
    self, AttackLog, Deletion, Filter, IpGroup, Page, PageOf, Retention, RuleCount, CC,
};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::state::{now, AppState};

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(logs)
        .service(log_one)
        .service(stats)
        .service(ip_groups)
        .service(export)
        .service(delete_logs)
        .service(get_retention)
        .service(put_retention)
        .service(cc_stats)
        .service(cc_logs)
        .service(cc_delete);
}

/// Longest accepted filter value.
const MAX_FILTER: usize = 512;
/// Most ids in one delete.
const MAX_IDS: usize = 10_000;

/// Query of `/attack/logs` and `/cc/logs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Page, from 1 (required).
    #[param(required = true, minimum = 1)]
    pub page: Option<i64>,
    /// Page size, 1-100 (required).
    #[param(required = true, minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Exact host.
    pub host: Option<String>,
    /// Exact client IP.
    pub client_ip: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Rule id (`acl_3`, `cc_1`, a managed rule number, a custom rule id).
    pub rule_id: Option<String>,
    /// From (unix seconds, inclusive).
    pub start_time: Option<i64>,
    /// To (unix seconds, inclusive).
    pub end_time: Option<i64>,
}

/// Filters shared by the list and the export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Exact host.
    pub host: Option<String>,
    /// Exact client IP.
    pub client_ip: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Rule id.
    pub rule_id: Option<String>,
    /// From (unix seconds, inclusive).
    pub start_time: Option<i64>,
    /// To (unix seconds, inclusive).
    pub end_time: Option<i64>,
}

/// Optional paging (`/attack/ip-groups`): defaults page 1, 20 per page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Page size, 1-100.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

fn page(page: Option<i64>, size: Option<i64>) -> Result<Page, ApiError> {
    let page = page.ok_or_else(|| ApiError::field("page", "required (from 1)"))?;
    let size = size.ok_or_else(|| ApiError::field("page_size", "required (1-100)"))?;
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::field("page", "must be 1 to 1000000"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::field("page_size", "must be 1 to 100"));
    }
    Ok(Page {
        page,
        page_size: size,
    })
}

fn text(name: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_FILTER => Err(ApiError::field(name, "too long")),
        other => Ok(other),
    }
}

fn filter(
    host: Option<String>,
    client_ip: Option<String>,
    method: Option<String>,
    rule_id: Option<String>,
    start_time: Option<i64>,
    end_time: Option<i64>,
) -> Result<Filter, ApiError> {
    let method = text("method", method)?.map(|m| m.to_ascii_uppercase());
    if let Some(m) = &method {
        if m.len() > 20 || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ApiError::field("method", "an HTTP method name"));
        }
    }
    if let (Some(s), Some(e)) = (start_time, end_time) {
        if s > e {
            return Err(ApiError::field("end_time", "must not be before start_time"));
        }
    }
    Ok(Filter {
        host: text("host", host)?.map(|h| h.to_ascii_lowercase()),
        client_ip: text("client_ip", client_ip)?,
        method,
        rule_id: text("rule_id", rule_id)?,
        attack_type: None,
        start_time,
        end_time,
    })
}

impl TryFrom<LogQuery> for (Filter, Page) {
    type Error = ApiError;
    fn try_from(q: LogQuery) -> Result<Self, ApiError> {
        let p = page(q.page, q.page_size)?;
        let f = filter(
            q.host,
            q.client_ip,
            q.method,
            q.rule_id,
            q.start_time,
            q.end_time,
        )?;
        Ok((f, p))
    }
}

impl TryFrom<ExportQuery> for (Filter, Format) {
    type Error = ApiError;
    fn try_from(q: ExportQuery) -> Result<Self, ApiError> {
        let format = match q.format.as_deref().map(str::trim) {
            None | Some("") | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(_) => return Err(ApiError::field("format", "json or csv")),
        };
        let f = filter(
            q.host,
            q.client_ip,
            q.method,
            q.rule_id,
            q.start_time,
            q.end_time,
        )?;
        Ok((f, format))
    }
}

/// What a delete body (`{"ids"}` or `{"all": true}`) removes.
fn deletion(b: IdsOrAll) -> Result<Deletion, ApiError> {
    {
        match (b.all, b.ids.len()) {
            (true, 0) => Ok(Deletion::All),
            (true, _) => Err(ApiError::field("ids", "give ids or all, not both")),
            (false, 0) => Err(ApiError::field(
                "ids",
                "give a non-empty ids list or all: true",
            )),
            (false, n) if n > MAX_IDS => Err(ApiError::field("ids", "at most 10000 ids")),
            (false, _) => Ok(Deletion::Ids(b.ids)),
        }
    }
}

/// `{"total_attacks", "today_attacks", "top_rules"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttackStats {
    /// Events in all.
    pub total_attacks: i64,
    /// Events since 00:00 UTC.
    pub today_attacks: i64,
    /// The ten most frequent rules.
    pub top_rules: Vec<RuleCount>,
}

/// `{"groups", "total", "page", "page_size"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IpGroups {
    /// Events per client IP, most active first.
    pub groups: Vec<IpGroup>,
    /// Distinct client IPs.
    pub total: i64,
    /// Page number.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
}

/// `{"message", "retention"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetentionUpdated {
    /// `Retention updated`.
    pub message: String,
    /// The retention now enforced.
    pub retention: Retention,
}

/// The CC overview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CcStats {
    /// CC events in all.
    pub total_blocked: i64,
    /// CC events since 00:00 UTC.
    pub today_blocked: i64,
    /// Bans the proxy holds now (0 when it is down).
    pub active_attacks: u64,
    /// The ten most active client IPs.
    pub top_blocked_ips: Vec<IpGroup>,
    /// The ten most frequent CC rules.
    pub rule_stats: Vec<RuleCount>,
}

fn list_page(state: &AppState, f: Filter, p: Page) -> Result<HttpResponse, ApiError> {
    let page = state.with_db(|c| attack_log::list(c, &f, p))?;
    Ok(HttpResponse::Ok().json(page))
}

fn midnight_utc() -> i64 {
    let n = now();
    n - n.rem_euclid(86_400)
}

/// Attack logs, newest first, filtered.
#[utoipa::path(tag = "attack", params(LogQuery), responses(
    (status = 200, body = PageOf<AttackLog>),
    (status = 400, description = "validation_error (page and page_size are required)")))]
#[get("/attack/logs", wrap = "Need::read(Module::Attack)")]
async fn logs(state: Authorized, q: web::Query<LogQuery>) -> Result<HttpResponse, ApiError> {
    let (f, p) = <(Filter, Page)>::try_from(q.into_inner())?;
    list_page(&state, f, p)
}

/// One attack log.
#[utoipa::path(tag = "attack", params(("id" = i64, Path, description = "Log id")),
    responses((status = 200, body = AttackLog), (status = 404, description = "not_found")))]
#[get("/attack/logs/{id}", wrap = "Need::read(Module::Attack)")]
async fn log_one(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let log = state
        .with_db(|c| attack_log::get(c, id, None))?
        .ok_or_else(|| ApiError::NotFound(format!("attack log {id}")))?;
    Ok(HttpResponse::Ok().json(log))
}

/// Totals, today's count (since 00:00 UTC) and the ten most frequent rules.
#[utoipa::path(tag = "attack", responses((status = 200, body = AttackStats)))]
#[get("/attack/stats", wrap = "Need::read(Module::Attack)")]
async fn stats(state: Authorized) -> Result<HttpResponse, ApiError> {
    let t = state.with_db(|c| attack_log::totals(c, None, midnight_utc(), 10))?;
    Ok(HttpResponse::Ok().json(AttackStats {
        total_attacks: t.total,
        today_attacks: t.since,
        top_rules: t.top_rules,
    }))
}

/// Attacks grouped by client IP, most active first.
#[utoipa::path(tag = "attack", params(PageQuery), responses((status = 200, body = IpGroups),
    (status = 400, description = "validation_error")))]
#[get("/attack/ip-groups", wrap = "Need::read(Module::Attack)")]
async fn ip_groups(state: Authorized, q: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let p = page(q.page.or(Some(1)), q.page_size.or(Some(20)))?;
    let (groups, total) = state.with_db(|c| attack_log::ip_groups(c, None, p))?;
    Ok(HttpResponse::Ok().json(IpGroups {
        groups,
        total,
        page: p.page,
        page_size: p.page_size,
    }))
}

/// Every matching log, oldest first, as a streamed JSON array or CSV file (read from the
/// database in batches while sending; never held whole in memory).
#[utoipa::path(tag = "attack", params(ExportQuery), responses(
    (status = 200, description = "a file stream: a JSON array of attack logs, or CSV",
        content((Vec<AttackLog> = "application/json"), (String = "text/csv"))),
    (status = 400, description = "validation_error")))]
#[get("/attack/export", wrap = "Need::read(Module::Attack)")]
async fn export(state: Authorized, q: web::Query<ExportQuery>) -> Result<HttpResponse, ApiError> {
    let (f, format) = <(Filter, Format)>::try_from(q.into_inner())?;
    let (ctype, name) = match format {
        Format::Json => ("application/json", "attack_logs.json"),
        Format::Csv => ("text/csv; charset=utf-8", "attack_logs.csv"),
    };
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(super::export::stream(state.into_inner(), f, format)))
}

/// Delete logs: `{"ids": [..]}` or `{"all": true}`.
#[utoipa::path(tag = "attack", request_body = IdsOrAll, responses(
    (status = 200, body = Affected),
    (status = 400, description = "validation_error")))]
#[delete("/attack/logs", wrap = "Need::write(Module::Attack)")]
async fn delete_logs(
    state: Authorized,
    body: web::Json<IdsOrAll>,
) -> Result<HttpResponse, ApiError> {
    let what = deletion(body.into_inner())?;
    let n = state.with_db(|c| attack_log::delete(c, &what, None))?;
    Ok(HttpResponse::Ok().json(Affected {
        message: "Deleted".into(),
        affected: n,
    }))
}

/// Retention of the attack log (an extension): maximum age and rows, enforced every minute.
#[utoipa::path(tag = "attack", responses((status = 200, body = Retention)))]
#[get("/attack/retention", wrap = "Need::read(Module::Attack)")]
async fn get_retention(state: Authorized) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.with_db(Retention::load)?))
}

/// Set the retention (`max_age_days` 1-3650, `max_rows` 1000-100000000).
#[utoipa::path(tag = "attack", request_body = Retention, responses(
    (status = 200, body = RetentionUpdated),
    (status = 400, description = "validation_error")))]
#[put("/attack/retention", wrap = "Need::write(Module::Attack)")]
async fn put_retention(
    state: Authorized,
    body: web::Json<Retention>,
) -> Result<HttpResponse, ApiError> {
    let r = body
        .into_inner()
        .validate()
        .map_err(|(f, why)| ApiError::field(f, why))?;
    let text = serde_json::to_string(&r).map_err(ApiError::internal)?;
    state.with_db(|c| crate::kv::set(c, attack_log::RETENTION_KEY, &text))?;
    Ok(HttpResponse::Ok().json(RetentionUpdated {
        message: "Retention updated".into(),
        retention: r,
    }))
}

/// CC overview: blocks in all and today, bans held now (from the proxy, 0 when it is down), top
/// IPs and rules.
#[utoipa::path(tag = "cc", responses((status = 200, body = CcStats)))]
#[get("/cc/stats", wrap = "Need::read(Module::Cc)")]
async fn cc_stats(state: Authorized) -> Result<HttpResponse, ApiError> {
    let t = state.with_db(|c| attack_log::totals(c, Some(CC), midnight_utc(), 10))?;
    let top = Page {
        page: 1,
        page_size: 10,
    };
    let (ips, _) = state.with_db(|c| attack_log::ip_groups(c, Some(CC), top))?;
    let bans = super::monitor::proxy_stats(&state)
        .await
        .map(|s| s.cc_bans)
        .unwrap_or(0);
    Ok(HttpResponse::Ok().json(CcStats {
        total_blocked: t.total,
        today_blocked: t.since,
        active_attacks: bans,
        top_blocked_ips: ips,
        rule_stats: t.top_rules,
    }))
}

/// CC events (bans and challenges), newest first.
#[utoipa::path(tag = "cc", params(LogQuery), responses(
    (status = 200, body = PageOf<AttackLog>),
    (status = 400, description = "validation_error")))]
#[get("/cc/logs", wrap = "Need::read(Module::Cc)")]
async fn cc_logs(state: Authorized, q: web::Query<LogQuery>) -> Result<HttpResponse, ApiError> {
    let (mut f, p) = <(Filter, Page)>::try_from(q.into_inner())?;
    f.attack_type = Some(CC.into());
    list_page(&state, f, p)
}

/// Delete CC events: `{"ids": [..]}` or `{"all": true}` (other attack events are kept).
#[utoipa::path(tag = "cc", request_body = IdsOrAll, responses(
    (status = 200, body = Affected),
    (status = 400, description = "validation_error")))]
#[delete("/cc/logs", wrap = "Need::write(Module::Cc)")]
async fn cc_delete(state: Authorized, body: web::Json<IdsOrAll>) -> Result<HttpResponse, ApiError> {
    let what = deletion(body.into_inner())?;
    let n = state.with_db(|c| attack_log::delete(c, &what, Some(CC)))?;
    Ok(HttpResponse::Ok().json(Affected {
        message: "Deleted".into(),
        affected: n,
    }))
}
