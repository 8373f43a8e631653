//! Site management and upstream health (from the proxy's control socket).

use actix_multipart::Multipart;
use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::RawSite;

pub use super::site_profiles::ProfileInput;

use super::bodies::Saved;
use super::{allocate_id, multipart_fields, pem_from_fields, text_field};
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::ids::IdKind;
use crate::proxy::ReloadOutcome;
use crate::state::AppState;
use crate::store::{RuleDoc, SiteSection};
use crate::tls::PemPair;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(add)
        .service(add_with_cert)
        .service(delete_site)
        .service(certificate)
        .service(set_status)
        .service(set_https)
        .service(update)
        .service(update_cert)
        .service(renew)
        .service(replace)
        .service(remove_cert)
        .service(sm2_get)
        .service(sm2_bind)
        .service(sm2_unbind);
}

/// Add / update body. Unknown fields are refused by name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// Site id (update only).
    #[serde(default)]
    pub id: Option<u64>,
    /// Site name.
    pub name: String,
    /// Domain(s): comma, semicolon or newline separated.
    pub domain: String,
    /// Upstream URL.
    #[serde(default)]
    pub target_url: Option<String>,
    /// More upstreams (round robin).
    #[serde(default)]
    pub target_urls: Vec<String>,
    /// Serve HTTPS (a self-signed certificate is generated when the site has none).
    #[serde(default)]
    pub enable_https: bool,
    /// Redirect HTTP to HTTPS.
    #[serde(default)]
    pub force_https_redirect: bool,
    /// HTTP/2 to the upstream (default true).
    #[serde(default = "yes")]
    pub enable_http2_upstream: bool,
    /// 1 enabled, 0 disabled (default 1).
    #[serde(default = "one")]
    pub status: u8,
    /// Pro: anti-DevTools (the one Pro-only site field the reference names). Not built here:
    /// `false` is accepted, `true` refused.
    #[serde(default)]
    pub enable_anti_devtools: bool,
    /// Certificate template its self-signed certificate is issued from (now and at
    /// renew). On update, absent keeps the current one.
    #[serde(default)]
    pub cert_template_id: Option<u64>,
    /// App profiles (shipped sets of narrow exclusions) turned on for the site: `wordpress`,
    /// `mediawiki`, `phpmyadmin`. On update, absent keeps the current ones.
    #[serde(default)]
    pub profiles: Option<Vec<ProfileInput>>,
}

fn yes() -> bool {
    true
}
fn one() -> u8 {
    1
}

/// A checked site without id and certificate.
#[derive(Debug)]
pub struct SiteSpec {
    site: RawSite,
    /// Whether the input named its profiles (an update without them keeps the current ones).
    profiles_given: bool,
}

