//! The observation room (§8.9), its rules and configuration: both are written to the rule set
//! (`obs_rules` and `observation`, in `observe.yaml` unless another file holds them), compiled
//! with waf-core before anything is written, and reach waf-proxy by reload. The records are in
//! `obs_records.rs`.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::{RawJudge, RawObsRule, RawObservation, Relation};

use super::allocate_id;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::ids::IdKind;
use crate::proxy::ReloadOutcome;
use crate::store::ObsSection;

/// Registers the module (records included).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(config_get)
        .service(config_put)
        .service(rules_list)
        .service(rule_create)
        .service(rule_update)
        .service(rule_delete);
    super::obs_records::configure(cfg);
}

/// The observation configuration.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsConfigView {
    /// Whether anything is recorded.
    pub enabled: bool,
    /// Bytes of each body kept in a record.
    pub body_limit: usize,
    /// Records kept at most.
    pub max_records: u64,
    /// Hours a record is kept.
    pub max_age_hours: u64,
    /// Percentage of matching exchanges recorded.
    pub sample_rate: u8,
    /// Credentials redacted (`Authorization`, `Proxy-Authorization`, the named headers and
    /// cookies).
    pub redact: bool,
    /// Cookie names whose values are redacted in `Cookie` and `Set-Cookie`.
    pub redact_cookies: Vec<String>,
    /// More header names redacted whole.
    pub redact_headers: Vec<String>,
}

impl From<RawObservation> for ObsConfigView {
    fn from(r: RawObservation) -> Self {
        ObsConfigView {
            enabled: r.enabled,
            body_limit: r.body_limit,
            max_records: r.max_records,
            max_age_hours: r.max_age_hours,
            sample_rate: r.sample_rate,
            redact: r.redact,
            redact_cookies: r.redact_cookies,
            redact_headers: r.redact_headers,
        }
    }
}

/// `PUT /obs/config`: the fields to change (others keep their value).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObsConfigInput {
    /// Recording on or off.
    pub enabled: Option<bool>,
    /// 0-1048576 bytes.
    pub body_limit: Option<usize>,
    /// 100-1000000.
    pub max_records: Option<u64>,
    /// 1-8760.
    pub max_age_hours: Option<u64>,
    /// 1-100.
    pub sample_rate: Option<u8>,
    /// Redact credentials.
    pub redact: Option<bool>,
    /// Cookie names redacted (replaces the list).
    pub redact_cookies: Option<Vec<String>>,
    /// Header names redacted (replaces the list).
    pub redact_headers: Option<Vec<String>>,
}

impl ObsConfigInput {
    fn apply(self, c: &mut RawObservation) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { c.$f = v; } )* };
        }
        set!(
            enabled,
            body_limit,
            max_records,
            max_age_hours,
            sample_rate,
            redact,
            redact_cookies,
            redact_headers
        );
    }
}

/// The result of `PUT /obs/config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsConfigResult {
    /// In words.
    pub message: String,
    /// The configuration now.
    pub config: ObsConfigView,
    /// Records deleted by the new retention.
    pub removed: usize,
    /// Whether waf-proxy applied the change.
    pub reload: ReloadOutcome,
}

/// An observation rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsRuleView {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Host observed; absent for every host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Path prefix; absent for every path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Client address or network; absent for every client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// `any` or methods separated by commas.
    pub method: String,
    /// `and` or `or` (how the judges combine).
    #[schema(value_type = String, example = "and")]
    pub relation: Relation,
    /// Judges as in custom rules: `{position, content|keyword|rix, header, negate}`.
    #[schema(value_type = Vec<Object>)]
    pub judges: Vec<RawJudge>,
    /// Enabled.
    pub enabled: bool,
    /// Notes.
    pub description: String,
}

impl From<RawObsRule> for ObsRuleView {
    fn from(r: RawObsRule) -> Self {
        ObsRuleView {
            id: r.id,
            name: r.name,
            host: r.host,
            path: r.path,
            ip: r.ip,
            method: r.method,
            relation: r.relation,
            judges: r.judges,
            enabled: r.enabled,
            description: r.description,
        }
    }
}

/// Every observation rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsRules {
    /// In file order (the first matching rule records an exchange).
    pub rules: Vec<ObsRuleView>,
}

/// Create / update body. Every condition given must hold; none given observes everything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObsRuleInput {
    /// Rule name (1-200 characters).
    pub name: String,
    /// Host (exact); absent or `*` for every host.
    pub host: Option<String>,
    /// Path prefix (`/api`); absent for every path.
    pub path: Option<String>,
    /// Client address or CIDR.
    pub ip: Option<String>,
    /// `any` (default), one method or several separated by commas.
    pub method: Option<String>,
    /// `and` (default) or `or`.
    #[schema(value_type = Option<String>, example = "and")]
    pub relation: Option<Relation>,
    /// Judges as in custom rules.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub judges: Vec<RawJudge>,
    /// Enabled (default true).
    pub enabled: Option<bool>,
    /// Notes.
    #[serde(default)]
    pub description: String,
}

