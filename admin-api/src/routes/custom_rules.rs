//! Custom rules: CRUD, toggle, ZIP export / import, reload.

use std::io::{Cursor, Read, Write};

use actix_multipart::Multipart;
use actix_web::{delete, get, post, put, web, HttpResponse};
use futures_util::StreamExt;
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::ControlRequest;
use waf_core::model::raw::{Action, RawCustomRule, RawFile, RawJudge, Relation};

use super::bodies::{ProxyAnswered, Saved, Toggled};
use super::EnabledBody;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::store::CustomSection;

/// Largest ZIP accepted, and largest total it may expand to.
const ZIP_LIMIT: usize = 4 << 20;
const UNZIPPED_LIMIT: u64 = 16 << 20;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(export)
        .service(import)
        .service(hot_reload)
        .service(create)
        .service(update)
        .service(toggle)
        .service(remove);
}

/// Create / update body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomRuleInput {
    /// Rule name.
    pub name: String,
    /// HTTP method; `any` matches all.
    pub method: String,
    /// `block`, `allow`, `log` or `challenge`.
    #[schema(value_type = String, example = "block")]
    pub action: Action,
    /// `and` (all judges) or `or` (any).
    #[schema(value_type = String, example = "or")]
    pub relation: Relation,
    /// Conditions: `{position, keyword|content|rix, negate, header}`.
    #[schema(value_type = Vec<Object>)]
    pub judges: Vec<RawJudge>,
    /// Enabled (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Notes.
    #[serde(default)]
    pub description: String,
}

fn yes() -> bool {
    true
}

/// A checked custom rule without its id. Patterns are checked by the compiler, which names the
/// judge (`judges[1].rix`) on failure.
#[derive(Debug)]
pub struct CustomRuleSpec(RawCustomRule);

impl TryFrom<CustomRuleInput> for CustomRuleSpec {
    type Error = ApiError;
    fn try_from(i: CustomRuleInput) -> Result<Self, ApiError> {
        let name = i.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::field("name", "1 to 200 characters"));
        }
        let method = i.method.trim().to_string();
        if method.is_empty() {
            return Err(ApiError::field("method", "an HTTP method or `any`"));
        }
        if i.judges.is_empty() {
            return Err(ApiError::field("judges", "at least one judge is required"));
        }
        Ok(CustomRuleSpec(RawCustomRule {
            id: String::new(),
            name,
            method,
            action: i.action,
            relation: i.relation,
            judges: i.judges,
            enabled: i.enabled,
            description: i.description,
        }))
    }
}

impl CustomRuleSpec {
    fn with_id(mut self, id: &str) -> RawCustomRule {
        self.0.id = id.to_string();
        self.0
    }
}

/// A fresh custom-rule id: 8 lowercase letters and digits.
pub(crate) fn new_id() -> String {
    Alphanumeric
        .sample_string(&mut rand::rng(), 8)
        .to_ascii_lowercase()
}

/// `{"rules": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomRules {
    /// Every custom rule, `enabled` always given.
    #[schema(value_type = Vec<super::models::CustomRule>)]
    pub rules: Vec<serde_json::Value>,
}

/// `{"message", "rule_id", "rule", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomRuleCreated {
    /// `Custom rule created`.
    pub message: String,
    /// The new rule's id.
    pub rule_id: String,
    /// The rule as saved.
    #[schema(value_type = super::models::CustomRule)]
    pub rule: RawCustomRule,
    /// Whether the running proxy serves the change.
    pub reload: crate::proxy::ReloadOutcome,
}

/// `{"message", "count", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomRulesImported {
    /// `Custom rules imported`.
    pub message: String,
    /// Rules added or replaced.
    pub count: usize,
    /// Whether the running proxy serves the change.
    pub reload: crate::proxy::ReloadOutcome,
}

/// List custom rules.
#[utoipa::path(tag = "custom-rules", responses((status = 200, body = CustomRules)))]
#[get("/custom-rules", wrap = "Need::read(Module::CustomRules)")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let rules: Vec<serde_json::Value> = state
        .rules_doc()?
        .all::<CustomSection>()
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            // `enabled` is skipped in YAML when true; always show it here.
            v["enabled"] = json!(r.enabled);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(CustomRules { rules }))
}