impl TryFrom<SiteInput> for SiteSpec {
    type Error = ApiError;
    fn try_from(i: SiteInput) -> Result<Self, ApiError> {
        let name = i.name.trim().to_string();
        if name.is_empty() {
            return Err(ApiError::field("name", "must not be empty"));
        }
        if domains(&i.domain).is_empty() {
            return Err(ApiError::field("domain", "at least one domain"));
        }
        if i.status > 1 {
            return Err(ApiError::field("status", "1 (enabled) or 0 (disabled)"));
        }
        if i.enable_anti_devtools {
            return Err(ApiError::field(
                "enable_anti_devtools",
                "anti-DevTools (a Pro feature of the reference) is not built in this WAF",
            ));
        }
        let profiles = match i.profiles {
            Some(given) => Some(
                given
                    .into_iter()
                    .map(ProfileInput::checked)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(SiteSpec {
            profiles_given: profiles.is_some(),
            site: RawSite {
                id: 0,
                name,
                domain: i.domain.trim().to_string(),
                target_url: i.target_url.filter(|u| !u.trim().is_empty()),
                target_urls: i.target_urls,
                status: i.status,
                enable_https: i.enable_https,
                force_https_redirect: i.force_https_redirect,
                enable_http2_upstream: i.enable_http2_upstream,
                cert_file: None,
                key_file: None,
                mode: None,
                sensitivity: None,
                disabled_rules: Vec::new(),
                exclusions: Vec::new(),
                request_body_encoding: None,
                maintenance: None,
                cache: None,
                cert_template_id: i.cert_template_id,
                profiles: profiles.unwrap_or_default(),
            },
        })
    }
}

fn domains(d: &str) -> Vec<String> {
    d.split([',', ';', '\n'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn site_mut(doc: &mut RuleDoc, id: u64) -> Result<&mut RawSite, ApiError> {
    doc.find_mut::<SiteSection>(|s| s.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))
}

fn cert_name(id: u64, self_signed: bool) -> String {
    if self_signed {
        format!("site-{id}-selfsigned")
    } else {
        format!("site-{id}")
    }
}

fn cert_type(site: &RawSite) -> &'static str {
    match &site.cert_file {
        None => "none",
        Some(f) if f.contains("-selfsigned") => "self-signed",
        Some(_) => "custom",
    }
}

/// Saves `pair` for site `id` and points the site at it.
fn attach(
    state: &AppState,
    site: &mut RawSite,
    pair: &PemPair,
    self_signed: bool,
) -> Result<(), ApiError> {
    let (crt, key) = pair
        .save(
            &state.data_dir.join("certs"),
            &cert_name(site.id, self_signed),
        )
        .map_err(ApiError::internal)?;
    site.cert_file = Some(crt.display().to_string());
    site.key_file = Some(key.display().to_string());
    Ok(())
}

/// A self-signed certificate for the site: from its certificate template when it names one.
fn self_signed_for(state: &AppState, site: &RawSite) -> Result<PemPair, ApiError> {
    let names: Vec<String> = domains(&site.domain)
        .into_iter()
        .map(|d| d.trim_start_matches("*.").to_string())
        .collect();
    match site.cert_template_id {
        Some(t) => super::cert_templates::for_site(state, t)?
            .spec
            .issue(&names),
        None => PemPair::self_signed(names),
    }
    .map_err(|e| ApiError::field("domain", format!("cannot issue a certificate: {e}")))
}

/// `{"sites": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteList {
    /// Every site.
    #[schema(value_type = Vec<super::models::SiteInfo>)]
    pub sites: Vec<Value>,
}

/// `{"message", "id", "site", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteAdded {
    /// `Site added`.
    pub message: String,
    /// The new site's id (never reused after a delete).
    pub id: u64,
    /// The site as saved.
    #[schema(value_type = super::models::SiteInfo)]
    pub site: Value,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// A site's certificate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteCertificate {
    /// Site id.
    pub id: u64,
    /// Whether the site serves HTTPS.
    pub enable_https: bool,
    /// `none`, `self-signed` or `custom`.
    pub cert_type: &'static str,
    /// The certificate file, when it has one.
    pub cert_file: Option<String>,
    /// The PEM chain, when it has one.
    pub certificate: Option<String>,
}

/// `{"message", "status", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteStatusSet {
    /// `Site enabled` or `Site disabled`.
    pub message: String,
    /// 1 enabled, 0 disabled.
    pub status: u8,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"message", "cert_type", "enable_https", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteHttpsSet {
    /// `Site certificate updated`.
    pub message: String,
    /// `none`, `self-signed` or `custom`.
    pub cert_type: &'static str,
    /// The new state.
    pub enable_https: bool,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"message", "cert_type", "reload"}`: a site's certificate replaced or renewed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteCertUpdated {
    /// `Site certificate updated` or `Certificate renewed`.
    pub message: String,
    /// `custom` or `self-signed`.
    pub cert_type: &'static str,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

fn site_json(site: &RawSite) -> Value {
    let mut v = serde_json::to_value(site).unwrap_or_default();
    v["enable_https"] = json!(site.enable_https);
    v["cert_type"] = json!(cert_type(site));
    v
}

async fn add_site(
    state: &AppState,
    spec: SiteSpec,
    pair: Option<PemPair>,
) -> Result<HttpResponse, ApiError> {
    let (site, reload) = state
        .change(|doc| {
            let mut site = spec.site;
            site.id = allocate_id(
                state,
                IdKind::Site,
                doc.all::<SiteSection>().iter().map(|s| s.id),
            )?;
            match &pair {
                Some(p) => {
                    site.enable_https = true;
                    attach(state, &mut site, p, false)?;
                }
                None if site.enable_https => {
                    let pair = self_signed_for(state, &site)?;
                    attach(state, &mut site, &pair, true)?
                }
                None => {}
            }
            if let Some(t) = site.cert_template_id {
                super::cert_templates::for_site(state, t)?;
            }
            doc.push::<SiteSection>(site.clone());
            Ok(site)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SiteAdded {
        message: "Site added".into(),
        id: site.id,
        site: site_json(&site),
        reload,
    }))
}

/// List sites.
#[utoipa::path(tag = "site", responses((status = 200, body = SiteList)))]
#[get("/sites", wrap = "Need::read(Module::Site)")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let sites: Vec<Value> = state
        .rules_doc()?
        .all::<SiteSection>()
        .iter()
        .map(site_json)
        .collect();
    Ok(HttpResponse::Ok().json(SiteList { sites }))
}

/// Add a site.
#[utoipa::path(tag = "site", request_body = SiteInput,
    responses((status = 200, body = SiteAdded), (status = 400, description = "validation_error")))]
#[post("/site/add", wrap = "Need::write(Module::Site)")]
async fn add(state: Authorized, body: web::Json<SiteInput>) -> Result<HttpResponse, ApiError> {
    add_site(&state, SiteSpec::try_from(body.into_inner())?, None).await
}

/// Add a site with a certificate: multipart `name`, `domain`, `target_url`, `cert_file`, `key_file`.
#[utoipa::path(tag = "site",
    request_body(content_type = "multipart/form-data", description = "name, domain, target_url, cert_file, key_file"),
    responses((status = 200, body = SiteAdded), (status = 400, description = "validation_error")))]
#[post("/site/add-with-cert", wrap = "Need::write(Module::Site)")]
async fn add_with_cert(state: Authorized, mp: Multipart) -> Result<HttpResponse, ApiError> {
    let fields = multipart_fields(mp).await?;
    const KNOWN: &[&str] = &[
        "name",
        "domain",
        "target_url",
        "force_https_redirect",
        "cert_file",
        "key_file",
    ];
    if let Some(unknown) = fields.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::field(
            unknown,
            format!("unknown field, expected one of {}", KNOWN.join(", ")),
        ));
    }
    let input = SiteInput {
        id: None,
        name: text_field(&fields, "name")?.unwrap_or_default(),
        domain: text_field(&fields, "domain")?.unwrap_or_default(),
        target_url: text_field(&fields, "target_url")?,
        target_urls: Vec::new(),
        enable_https: true,
        force_https_redirect: text_field(&fields, "force_https_redirect")?
            .is_some_and(|v| v == "true" || v == "1"),
        enable_http2_upstream: true,
        status: 1,
        enable_anti_devtools: false,
        cert_template_id: None,
        profiles: None,
    };
    let spec = SiteSpec::try_from(input)?;
    let pair = pem_from_fields(&fields)?;
    add_site(&state, spec, Some(pair)).await
}

/// `{"id": 1}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdBody {
    /// Site id.
    pub id: u64,
}

/// Delete a site.
#[utoipa::path(tag = "site", request_body = IdBody,
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[post("/site/delete", wrap = "Need::write(Module::Site)")]
async fn delete_site(state: Authorized, body: web::Json<IdBody>) -> Result<HttpResponse, ApiError> {
    let id = body.id;
    let ((), reload) = state
        .change(|doc| match doc.remove::<SiteSection>(|s| s.id == id) {
            0 => Err(ApiError::NotFound(format!("site {id}"))),
            _ => Ok(()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Site deleted", reload)))
}

/// The site's certificate (PEM chain, public).
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 200, body = SiteCertificate), (status = 404, description = "not_found")))]
#[get("/site/{id}/certificate", wrap = "Need::read(Module::Site)")]
async fn certificate(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let site = state
        .rules_doc()?
        .all::<SiteSection>()
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    let pem = match &site.cert_file {
        Some(f) => Some(std::fs::read_to_string(f).map_err(ApiError::internal)?),
        None => None,
    };
    Ok(HttpResponse::Ok().json(SiteCertificate {
        id,
        enable_https: site.enable_https,
        cert_type: cert_type(&site),
        cert_file: site.cert_file,
        certificate: pem,
    }))
}

