//! CC protection: rule CRUD and clear-counters. (Stats and logs belong to the attack-log
//! module.)

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::ControlRequest;
use waf_core::model::raw::{Action, RawCcRule};

use super::allocate_id;
use super::bodies::{Created, ProxyAnswered, Saved};
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::ids::IdKind;
use crate::store::CcSection;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove)
        .service(clear_counters);
}

/// Create / update body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CcRuleInput {
    /// Host; `*` matches all.
    pub host: String,
    /// Path prefix.
    pub path: String,
    /// Max requests in the window.
    pub threshold: u64,
    /// Window in seconds.
    pub window: u64,
    /// Ban duration in seconds.
    pub ban_duration: u64,
    /// `block` or `challenge`.
    #[schema(value_type = String, example = "block")]
    pub action: Action,
    /// Enabled.
    pub enabled: bool,
    /// Notes.
    #[serde(default)]
    pub description: String,
}

/// A checked CC rule without its id.
#[derive(Debug)]
pub struct CcRuleSpec(RawCcRule);

impl TryFrom<CcRuleInput> for CcRuleSpec {
    type Error = ApiError;
    fn try_from(i: CcRuleInput) -> Result<Self, ApiError> {
        let host = i.host.trim().to_ascii_lowercase();
        if host.is_empty() {
            return Err(ApiError::field("host", "must not be empty (`*` for all)"));
        }
        if !i.path.starts_with('/') {
            return Err(ApiError::field("path", "must start with /"));
        }
        if !matches!(
            i.action,
            Action::Block | Action::Challenge | Action::Captcha
        ) {
            return Err(ApiError::field("action", "block, challenge or captcha"));
        }
        for (name, v) in [
            ("threshold", i.threshold),
            ("window", i.window),
            ("ban_duration", i.ban_duration),
        ] {
            if v == 0 {
                return Err(ApiError::field(name, "must be at least 1"));
            }
        }
        Ok(CcRuleSpec(RawCcRule {
            id: 0,
            host,
            path: i.path,
            threshold: i.threshold,
            window: i.window,
            ban_duration: i.ban_duration,
            action: i.action,
            enabled: i.enabled,
            description: i.description,
        }))
    }
}

impl CcRuleSpec {
    fn with_id(mut self, id: u64) -> RawCcRule {
        self.0.id = id;
        self.0
    }
}

/// `{"rules": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CcRules {
    /// Every CC rule, in file order.
    #[schema(value_type = Vec<super::models::CcRule>)]
    pub rules: Vec<RawCcRule>,
}

/// List CC rules.
#[utoipa::path(tag = "cc", responses((status = 200, body = CcRules)))]
#[get("/cc/rules", wrap = "Need::read(Module::Cc)")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let rules = state.rules_doc()?.all::<CcSection>();
    Ok(HttpResponse::Ok().json(CcRules { rules }))
}

/// Create a CC rule.
#[utoipa::path(tag = "cc", request_body = CcRuleInput,
    responses((status = 200, body = Created), (status = 400, description = "validation_error")))]
#[post("/cc/rules", wrap = "Need::write(Module::Cc)")]
async fn create(state: Authorized, body: web::Json<CcRuleInput>) -> Result<HttpResponse, ApiError> {
    let spec = CcRuleSpec::try_from(body.into_inner())?;
    let (id, reload) = state
        .change(|doc| {
            let id = allocate_id(
                &state,
                IdKind::Cc,
                doc.all::<CcSection>().iter().map(|r| r.id),
            )?;
            doc.push::<CcSection>(spec.with_id(id));
            Ok(id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Created {
        id,
        message: "CC rule created".into(),
        reload,
    }))
}

/// Update a CC rule.
#[utoipa::path(tag = "cc", request_body = CcRuleInput,
    params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[put("/cc/rules/{id}", wrap = "Need::write(Module::Cc)")]
async fn update(
    state: Authorized,
    id: web::Path<u64>,
    body: web::Json<CcRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let spec = CcRuleSpec::try_from(body.into_inner())?;
    let ((), reload) = state
        .change(|doc| {
            let rule = doc
                .find_mut::<CcSection>(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("CC rule {id}")))?;
            *rule = spec.with_id(id);
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("CC rule updated", reload)))
}

/// Delete a CC rule.
#[utoipa::path(tag = "cc", params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[delete("/cc/rules/{id}", wrap = "Need::write(Module::Cc)")]
async fn remove(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ((), reload) = state
        .change(|doc| match doc.remove::<CcSection>(|r| r.id == id) {
            0 => Err(ApiError::NotFound(format!("CC rule {id}"))),
            _ => Ok(()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("CC rule deleted", reload)))
}

/// Forget every CC counter in the running proxy (bans stay).
#[utoipa::path(tag = "cc", responses(
    (status = 200, body = ProxyAnswered),
    (status = 503, description = "proxy_unavailable")))]
#[post("/cc/clear-counters", wrap = "Need::write(Module::Cc)")]
async fn clear_counters(state: Authorized) -> Result<HttpResponse, ApiError> {
    let resp = state.proxy.call(&ControlRequest::CcClearCounters).await?;
    if !resp.ok {
        return Err(ApiError::internal(format!(
            "proxy refused cc-clear-counters: {}",
            resp.error.unwrap_or_default()
        )));
    }
    Ok(HttpResponse::Ok().json(ProxyAnswered {
        message: "CC counters cleared".into(),
        proxy: resp,
    }))
}
