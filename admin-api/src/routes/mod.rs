//! HTTP routes, one file per module of the reference. Each file has a `configure` that registers
//! its handlers (with `#[utoipa::path]`, so `/openapi.yaml` is generated from the registration).
//! [`configure`] lists them; a new module is one more line there.

use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::proxy::ReloadOutcome;

pub mod acl;
pub mod attack;
pub mod bodies;
pub mod cache;
pub mod cache_js;
pub mod captcha;
pub mod cc;
pub mod cert_templates;
pub mod certs;
pub mod custom_rules;
pub mod export;
pub mod feedbacks;
pub mod health;
pub mod keys;
pub mod letsencrypt;
pub mod maintenance;
pub mod models;
pub mod monitor;
pub mod obs;
pub mod obs_records;
pub mod public;
pub mod qrcode;
pub mod realtime;
pub mod rules;
pub mod settings;
pub mod site_profiles;
pub mod sites;
pub mod unimplemented;
pub mod waf;
pub mod wispanel;
pub mod wispanel_ratelimit;

/// Routes under `/openapi/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    let modules: &[fn(&mut ServiceConfig)] = &[
        // First: nothing registered after them can shadow a blocked prefix.
        crate::access::configure_blocked,
        public::configure,
        captcha::configure,
        qrcode::configure,
        acl::configure,
        cc::configure,
        custom_rules::configure,
        sites::configure,
        health::configure,
        maintenance::configure,
        rules::configure,
        settings::configure,
        certs::configure,
        cert_templates::configure,
        waf::configure,
        attack::configure,
        monitor::configure,
        cache::configure,
        cache_js::configure,
        feedbacks::configure,
        realtime::configure,
        letsencrypt::configure,
        obs::configure,
        unimplemented::configure,
    ];
    for m in modules {
        m(cfg);
    }
}

/// Routes under `/api/openapi` (admin token).
pub fn configure_admin(cfg: &mut ServiceConfig) {
    keys::configure(cfg);
}

/// A write response: `body` plus `reload` (what the proxy said).
pub fn written(mut body: Value, reload: ReloadOutcome) -> HttpResponse {
    if let Value::Object(map) = &mut body {
        map.insert(
            "reload".into(),
            serde_json::to_value(reload).unwrap_or(Value::Null),
        );
    }
    HttpResponse::Ok().json(body)
}

/// `{"enabled": bool}` (toggle endpoints).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    /// New state.
    pub enabled: bool,
}

/// `{"ids": [..]}` or `{"all": true}` (batch deletes).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdsOrAll {
    /// Ids to delete.
    #[serde(default)]
    pub ids: Vec<i64>,
    /// Delete everything.
    #[serde(default)]
    pub all: bool,
}

/// The next free numeric id (`max + 1`: an id freed by a delete comes back; prefer
/// [`allocate_id`] for anything a client can address by id).
pub fn next_id(ids: impl Iterator<Item = u64>) -> u64 {
    ids.max().unwrap_or(0) + 1
}

/// A fresh id of `kind`, above every id in `ids` and every id handed out before (never reused
/// after a delete; see [`crate::ids`]).
pub fn allocate_id(
    state: &crate::state::AppState,
    kind: crate::ids::IdKind,
    ids: impl Iterator<Item = u64>,
) -> Result<u64, crate::error::ApiError> {
    let max = crate::ids::max(ids);
    state.with_db(|c| crate::ids::allocate(c, kind, max))
}

/// Every field of a multipart form, by name (at most 4 MiB in all).
pub async fn multipart_fields(
    mut mp: actix_multipart::Multipart,
) -> Result<std::collections::HashMap<String, Vec<u8>>, crate::error::ApiError> {
    use futures_util::StreamExt;
    const LIMIT: usize = 4 << 20;
    let mut out = std::collections::HashMap::new();
    let mut total = 0;
    while let Some(field) = mp.next().await {
        let mut field =
            field.map_err(|e| crate::error::ApiError::field("multipart", e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| crate::error::ApiError::field(&name, e.to_string()))?;
            total += chunk.len();
            if total > LIMIT {
                return Err(crate::error::ApiError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        out.insert(name, data);
    }
    Ok(out)
}

/// A text field of a multipart form.
pub fn text_field(
    fields: &std::collections::HashMap<String, Vec<u8>>,
    name: &str,
) -> Result<Option<String>, crate::error::ApiError> {
    fields
        .get(name)
        .map(|b| {
            String::from_utf8(b.clone())
                .map_err(|_| crate::error::ApiError::field(name, "must be UTF-8 text"))
        })
        .transpose()
}

/// A PEM pair from the multipart fields `cert_file` and `key_file`.
pub fn pem_from_fields(
    fields: &std::collections::HashMap<String, Vec<u8>>,
) -> Result<crate::tls::PemPair, crate::error::ApiError> {
    let cert = text_field(fields, "cert_file")?
        .ok_or_else(|| crate::error::ApiError::field("cert_file", "required"))?;
    let key = text_field(fields, "key_file")?
        .ok_or_else(|| crate::error::ApiError::field("key_file", "required"))?;
    crate::tls::PemPair::parse(cert, key).map_err(|e| crate::error::ApiError::field("cert_file", e))
}