/// `{"id": 1, "status": 1}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// Site id.
    pub id: u64,
    /// 1 enabled, 0 disabled.
    pub status: u8,
}

/// Enable or disable a site.
#[utoipa::path(tag = "site", request_body = StatusBody,
    responses((status = 200, body = SiteStatusSet), (status = 404, description = "not_found")))]
#[post("/site/status", wrap = "Need::write(Module::Site)")]
async fn set_status(
    state: Authorized,
    body: web::Json<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let StatusBody { id, status } = body.into_inner();
    if status > 1 {
        return Err(ApiError::field("status", "1 (enabled) or 0 (disabled)"));
    }
    let ((), reload) = state
        .change(|doc| {
            site_mut(doc, id)?.status = status;
            Ok(())
        })
        .await?;
    let msg = if status == 1 {
        "Site enabled"
    } else {
        "Site disabled"
    };
    Ok(HttpResponse::Ok().json(SiteStatusSet {
        message: msg.into(),
        status,
        reload,
    }))
}

/// `{"id": 1, "enable_https": true}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpsBody {
    /// Site id.
    pub id: u64,
    /// Serve HTTPS.
    pub enable_https: bool,
}

/// Toggle HTTPS (a self-signed certificate is issued when the site has none).
#[utoipa::path(tag = "site", request_body = HttpsBody,
    responses((status = 200, body = SiteHttpsSet), (status = 404, description = "not_found")))]
