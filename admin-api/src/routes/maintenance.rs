//! Maintenance mode per site: `POST /site/maintenance` (site:write) writes the site's
//! `maintenance` block to the rule set and reloads waf-proxy, which from then on answers every
//! request for that site with a 503 maintenance page (its text, `Retry-After`) without
//! contacting the origin. The public helpers `/maintenance-server` and
//! `/maintenance-server-status` say who serves that page and whether a host is in maintenance.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::{RawMaintenance, RawSite};
use waf_core::model::Maintenance;

use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use crate::store::SiteSection;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(set).service(server).service(status);
}

/// `{"id": 1, "enabled": true, "message": "...", "retry_after": 600}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceBody {
    /// Site id.
    pub id: u64,
    /// Maintenance on or off.
    pub enabled: bool,
    /// Plain text of the page (at most 2000 characters; newlines kept); a default text when
    /// absent. Kept while maintenance is off, for the next time.
    #[serde(default)]
    pub message: Option<String>,
    /// `Retry-After` seconds (1-604800, default 600).
    #[serde(default)]
    pub retry_after: Option<u32>,
}

fn in_maintenance(s: &RawSite) -> bool {
    s.status == 1 && s.maintenance.as_ref().is_some_and(|m| m.enabled)
}

/// A site's maintenance mode, defaults filled in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MaintenanceView {
    /// Whether the site is in maintenance.
    pub enabled: bool,
    /// Text of the page.
    pub message: String,
    /// `Retry-After` seconds.
    pub retry_after: u32,
}

/// `{"message", "id", "maintenance", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MaintenanceSet {
    /// `Maintenance mode enabled` or `Maintenance mode disabled`.
    pub message: String,
    /// Site id.
    pub id: u64,
    /// The site's maintenance mode now.
    pub maintenance: MaintenanceView,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// Who serves the maintenance page, and how.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MaintenanceServer {
    /// `waf-proxy`.
    pub served_by: &'static str,
    /// 503.
    pub status_code: u16,
    /// The page's text when a site sets none.
    pub default_message: &'static str,
    /// `Retry-After` seconds when a site sets none.
    pub default_retry_after: u32,
    /// The call that turns it on.
    pub configure: String,
}

/// Whether a host, or any site, is in maintenance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum MaintenanceStatus {
    /// With `?host=`.
    Host {
        /// The host asked about, normalised (lower case, no port).
        host: String,
        /// Whether the site serving it is in maintenance.
        maintenance: bool,
        /// Its `Retry-After` seconds while in maintenance.
        retry_after: Option<u32>,
    },
    /// Without `?host=`.
    All {
        /// Whether a site is in maintenance.
        maintenance: bool,
        /// How many are.
        sites_in_maintenance: usize,
    },
}

fn view(m: Option<&RawMaintenance>) -> MaintenanceView {
    MaintenanceView {
        enabled: m.is_some_and(|m| m.enabled),
        message: m
            .and_then(|m| m.message.clone())
            .unwrap_or_else(|| Maintenance::DEFAULT_MESSAGE.into()),
        retry_after: m
            .and_then(|m| m.retry_after)
            .unwrap_or(Maintenance::DEFAULT_RETRY_AFTER),
    }
}

/// Put a site in maintenance (503 page from waf-proxy) or take it out.
#[utoipa::path(tag = "site", request_body = MaintenanceBody,
    responses((status = 200, body = MaintenanceSet),
              (status = 400, description = "validation_error"), (status = 404, description = "not_found")))]
#[post("/site/maintenance", wrap = "Need::write(Module::Site)")]
async fn set(
    state: Authorized,
    body: web::Json<MaintenanceBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (m, reload) = state
        .change(|doc| {
            let site = doc
                .find_mut::<SiteSection>(|s| s.id == b.id)
                .ok_or_else(|| ApiError::NotFound(format!("site {}", b.id)))?;
            let old = site.maintenance.take();
            let m = RawMaintenance {
                enabled: b.enabled,
                message: b
                    .message
                    .or_else(|| old.as_ref().and_then(|o| o.message.clone())),
                retry_after: b
                    .retry_after
                    .or_else(|| old.as_ref().and_then(|o| o.retry_after)),
            };
            site.maintenance = Some(m.clone());
            Ok(m)
        })
        .await?;
    let msg = if b.enabled {
        "Maintenance mode enabled"
    } else {
        "Maintenance mode disabled"
    };
    Ok(HttpResponse::Ok().json(MaintenanceSet {
        message: msg.into(),
        id: b.id,
        maintenance: view(Some(&m)),
        reload,
    }))
}

/// Who serves the maintenance page, and how.
#[utoipa::path(tag = "public", security(()),
    responses((status = 200, body = MaintenanceServer)))]
#[get("/maintenance-server", wrap = "Need::public()")]
async fn server() -> HttpResponse {
    HttpResponse::Ok().json(MaintenanceServer {
        served_by: "waf-proxy",
        status_code: 503,
        default_message: Maintenance::DEFAULT_MESSAGE,
        default_retry_after: Maintenance::DEFAULT_RETRY_AFTER,
        configure: format!("POST {}/site/maintenance", crate::access::BASE),
    })
}

/// `?host=example.com` (optional).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// A host name; without it, the answer covers every site.
    pub host: Option<String>,
}

/// How well `site` serves `host`: `usize::MAX` for an exact domain, the suffix length for a
/// `*.` wildcard (the longest wins, as in waf-proxy's routing), `None` when it does not.
pub(crate) fn serves(site: &RawSite, host: &str) -> Option<usize> {
    site.domain
        .split([',', ';', '\n'])
        .map(|d| d.trim().to_ascii_lowercase())
        .filter_map(|d| match d.strip_prefix("*.") {
            Some(suffix) => (host.len() > suffix.len() + 1
                && host.ends_with(suffix)
                && host.as_bytes()[host.len() - suffix.len() - 1] == b'.')
                .then_some(suffix.len()),
            None => (d == host).then_some(usize::MAX),
        })
        .max()
}

/// Whether a host (or any site) is in maintenance. Names no site: a host the caller does not
/// already know is never revealed.
#[utoipa::path(tag = "public", security(()), params(StatusQuery),
    responses((status = 200, body = MaintenanceStatus),
              (status = 400, description = "validation_error (unknown query parameter)")))]
#[get("/maintenance-server-status", wrap = "Need::public()")]
async fn status(state: Authorized, q: web::Query<StatusQuery>) -> Result<HttpResponse, ApiError> {
    let sites = state.rules_doc()?.all::<SiteSection>();
    match q.into_inner().host {
        Some(host) => {
            let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
            let host = host
                .rsplit_once(':')
                .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                .map_or(host.as_str(), |(h, _)| h);
            let site = sites
                .iter()
                .filter_map(|s| serves(s, host).map(|rank| (rank, s)))
                .max_by_key(|(rank, _)| *rank)
                .map(|(_, s)| s);
            let on = site.is_some_and(in_maintenance);
            let retry_after = site
                .filter(|_| on)
                .and_then(|s| s.maintenance.as_ref())
                .map(|m| m.retry_after.unwrap_or(Maintenance::DEFAULT_RETRY_AFTER));
            Ok(HttpResponse::Ok().json(MaintenanceStatus::Host {
                host: host.to_string(),
                maintenance: on,
                retry_after,
            }))
        }
        None => {
            let n = sites.iter().filter(|s| in_maintenance(s)).count();
            Ok(HttpResponse::Ok().json(MaintenanceStatus::All {
                maintenance: n > 0,
                sites_in_maintenance: n,
            }))
        }
    }
}
