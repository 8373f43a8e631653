//! ACL rules.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::{AclRuleType, AclScope, Action, RawAclRule};

use super::bodies::{Created, Saved, Toggled};
use super::{allocate_id, EnabledBody};
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::ids::IdKind;
use crate::store::AclSection;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(toggle)
        .service(remove);
}

/// Create / update body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AclRuleInput {
    /// `global` or `host`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "global")]
    pub scope: AclScope,
    /// `ip`, `ua`, `url`, `header`, `country`, `method`, `referer`.
    #[schema(value_type = String, example = "ip")]
    pub rule_type: AclRuleType,
    /// Match pattern.
    pub pattern: String,
    /// `block`, `allow` or `log`.
    #[schema(value_type = String, example = "block")]
    pub action: Action,
    /// Enabled.
    pub enabled: bool,
    /// Required when `type` is `host`.
    #[serde(default)]
    pub host: Option<String>,
    /// Notes.
    #[serde(default)]
    pub description: String,
}

/// A checked ACL rule without its id.
#[derive(Debug)]
pub struct AclRuleSpec(RawAclRule);

impl TryFrom<AclRuleInput> for AclRuleSpec {
    type Error = ApiError;
    fn try_from(i: AclRuleInput) -> Result<Self, ApiError> {
        let pattern = i.pattern.trim().to_string();
        if pattern.is_empty() {
            return Err(ApiError::field("pattern", "must not be empty"));
        }
        let host = match i.scope {
            AclScope::Host => {
                let h = i.host.as_deref().map(str::trim).unwrap_or_default();
                if h.is_empty() {
                    return Err(ApiError::field("host", "required when type is host"));
                }
                Some(h.to_ascii_lowercase())
            }
            AclScope::Global => None,
        };
        if i.description.chars().count() > 500 {
            return Err(ApiError::field("description", "at most 500 characters"));
        }
        Ok(AclRuleSpec(RawAclRule {
            id: 0,
            scope: i.scope,
            host,
            rule_type: i.rule_type,
            pattern,
            action: i.action,
            enabled: i.enabled,
            description: i.description,
        }))
    }
}

impl AclRuleSpec {
    fn with_id(mut self, id: u64) -> RawAclRule {
        self.0.id = id;
        self.0
    }
}

/// `{"rules": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AclRules {
    /// Every ACL rule, in file order.
    #[schema(value_type = Vec<super::models::AclRule>)]
    pub rules: Vec<RawAclRule>,
}

/// List ACL rules.
#[utoipa::path(tag = "acl", responses((status = 200, body = AclRules)))]
#[get("/acl/rules", wrap = "Need::read(Module::Acl)")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let rules = state.rules_doc()?.all::<AclSection>();
    Ok(HttpResponse::Ok().json(AclRules { rules }))
}

/// Create an ACL rule.
#[utoipa::path(tag = "acl", request_body = AclRuleInput,
    responses((status = 200, body = Created),
              (status = 400, description = "validation_error")))]
#[post("/acl/rules", wrap = "Need::write(Module::Acl)")]
async fn create(
    state: Authorized,
    body: web::Json<AclRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let spec = AclRuleSpec::try_from(body.into_inner())?;
    let (id, reload) = state
        .change(|doc| {
            let id = allocate_id(
                &state,
                IdKind::Acl,
                doc.all::<AclSection>().iter().map(|r| r.id),
            )?;
            doc.push::<AclSection>(spec.with_id(id));
            Ok(id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Created {
        id,
        message: "ACL rule created".into(),
        reload,
    }))
}

/// Update an ACL rule (same body as create).
#[utoipa::path(tag = "acl", request_body = AclRuleInput,
    params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = Saved),
              (status = 404, description = "not_found")))]
#[put("/acl/rules/{id}", wrap = "Need::write(Module::Acl)")]
async fn update(
    state: Authorized,
    id: web::Path<u64>,
    body: web::Json<AclRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let spec = AclRuleSpec::try_from(body.into_inner())?;
    let ((), reload) = state
        .change(|doc| {
            let rule = doc
                .find_mut::<AclSection>(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("ACL rule {id}")))?;
            *rule = spec.with_id(id);
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("ACL rule updated", reload)))
}

/// Enable or disable an ACL rule.
#[utoipa::path(tag = "acl", request_body = EnabledBody,
    params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = Toggled), (status = 404, description = "not_found")))]
#[post("/acl/rules/{id}/toggle", wrap = "Need::write(Module::Acl)")]
async fn toggle(
    state: Authorized,
    id: web::Path<u64>,
    body: web::Json<EnabledBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, enabled) = (id.into_inner(), body.enabled);
    let ((), reload) = state
        .change(|doc| {
            doc.find_mut::<AclSection>(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("ACL rule {id}")))?
                .enabled = enabled;
            Ok(())
        })
        .await?;
    let msg = if enabled {
        "ACL rule enabled"
    } else {
        "ACL rule disabled"
    };
    Ok(HttpResponse::Ok().json(Toggled {
        message: msg.into(),
        enabled,
        reload,
    }))
}

/// Delete an ACL rule.
#[utoipa::path(tag = "acl", params(("id" = u64, Path, description = "Rule id")),
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[delete("/acl/rules/{id}", wrap = "Need::write(Module::Acl)")]
async fn remove(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ((), reload) = state
        .change(|doc| match doc.remove::<AclSection>(|r| r.id == id) {
            0 => Err(ApiError::NotFound(format!("ACL rule {id}"))),
            _ => Ok(()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("ACL rule deleted", reload)))
}