/// Create a custom rule. An invalid pattern is a 400 naming the judge; nothing is written.
#[utoipa::path(tag = "custom-rules", request_body = CustomRuleInput,
    responses((status = 200, body = CustomRuleCreated),
              (status = 400, description = "validation_error, details name the judge")))]
#[post("/custom-rules", wrap = "Need::write(Module::CustomRules)")]
async fn create(
    state: Authorized,
    body: web::Json<CustomRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let spec = CustomRuleSpec::try_from(body.into_inner())?;
    let (rule, reload) = state
        .change(|doc| {
            let existing = doc.all::<CustomSection>();
            let id = std::iter::repeat_with(new_id)
                .find(|id| existing.iter().all(|r| &r.id != id))
                .unwrap_or_default();
            let rule = spec.with_id(&id);
            doc.push::<CustomSection>(rule.clone());
            Ok(rule)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CustomRuleCreated {
        message: "Custom rule created".into(),
        rule_id: rule.id.clone(),
        rule,
        reload,
    }))
}

/// Update a custom rule.
#[utoipa::path(tag = "custom-rules", request_body = CustomRuleInput,
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[put("/custom-rules/{id}", wrap = "Need::write(Module::CustomRules)")]
async fn update(
    state: Authorized,
    id: web::Path<String>,
    body: web::Json<CustomRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let spec = CustomRuleSpec::try_from(body.into_inner())?;
    let ((), reload) = state
        .change(|doc| {
            let rule = doc
                .find_mut::<CustomSection>(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("custom rule {id}")))?;
            *rule = spec.with_id(&id);
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Custom rule updated", reload)))
}

/// Enable or disable a custom rule.
#[utoipa::path(tag = "custom-rules", request_body = EnabledBody,
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, body = Toggled), (status = 404, description = "not_found")))]
#[post("/custom-rules/{id}/toggle", wrap = "Need::write(Module::CustomRules)")]
async fn toggle(
    state: Authorized,
    id: web::Path<String>,
    body: web::Json<EnabledBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, enabled) = (id.into_inner(), body.enabled);
    let ((), reload) = state
        .change(|doc| {
            doc.find_mut::<CustomSection>(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("custom rule {id}")))?
                .enabled = enabled;
            Ok(())
        })
        .await?;
    let msg = if enabled {
        "Custom rule enabled"
    } else {
        "Custom rule disabled"
    };
    Ok(HttpResponse::Ok().json(Toggled {
        message: msg.into(),
        enabled,
        reload,
    }))
}

/// Delete a custom rule.
#[utoipa::path(tag = "custom-rules", params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[delete("/custom-rules/{id}", wrap = "Need::write(Module::CustomRules)")]
async fn remove(state: Authorized, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ((), reload) = state
        .change(|doc| match doc.remove::<CustomSection>(|r| r.id == id) {
            0 => Err(ApiError::NotFound(format!("custom rule {id}"))),
            _ => Ok(()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Custom rule deleted", reload)))
}

/// Export every custom rule as a ZIP holding `custom_rules.yaml`.
#[utoipa::path(tag = "custom-rules",
    responses((status = 200, description = "application/zip", content_type = "application/zip")))]
#[get("/custom-rules/export", wrap = "Need::read(Module::CustomRules)")]
async fn export(state: Authorized) -> Result<HttpResponse, ApiError> {
    let file = RawFile {
        custom_rules: state.rules_doc()?.all::<CustomSection>(),
        ..RawFile::default()
    };
    let yaml = serde_yaml_ng::to_string(&file).map_err(ApiError::internal)?;
    let mut buf = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("custom_rules.yaml", opts)
            .and_then(|_| zip.write_all(yaml.as_bytes()).map_err(Into::into))
            .and_then(|_| zip.finish().map(|_| ()))
            .map_err(ApiError::internal)?;
    }
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"custom_rules.zip\"",
        ))
        .body(buf.into_inner()))
}