#[post("/site/https", wrap = "Need::write(Module::Site)")]
async fn set_https(
    state: Authorized,
    body: web::Json<HttpsBody>,
) -> Result<HttpResponse, ApiError> {
    let HttpsBody { id, enable_https } = body.into_inner();
    let (kind, reload) = state
        .change(|doc| {
            let site = site_mut(doc, id)?;
            site.enable_https = enable_https;
            if enable_https && site.cert_file.is_none() {
                let pair = self_signed_for(&state, site)?;
                attach(&state, site, &pair, true)?;
            }
            Ok(cert_type(site))
        })
        .await?;
    Ok(HttpResponse::Ok().json(SiteHttpsSet {
        message: "Site certificate updated".into(),
        cert_type: kind,
        enable_https,
        reload,
    }))
}

/// Update a site (full fields, with `id`); its certificate is kept.
#[utoipa::path(tag = "site", request_body = SiteInput,
    responses((status = 200, body = Saved), (status = 400, description = "validation_error"),
              (status = 404, description = "not_found")))]
#[put("/site/update", wrap = "Need::write(Module::Site)")]
async fn update(state: Authorized, body: web::Json<SiteInput>) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let id = input.id.ok_or_else(|| ApiError::field("id", "required"))?;
    let spec = SiteSpec::try_from(input)?;
    let ((), reload) = state
        .change(|doc| {
            let site = site_mut(doc, id)?;
            let mut new = spec.site;
            if !spec.profiles_given {
                new.profiles = std::mem::take(&mut site.profiles);
            }
            new.id = id;
            new.cert_file = site.cert_file.take();
            new.key_file = site.key_file.take();
            new.mode = site.mode;
            new.sensitivity = site.sensitivity;
            new.disabled_rules = std::mem::take(&mut site.disabled_rules);
            new.exclusions = std::mem::take(&mut site.exclusions);
            new.request_body_encoding = site.request_body_encoding;
            new.maintenance = site.maintenance.take();
            new.cache = site.cache.take();
            match new.cert_template_id {
                Some(t) => {
                    super::cert_templates::for_site(&state, t)?;
                }
                None => new.cert_template_id = site.cert_template_id,
            }
            if new.enable_https && new.cert_file.is_none() {
                let pair = self_signed_for(&state, &new)?;
                attach(&state, &mut new, &pair, true)?;
            }
            *site = new;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Site updated", reload)))
}

/// `{"id", "cert_name"}` (a certificate of the store) or `{"id", "cert", "key"}` (PEM text).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCertBody {
    /// Site id.
    pub id: u64,
    /// Name given at `cert/upload`.
    #[serde(default)]
    pub cert_name: Option<String>,
    /// PEM chain.
    #[serde(default)]
    pub cert: Option<String>,
    /// PEM key.
    #[serde(default)]
    pub key: Option<String>,
}

/// Point a site at another certificate.
#[utoipa::path(tag = "site", request_body = UpdateCertBody,
    responses((status = 200, body = SiteCertUpdated), (status = 400, description = "validation_error"),
              (status = 404, description = "not_found")))]