impl ObsRuleInput {
    /// The rule with `id`; waf-core's compiler checks the rest (and names the field).
    fn with_id(self, id: u64) -> Result<RawObsRule, ApiError> {
        if self.name.trim().is_empty() {
            return Err(ApiError::field("name", "1 to 200 characters"));
        }
        let blank = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(RawObsRule {
            id,
            name: self.name.trim().to_string(),
            host: blank(self.host),
            path: blank(self.path),
            ip: blank(self.ip),
            method: blank(self.method).unwrap_or_else(|| "any".into()),
            relation: self.relation.unwrap_or_default(),
            judges: self.judges,
            enabled: self.enabled.unwrap_or(true),
            description: self.description,
        })
    }
}

/// A created rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsRuleCreated {
    /// In words.
    pub message: String,
    /// Its id.
    pub id: u64,
    /// The rule as stored.
    pub rule: ObsRuleView,
    /// Whether waf-proxy applied the change.
    pub reload: ReloadOutcome,
}

/// An update or delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObsWritten {
    /// In words.
    pub message: String,
    /// Whether waf-proxy applied the change.
    pub reload: ReloadOutcome,
}

/// The observation configuration (defaults when the rule set has none).
#[utoipa::path(tag = "obs", responses((status = 200, body = ObsConfigView)))]
#[get("/obs/config", wrap = "Need::read(Module::Obs)")]
async fn config_get(state: Authorized) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ObsConfigView::from(state.rules_doc()?.observation())))
}

/// Update the configuration (fields not given keep their value); the new retention applies at
/// once.
#[utoipa::path(tag = "obs", request_body = ObsConfigInput, responses(
    (status = 200, body = ObsConfigResult),
    (status = 400, description = "validation_error naming the field")))]
#[put("/obs/config", wrap = "Need::write(Module::Obs)")]
async fn config_put(
    state: Authorized,
    body: web::Json<ObsConfigInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let (config, reload) = state
        .change(|doc| {
            input.apply(doc.observation_mut());
            Ok(doc.observation())
        })
        .await?;
    let retention = crate::obs::store::Retention {
        max_records: config.max_records,
        max_age_hours: config.max_age_hours,
    };
    let removed = state
        .with_db(|c| crate::obs::store::enforce_retention(c, retention, crate::state::now()))?;
    Ok(HttpResponse::Ok().json(ObsConfigResult {
        message: "Observation config updated".into(),
        config: config.into(),
        removed,
        reload,
    }))
}

/// Every observation rule.
#[utoipa::path(tag = "obs", responses((status = 200, body = ObsRules)))]
#[get("/obs/rules", wrap = "Need::read(Module::Obs)")]
async fn rules_list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let rules = state
        .rules_doc()?
        .all::<ObsSection>()
        .into_iter()
        .map(ObsRuleView::from)
        .collect();
    Ok(HttpResponse::Ok().json(ObsRules { rules }))
}

/// Create an observation rule. A bad condition is a 400 naming the field; nothing is written.
#[utoipa::path(tag = "obs", request_body = ObsRuleInput, responses(
    (status = 200, body = ObsRuleCreated),
    (status = 400, description = "validation_error naming the field")))]
#[post("/obs/rules", wrap = "Need::write(Module::Obs)")]
async fn rule_create(
    state: Authorized,
    body: web::Json<ObsRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let (rule, reload) = state
        .change(|doc| {
            let ids = doc.all::<ObsSection>().into_iter().map(|r| r.id);
            let rule = input.with_id(allocate_id(&state, IdKind::Obs, ids)?)?;
            doc.push::<ObsSection>(rule.clone());
            Ok(rule)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ObsRuleCreated {
        message: "Observation rule created".into(),
        id: rule.id,
        rule: rule.into(),
        reload,
    }))
}

/// Update an observation rule (same body as create).
#[utoipa::path(tag = "obs", request_body = ObsRuleInput,
    params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = ObsWritten), (status = 400, description = "validation_error"),
              (status = 404, description = "not_found")))]
#[put("/obs/rules/{id}", wrap = "Need::write(Module::Obs)")]
async fn rule_update(
    state: Authorized,
    id: web::Path<u64>,
    body: web::Json<ObsRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rule = body.into_inner().with_id(id)?;
    let ((), reload) = state
        .change(|doc| {
            *doc.find_mut::<ObsSection>(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("observation rule {id}")))? = rule;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ObsWritten {
        message: "Observation rule updated".into(),
        reload,
    }))
}

/// Delete an observation rule (its records are kept).
#[utoipa::path(tag = "obs", params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = ObsWritten), (status = 404, description = "not_found")))]
#[delete("/obs/rules/{id}", wrap = "Need::write(Module::Obs)")]
async fn rule_delete(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ((), reload) = state
        .change(|doc| match doc.remove::<ObsSection>(|r| r.id == id) {
            0 => Err(ApiError::NotFound(format!("observation rule {id}"))),
            _ => Ok(()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(ObsWritten {
        message: "Observation rule deleted".into(),
        reload,
    }))
}
