//! Feedbacks (§8.14): the false-positive reports users file from waf-proxy's block pages
//! ([`crate::feedback`] stores them). List, review (new / accepted / rejected) and delete.
//! Accepting a report offers the narrow exclusion of its attack event (rule + path + parameter)
//! and, with `apply: true`, adds it to `managed.exclusions` through the rules write path.

use actix_web::{delete, get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::RawExclusion;

use super::IdsOrAll;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::feedback::{self, Exclusion, Feedback, FeedbackPage, Status};
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use crate::state::now;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(set_status).service(delete_some);
}

/// Most ids in one delete.
const MAX_IDS: usize = 10_000;

/// Query of `GET /feedbacks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page, from 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Page size, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Only reports with this status.
    pub status: Option<Status>,
}

/// Body of `PUT /feedbacks/{id}/status`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
// Its own name in /openapi.yaml: `StatusBody` is the site module's (`POST /site/status`).
#[schema(as = FeedbackStatusBody)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// New status.
    pub status: Status,
    /// With `accepted`: also add the offered exclusion to `managed.exclusions` (managed rules
    /// only) and reload the proxy.
    #[serde(default)]
    pub apply: bool,
}

/// Answer of `PUT /feedbacks/{id}/status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusChanged {
    /// `Status updated`.
    pub message: String,
    /// The report after the change.
    pub feedback: Feedback,
    /// When accepted: the narrow exclusion of the report's event (`null` while its event is not
    /// known, or for other statuses).
    pub exclusion: Option<Exclusion>,
    /// Whether the exclusion was added to the rules.
    pub applied: bool,
    /// What the proxy said to the reload, when the exclusion was applied.
    pub reload: Option<ReloadOutcome>,
}

/// Answer of `DELETE /feedbacks`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    /// `Deleted`.
    pub message: String,
    /// Reports deleted.
    pub affected: usize,
}

/// False-positive reports, newest first, optionally of one status.
#[utoipa::path(tag = "feedbacks", params(ListQuery), responses(
    (status = 200, body = FeedbackPage),
    (status = 400, description = "validation_error", body = crate::error::ErrorBody)))]
#[get("/feedbacks", wrap = "Need::read(Module::Feedbacks)")]
async fn list(state: Authorized, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = q.page.unwrap_or(1);
    let size = q.page_size.unwrap_or(20);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::field("page", "must be 1 to 1000000"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::field("page_size", "must be 1 to 100"));
    }
    let out = state.with_db(|c| feedback::list(c, q.status, page, size))?;
    Ok(HttpResponse::Ok().json(out))
}

/// Review a report: `new`, `accepted` or `rejected`. Accepting returns the exclusion (rule +
/// path + parameter) that would let the reported request through; `apply: true` adds it.
#[utoipa::path(tag = "feedbacks", request_body = StatusBody,
    params(("id" = i64, Path, description = "Feedback id")),
    responses((status = 200, body = StatusChanged),
        (status = 400, description = "validation_error", body = crate::error::ErrorBody),
        (status = 404, description = "not_found", body = crate::error::ErrorBody)))]
#[put("/feedbacks/{id}/status", wrap = "Need::write(Module::Feedbacks)")]
async fn set_status(
    state: Authorized,
    id: web::Path<i64>,
    body: web::Json<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    if body.apply && body.status != Status::Accepted {
        return Err(ApiError::field("apply", "only with status accepted"));
    }
    let fb = state
        .with_db(|c| feedback::set_status(c, id, body.status, now()))?
        .ok_or_else(|| ApiError::NotFound(format!("feedback {id}")))?;
    let exclusion = (fb.status == Status::Accepted)
        .then(|| fb.exclusion())
        .flatten();
    let (mut applied, mut reload) = (false, None);
    if body.apply {
        let x = exclusion.as_ref().ok_or_else(|| {
            ApiError::field("apply", "the report's attack event is not known yet")
        })?;
        let rule: u32 = x.rule_id.parse().map_err(|_| {
            ApiError::field(
                "apply",
                "only managed rules take exclusions; change the custom rule instead",
            )
        })?;
        let raw = RawExclusion {
            rule_ids: vec![rule],
            path: x.path.clone(),
            parameter: x.parameter.clone(),
        };
        let ((), outcome) = state
            .change(|doc| {
                let m = doc.managed_mut();
                if !m.exclusions.contains(&raw) {
                    m.exclusions.push(raw);
                }
                Ok(())
            })
            .await?;
        applied = true;
        reload = Some(outcome);
    }
    Ok(HttpResponse::Ok().json(StatusChanged {
        message: "Status updated".into(),
        feedback: fb,
        exclusion,
        applied,
        reload,
    }))
}

/// Delete reports: `{"ids": [..]}` or `{"all": true}`.
#[utoipa::path(tag = "feedbacks", request_body = IdsOrAll, responses(
    (status = 200, body = Deleted),
    (status = 400, description = "validation_error", body = crate::error::ErrorBody)))]
#[delete("/feedbacks", wrap = "Need::write(Module::Feedbacks)")]
async fn delete_some(
    state: Authorized,
    body: web::Json<IdsOrAll>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let n = match (b.all, b.ids.len()) {
        (true, 0) => state.with_db(feedback::delete_all)?,
        (true, _) => return Err(ApiError::field("ids", "give ids or all, not both")),
        (false, 0) => {
            return Err(ApiError::field(
                "ids",
                "give a non-empty ids list or all: true",
            ))
        }
        (false, n) if n > MAX_IDS => return Err(ApiError::field("ids", "at most 10000 ids")),
        (false, _) => state.with_db(|c| feedback::delete(c, &b.ids))?,
    };
    Ok(HttpResponse::Ok().json(Deleted {
        message: "Deleted".into(),
        affected: n,
    }))
}