#[post("/site/update-cert", wrap = "Need::write(Module::Site)")]
async fn update_cert(
    state: Authorized,
    body: web::Json<UpdateCertBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let pair = match (b.cert_name, b.cert, b.key) {
        (Some(name), None, None) => super::certs::load_named(&state, &name)?,
        (None, Some(c), Some(k)) => PemPair::parse(c, k).map_err(|e| ApiError::field("cert", e))?,
        _ => {
            return Err(ApiError::field(
                "cert_name",
                "give cert_name, or cert and key",
            ))
        }
    };
    replace_cert(&state, b.id, pair).await
}

/// Saves `pair` as site `id`'s certificate, turns HTTPS on and reloads waf-proxy (the path of
/// `/site/update-cert`, also taken by Let's Encrypt's `save`).
pub(crate) async fn install_cert(
    state: &AppState,
    id: u64,
    pair: &PemPair,
) -> Result<ReloadOutcome, ApiError> {
    let ((), reload) = state
        .change(|doc| {
            let site = site_mut(doc, id)?;
            attach(state, site, pair, false)?;
            site.enable_https = true;
            Ok(())
        })
        .await?;
    Ok(reload)
}

/// The names of site `id` (its `domain` split), or 404.
pub(crate) fn site_domains(state: &AppState, id: u64) -> Result<Vec<String>, ApiError> {
    state
        .rules_doc()?
        .all::<SiteSection>()
        .iter()
        .find(|s| s.id == id)
        .map(|s| domains(&s.domain))
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))
}

async fn replace_cert(state: &AppState, id: u64, pair: PemPair) -> Result<HttpResponse, ApiError> {
    let reload = install_cert(state, id, &pair).await?;
    Ok(HttpResponse::Ok().json(SiteCertUpdated {
        message: "Site certificate updated".into(),
        cert_type: "custom",
        reload,
    }))
}

/// Re-issue the site's self-signed certificate (from its certificate template, as the template
/// is now, when it names one).
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 200, body = SiteCertUpdated), (status = 404, description = "not_found")))]
#[post("/site/{id}/renew-certificate", wrap = "Need::write(Module::Site)")]
async fn renew(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ((), reload) = state
        .change(|doc| {
            let site = site_mut(doc, id)?;
            let pair = self_signed_for(&state, site)?;
            attach(&state, site, &pair, true)?;
            site.enable_https = true;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(SiteCertUpdated {
        message: "Certificate renewed".into(),
        cert_type: "self-signed",
        reload,
    }))
}

/// Replace the certificate: multipart `cert_file` + `key_file`.
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    request_body(content_type = "multipart/form-data", description = "cert_file, key_file"),
    responses((status = 200, body = SiteCertUpdated), (status = 400, description = "validation_error"),
              (status = 404, description = "not_found")))]
#[post("/site/{id}/replace-certificate", wrap = "Need::write(Module::Site)")]
async fn replace(
    state: Authorized,
    id: web::Path<u64>,
    mp: Multipart,
) -> Result<HttpResponse, ApiError> {
    let pair = pem_from_fields(&multipart_fields(mp).await?)?;
    replace_cert(&state, id.into_inner(), pair).await
}

/// Disable HTTPS, keeping the certificate files.
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 200, body = Saved), (status = 404, description = "not_found")))]
#[post("/site/{id}/remove-certificate", wrap = "Need::write(Module::Site)")]
async fn remove_cert(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ((), reload) = state
        .change(|doc| {
            let site = site_mut(doc, id)?;
            site.enable_https = false;
            site.force_https_redirect = false;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Saved::new("Certificate removed", reload)))
}

fn sm2() -> ApiError {
    ApiError::NotImplemented("SM2 certificates are not supported by this WAF".into())
}

/// SM2 certificates: not supported (501).
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 501, description = "not_implemented")))]
#[get("/site/{id}/sm2-certs", wrap = "Need::read(Module::Site)")]
async fn sm2_get(_id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    Err(sm2())
}

/// Bind SM2 certificates: not supported (501).
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 501, description = "not_implemented")))]
#[post("/site/{id}/sm2-certs", wrap = "Need::write(Module::Site)")]
async fn sm2_bind(_id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    Err(sm2())
}

/// Unbind SM2 certificates: not supported (501).
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 501, description = "not_implemented")))]
#[delete("/site/{id}/sm2-certs", wrap = "Need::write(Module::Site)")]
async fn sm2_unbind(_id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    Err(sm2())
}
