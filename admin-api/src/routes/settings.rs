//! Global settings.

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::RawSettings;

use super::bodies::Saved;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_settings).service(update);
}

/// `{"settings": {..}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsBody {
    /// The rule set's global settings (defaults where it does not say).
    #[schema(value_type = super::models::GlobalSettings)]
    pub settings: RawSettings,
}

/// Current settings.
#[utoipa::path(tag = "settings", responses((status = 200, body = SettingsBody)))]
#[get("/settings", wrap = "Need::read(Module::Settings)")]
async fn get_settings(state: Authorized) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SettingsBody {
        settings: state.rules_doc()?.settings(),
    }))
}

/// Update some settings; absent keys keep their value, unknown keys are refused.
#[utoipa::path(tag = "settings",
    request_body(content = Object, description = "Any of base64_depth, url_depth, unicode_depth, rule_match_rate, mode, sensitivity, body_limit, oversize_body, max_args, max_headers, max_value_len"),
    responses((status = 200, body = Saved), (status = 400, description = "validation_error")))]
#[post("/settings", wrap = "Need::write(Module::Settings)")]
async fn update(
    state: Authorized,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner();
    // FOXWAF clients may wrap the object as {"settings": {...}}.
    let patch = match patch.get("settings") {
        Some(Value::Object(inner)) if patch.len() == 1 => inner.clone(),
        _ => patch,
    };
    let ((), reload) = state
        .change(|doc| {
            let slot = doc.settings_mut();
            let mut merged = serde_json::to_value(&*slot).map_err(ApiError::internal)?;
            if let Value::Object(m) = &mut merged {
                m.extend(patch);
            }
            *slot = serde_json::from_value::<RawSettings>(merged)
                .map_err(|e| ApiError::field("settings", e.to_string()))?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Settings updated", reload)))
}
