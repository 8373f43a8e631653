//! Key management, under `/api/openapi/keys`: admin token only (API keys get
//! endpoint_not_exposed, so a leaked key cannot mint more).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::bodies::{Affected, Message};
use super::{EnabledBody, IdsOrAll};
use crate::access::Need;
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::keys::{self, KeyInfo, NewKey};
use crate::state::now;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(toggle)
        .service(revoke_one)
        .service(revoke_many);
}

/// Create body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// Display name.
    pub name: String,
    /// At least one scope: `*:read`, `*:write`, `<module>:read|write`.
    pub scopes: Vec<String>,
    /// Unix seconds; 0 or absent = never.
    #[serde(default)]
    pub expire_at: i64,
}

/// The key a create body asks for, validated.
fn new_key(i: KeyInput) -> Result<NewKey, ApiError> {
    {
        NewKey::parse(&i.name, &i.scopes, i.expire_at).map_err(|e| {
            let (field, reason) = e.split_once(": ").unwrap_or(("body", e.as_str()));
            ApiError::field(field, reason)
        })
    }
}

/// `{"keys": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyList {
    /// Every key, without its secret.
    pub keys: Vec<KeyInfo>,
}

/// A new key, with its secret (shown this once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyCreated {
    /// `API key created`.
    pub message: String,
    /// Row id.
    pub id: i64,
    /// The full key `fwk_<prefix>_<secret>`; not stored, not shown again.
    pub key: String,
    /// Display name.
    pub name: String,
    /// The 10-char prefix.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Enabled.
    pub enabled: bool,
    /// Unix seconds, 0 = never.
    pub expire_at: i64,
}

/// `{"message", "enabled"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyToggled {
    /// `API key enabled` or `API key disabled`.
    pub message: String,
    /// The new state.
    pub enabled: bool,
}

/// List keys (never their secrets).
#[utoipa::path(tag = "keys", responses((status = 200, body = KeyList)))]
#[get("/keys", wrap = "Need::admin()")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    state.flush_last_used();
    let keys = state.with_db(keys::list)?;
    Ok(HttpResponse::Ok().json(KeyList { keys }))
}

/// Create a key; the response holds the full key, shown this once.
#[utoipa::path(tag = "keys", request_body = KeyInput,
    responses((status = 200, body = KeyCreated), (status = 400, description = "validation_error")))]
#[post("/keys", wrap = "Need::admin()")]
async fn create(state: Authorized, body: web::Json<KeyInput>) -> Result<HttpResponse, ApiError> {
    let new = new_key(body.into_inner())?;
    let created = state.with_db(|c| keys::create(c, &new, now()))?;
    Ok(HttpResponse::Ok().json(KeyCreated {
        message: "API key created".into(),
        id: created.info.id,
        key: created.key,
        name: created.info.name,
        prefix: created.info.prefix,
        scopes: created.info.scopes,
        enabled: created.info.enabled,
        expire_at: created.info.expire_at,
    }))
}

/// Enable or disable a key.
#[utoipa::path(tag = "keys", request_body = EnabledBody,
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, body = KeyToggled), (status = 404, description = "not_found")))]
#[post("/keys/{id}/toggle", wrap = "Need::admin()")]
async fn toggle(
    state: Authorized,
    id: web::Path<i64>,
    body: web::Json<EnabledBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, enabled) = (id.into_inner(), body.enabled);
    if !state.with_db(|c| keys::set_enabled(c, id, enabled))? {
        return Err(ApiError::NotFound(format!("API key {id}")));
    }
    let msg = if enabled {
        "API key enabled"
    } else {
        "API key disabled"
    };
    Ok(HttpResponse::Ok().json(KeyToggled {
        message: msg.into(),
        enabled,
    }))
}

/// Revoke one key, at once.
#[utoipa::path(tag = "keys", params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, body = Message), (status = 404, description = "not_found")))]
#[delete("/keys/{id}", wrap = "Need::admin()")]
async fn revoke_one(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if state.with_db(|c| keys::revoke(c, &[id]))? == 0 {
        return Err(ApiError::NotFound(format!("API key {id}")));
    }
    Ok(HttpResponse::Ok().json(Message::new("API key revoked")))
}

/// Revoke `{"ids": [..]}` or `{"all": true}`.
#[utoipa::path(tag = "keys", request_body = IdsOrAll,
    responses((status = 200, body = Affected), (status = 400, description = "validation_error")))]
#[delete("/keys", wrap = "Need::admin()")]
async fn revoke_many(
    state: Authorized,
    body: web::Json<IdsOrAll>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let n = match (body.all, body.ids.is_empty()) {
        (true, _) => state.with_db(keys::revoke_all)?,
        (false, false) => state.with_db(|c| keys::revoke(c, &body.ids))?,
        (false, true) => return Err(ApiError::field("ids", "give ids or all: true")),
    };
    Ok(HttpResponse::Ok().json(Affected {
        message: "API keys revoked".into(),
        affected: n,
    }))
}