/// Reads the multipart field `file` into memory (at most [`ZIP_LIMIT`]).
async fn read_file_field(mut mp: Multipart) -> Result<Vec<u8>, ApiError> {
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|e| ApiError::field("file", e.to_string()))?;
        if field.name() != Some("file") {
            continue;
        }
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::field("file", e.to_string()))?;
            if data.len() + chunk.len() > ZIP_LIMIT {
                return Err(ApiError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        return Ok(data);
    }
    Err(ApiError::field(
        "file",
        "multipart field `file` (a ZIP) is required",
    ))
}

/// The custom rules of every `.yaml` / `.yml` / `.json` entry of a ZIP.
fn rules_from_zip(data: Vec<u8>) -> Result<Vec<RawCustomRule>, ApiError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(data))
        .map_err(|e| ApiError::field("file", format!("not a ZIP: {e}")))?;
    let mut out = Vec::new();
    let mut budget = UNZIPPED_LIMIT;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| ApiError::field("file", e.to_string()))?;
        let name = entry.name().to_string();
        let is_json = name.ends_with(".json");
        if !(is_json || name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let mut text = String::new();
        let read = entry
            .take(budget + 1)
            .read_to_string(&mut text)
            .map_err(|e| ApiError::field(&name, e.to_string()))?;
        if read as u64 > budget {
            return Err(ApiError::PayloadTooLarge);
        }
        budget -= read as u64;
        out.extend(parse_rules(&name, &text, is_json)?);
    }
    Ok(out)
}

/// A file of rules: a rule-set file (`custom_rules: [..]`) or a bare list.
fn parse_rules(name: &str, text: &str, json: bool) -> Result<Vec<RawCustomRule>, ApiError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        File(Box<RawFile>),
        List(Vec<RawCustomRule>),
    }
    let doc: Doc = if json {
        serde_json::from_str(text).map_err(|e| ApiError::field(name, e.to_string()))?
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| ApiError::field(name, e.to_string()))?
    };
    Ok(match doc {
        Doc::File(f) => f.custom_rules,
        Doc::List(l) => l,
    })
}

/// Import a ZIP (multipart field `file`): rules with a known id replace it, others are added.
#[utoipa::path(tag = "custom-rules",
    request_body(content_type = "multipart/form-data", description = "field `file`: a ZIP of YAML/JSON rule files"),
    responses((status = 200, body = CustomRulesImported), (status = 400, description = "validation_error")))]
#[post("/custom-rules/import", wrap = "Need::write(Module::CustomRules)")]
async fn import(state: Authorized, mp: Multipart) -> Result<HttpResponse, ApiError> {
    let rules = rules_from_zip(read_file_field(mp).await?)?;
    if rules.is_empty() {
        return Err(ApiError::field("file", "the ZIP holds no custom rule"));
    }
    let count = rules.len();
    let ((), reload) = state
        .change(|doc| {
            for rule in rules {
                match doc.find_mut::<CustomSection>(|r| r.id == rule.id) {
                    Some(slot) => *slot = rule,
                    None => doc.push::<CustomSection>(rule),
                }
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(CustomRulesImported {
        message: "Custom rules imported".into(),
        count,
        reload,
    }))
}

/// Ask the proxy to reload its rules now.
#[utoipa::path(tag = "custom-rules",
    responses((status = 200, body = ProxyAnswered),
              (status = 503, description = "proxy_unavailable")))]
#[post("/custom-rules/reload", wrap = "Need::write(Module::CustomRules)")]
async fn hot_reload(state: Authorized) -> Result<HttpResponse, ApiError> {
    let resp = state.proxy.call(&ControlRequest::Reload).await?;
    if !resp.ok {
        return Err(ApiError::Conflict(format!(
            "waf-proxy refused the reload and keeps its previous rules: {}",
            resp.error.clone().unwrap_or_default()
        )));
    }
    Ok(HttpResponse::Ok().json(ProxyAnswered {
        message: "Custom rules reloaded".into(),
        proxy: resp,
    }))
}
