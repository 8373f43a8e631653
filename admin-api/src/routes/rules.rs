//! Rule management: the managed-rule catalog, disabled rule ids, hot reload.

use std::collections::BTreeSet;

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{ControlRequest, ControlResponse};

use super::bodies::Saved;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(catalog)
        .service(blocked_ids)
        .service(hot_reload)
        .service(set_status);
}

/// A managed rule of the catalog.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogRule {
    /// Stable id.
    pub id: u32,
    /// Name.
    pub name: &'static str,
    /// Attack class (`sqli`, `xss`, ...).
    #[schema(value_type = String)]
    pub attack_type: waf_core::AttackType,
    /// Lowest sensitivity at which it is active.
    pub level: u8,
}

impl From<waf_core::ManagedRuleInfo> for CatalogRule {
    fn from(r: waf_core::ManagedRuleInfo) -> Self {
        CatalogRule {
            id: r.id,
            name: r.name,
            attack_type: r.attack_type,
            level: r.level,
        }
    }
}

/// A managed rule with its state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ManagedRule {
    /// Stable id.
    pub id: u32,
    /// Name.
    pub name: &'static str,
    /// Attack class (`sqli`, `xss`, ...).
    #[schema(value_type = String)]
    pub attack_type: waf_core::AttackType,
    /// Lowest sensitivity at which it is active.
    pub level: u8,
    /// Not in `managed.disabled_rules`.
    pub enabled: bool,
}

/// `{"rules": [..], "total"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Catalog {
    /// Rules in the catalog.
    pub total: usize,
    /// Every managed rule, in id order.
    pub rules: Vec<ManagedRule>,
}

/// `{"id": [..], "rules": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockedRules {
    /// Disabled managed rule ids, ascending.
    pub id: Vec<u32>,
    /// The disabled rules of the catalog.
    pub rules: Vec<CatalogRule>,
}

/// `{"message", "preserved_status", "proxy"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RulesReloaded {
    /// `Rules reloaded`.
    pub message: String,
    /// Disabled managed rules kept through the reload.
    pub preserved_status: usize,
    /// The proxy's answer.
    #[schema(value_type = Object)]
    pub proxy: ControlResponse,
}

/// Every managed rule with its state.
#[utoipa::path(tag = "rule", responses((status = 200, body = Catalog)))]
#[get("/rules", wrap = "Need::read(Module::Rule)")]
async fn catalog(state: Authorized) -> Result<HttpResponse, ApiError> {
    let disabled: BTreeSet<u32> = state
        .rules_doc()?
        .managed()
        .disabled_rules
        .into_iter()
        .collect();
    let rules: Vec<ManagedRule> = waf_core::catalog()
        .into_iter()
        .map(|r| ManagedRule {
            enabled: !disabled.contains(&r.id),
            id: r.id,
            name: r.name,
            attack_type: r.attack_type,
            level: r.level,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Catalog {
        total: rules.len(),
        rules,
    }))
}

/// Disabled managed rule ids.
#[utoipa::path(tag = "rule", responses((status = 200, body = BlockedRules)))]
#[get("/rule/blockRuleId", wrap = "Need::read(Module::Rule)")]
async fn blocked_ids(state: Authorized) -> Result<HttpResponse, ApiError> {
    let disabled: BTreeSet<u32> = state
        .rules_doc()?
        .managed()
        .disabled_rules
        .into_iter()
        .collect();
    let rules: Vec<CatalogRule> = waf_core::catalog()
        .into_iter()
        .filter(|r| disabled.contains(&r.id))
        .map(CatalogRule::from)
        .collect();
    Ok(HttpResponse::Ok().json(BlockedRules {
        id: disabled.into_iter().collect(),
        rules,
    }))
}

/// Hot reload the proxy from the rule files (needs `rule:write`: it changes what runs).
#[utoipa::path(tag = "rule", responses(
    (status = 200, body = RulesReloaded),
    (status = 503, description = "proxy_unavailable")))]
#[get("/rules/reload", wrap = "Need::write(Module::Rule)")]
async fn hot_reload(state: Authorized) -> Result<HttpResponse, ApiError> {
    let disabled = state.rules_doc()?.managed().disabled_rules.len();
    let resp = state.proxy.call(&ControlRequest::Reload).await?;
    if !resp.ok {
        return Err(ApiError::Conflict(format!(
            "waf-proxy refused the reload and keeps its previous rules: {}",
            resp.error.clone().unwrap_or_default()
        )));
    }
    Ok(HttpResponse::Ok().json(RulesReloaded {
        message: "Rules reloaded".into(),
        preserved_status: disabled,
        proxy: resp,
    }))
}

/// Batch status body: `{"ids": [..], "enabled": bool}` or `{"rules": [{"id", "enabled"}]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum StatusInput {
    /// Same state for several ids.
    Ids {
        /// Managed rule ids.
        ids: Vec<u32>,
        /// New state.
        enabled: bool,
    },
    /// One state per id.
    Rules {
        /// `{"id", "enabled"}` pairs.
        #[schema(value_type = Vec<Object>)]
        rules: Vec<RuleState>,
    },
}

/// One rule's state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleState {
    /// Managed rule id.
    pub id: u32,
    /// New state.
    pub enabled: bool,
}

/// Batch update managed rule status (disabled ids go to `managed.disabled_rules`).
#[utoipa::path(tag = "rule", request_body = StatusInput,
    responses((status = 200, body = Saved), (status = 400, description = "validation_error")))]
#[post("/rules/status", wrap = "Need::write(Module::Rule)")]
async fn set_status(
    state: Authorized,
    body: web::Json<StatusInput>,
) -> Result<HttpResponse, ApiError> {
    let changes: Vec<RuleState> = match body.into_inner() {
        StatusInput::Ids { ids, enabled } => ids
            .into_iter()
            .map(|id| RuleState { id, enabled })
            .collect(),
        StatusInput::Rules { rules } => rules,
    };
    let known: BTreeSet<u32> = waf_core::catalog().iter().map(|r| r.id).collect();
    if let Some(bad) = changes.iter().find(|c| !known.contains(&c.id)) {
        return Err(ApiError::field(
            "ids",
            format!("unknown managed rule id {}", bad.id),
        ));
    }
    if changes.is_empty() {
        return Err(ApiError::field("ids", "at least one rule id is required"));
    }
    let ((), reload) = state
        .change(|doc| {
            let managed = doc.managed_mut();
            let mut set: BTreeSet<u32> = managed.disabled_rules.iter().copied().collect();
            for c in &changes {
                if c.enabled {
                    set.remove(&c.id);
                } else {
                    set.insert(c.id);
                }
            }
            managed.disabled_rules = set.into_iter().collect();
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Rule status updated", reload)))
}
