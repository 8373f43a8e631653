//! Let's Encrypt (§8.15): ACME orders for the sites, their status, the DNS-01 check, installing
//! the issued certificate, renewal, cancellation and expiry alerts. The protocol and the
//! background work are in [`crate::acme`].

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::{Module, Need};
use crate::acme::store::{self, ChallengeKind, OrderRow, OrderStatus};
use crate::acme::{self, AcmeError, DnsCheck, ALERT_DAYS};
use crate::error::{ApiError, ErrorBody};
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use crate::state::now;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(alerts)
        .service(list)
        .service(status)
        .service(check_dns)
        .service(create_order)
        .service(save)
        .service(renew)
        .service(cancel)
        .service(dismiss);
}

/// The API error of an ACME failure.
fn api_error(e: AcmeError) -> ApiError {
    {
        match e {
            AcmeError::Db(e) => ApiError::internal(e),
            AcmeError::Io(e) => ApiError::internal(e),
            AcmeError::Proxy(e) => ApiError::ProxyUnavailable(e),
            e @ (AcmeError::Ca(_) | AcmeError::State(_)) => ApiError::Conflict(e.to_string()),
        }
    }
}

/// `{"site_id", "domains"?, "challenge"?}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// The site the certificate is for.
    pub site_id: u64,
    /// Names to certify (default: the site's domains); each must be one of the site's.
    #[serde(default)]
    pub domains: Option<Vec<String>>,
    /// `http-01` (default; waf-proxy answers it) or `dns-01` (publish the TXT records, then
    /// `check-dns`).
    #[serde(default)]
    pub challenge: Option<ChallengeKind>,
}

/// `{"id"}`: an order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderId {
    /// Order id.
    pub id: i64,
}

/// One order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderReply {
    /// What happened.
    pub message: String,
    /// The order.
    pub order: OrderRow,
}

/// Every order, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// The orders.
    pub orders: Vec<OrderRow>,
    /// How many are still with the CA (pending or processing).
    pub pending: usize,
}

/// The DNS-01 check of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DnsCheckReply {
    /// Order id.
    pub id: i64,
    /// Each TXT record.
    pub records: Vec<DnsCheck>,
    /// Every record resolves to its value.
    pub all_ok: bool,
    /// The challenges were submitted to the CA by this check.
    pub submitted: bool,
}

/// The certificate was installed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SaveReply {
    /// `Certificate installed`.
    pub message: String,
    /// Order id.
    pub id: i64,
    /// The site now serving it.
    pub site_id: u64,
    /// The store name it was saved under (`le-<id>`).
    pub cert_name: String,
    /// Whether waf-proxy serves it now.
    pub reload: ReloadOutcome,
}

/// A renewal was ordered.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenewReply {
    /// `Renewal ordered`.
    pub message: String,
    /// The new order.
    pub id: i64,
    /// The order it renews.
    pub renewed_from: i64,
}

/// An installed certificate expiring within 30 days.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiryAlert {
    /// Order id (for `dismiss-alert`).
    pub id: i64,
    /// Site id.
    pub site_id: u64,
    /// Names in the certificate.
    pub domains: Vec<String>,
    /// Unix time it expires.
    pub not_after: i64,
    /// Whole days left (negative when expired).
    pub days_left: i64,
}

/// The expiry alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    /// Alerts, soonest expiry first.
    pub alerts: Vec<ExpiryAlert>,
}

/// A short confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// What happened.
    pub message: String,
    /// Order id.
    pub id: i64,
}

fn get_order(state: &Authorized, id: i64) -> Result<OrderRow, ApiError> {
    state
        .with_db(|c| store::get(c, id))?
        .ok_or_else(|| ApiError::NotFound(format!("order {id}")))
}

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// Installed certificates expiring within 30 days whose alert was not dismissed.
#[utoipa::path(tag = "letsencrypt", responses((status = 200, body = AlertList)))]
#[get("/letsencrypt/alerts", wrap = "Need::read(Module::Letsencrypt)")]
async fn alerts(state: Authorized) -> Result<HttpResponse, ApiError> {
    let t = now();
    let rows = state.with_db(|c| store::expiring(c, t + ALERT_DAYS * 86_400))?;
    let alerts = rows
        .into_iter()
        .filter(|o| !o.alert_dismissed)
        .map(|o| ExpiryAlert {
            id: o.id,
            site_id: o.site_id,
            domains: o.domains,
            not_after: o.not_after,
            days_left: (o.not_after - t).div_euclid(86_400),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AlertList { alerts }))
}

/// Every order, newest first.
#[utoipa::path(tag = "letsencrypt", responses((status = 200, body = OrderList)))]
#[get("/letsencrypt/list", wrap = "Need::read(Module::Letsencrypt)")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let orders = state.with_db(store::list)?;
    let pending = orders.iter().filter(|o| o.status.open()).count();
    Ok(HttpResponse::Ok().json(OrderList { orders, pending }))
}

/// One order: its status, the error when it failed, TXT records, the issued certificate's facts.
#[utoipa::path(tag = "letsencrypt", params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, body = OrderReply), (status = 404, body = ErrorBody)))]
#[get("/letsencrypt/status/{id}", wrap = "Need::read(Module::Letsencrypt)")]
async fn status(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let order = get_order(&state, id.into_inner())?;
    Ok(HttpResponse::Ok().json(OrderReply {
        message: format!("{:?}", order.status).to_lowercase(),
        order,
    }))
}

/// Resolves a DNS-01 order's TXT records; when all resolve to their values and the order is
/// pending, submits its challenges to the CA (the order then proceeds in the background).
#[utoipa::path(tag = "letsencrypt", params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, body = DnsCheckReply), (status = 404, body = ErrorBody),
        (status = 409, description = "not a DNS-01 order", body = ErrorBody)))]
#[get(
    "/letsencrypt/check-dns/{id}",
    wrap = "Need::read(Module::Letsencrypt)"
)]
async fn check_dns(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let o = get_order(&state, id)?;
    if o.challenge != ChallengeKind::Dns01 {
        return Err(ApiError::Conflict(format!(
            "order {id} is not a dns-01 order"
        )));
    }
    let records = acme::check_dns(&state.acme.cfg, &o.dns_records)
        .await
        .map_err(ApiError::internal)?;
    let all_ok = !records.is_empty() && records.iter().all(|r| r.ok);
    let submitted = all_ok && o.status == OrderStatus::Pending;
    if submitted {
        acme::submit_dns(state.into_inner(), id)
            .await
            .map_err(api_error)?;
    }
    Ok(HttpResponse::Ok().json(DnsCheckReply {
        id,
        records,
        all_ok,
        submitted,
    }))
}

/// Orders a certificate for a site. HTTP-01 (default) is answered by waf-proxy and proceeds by
/// itself; DNS-01 lists the TXT records to publish, then `check-dns`.
#[utoipa::path(tag = "letsencrypt", request_body = OrderBody,
    responses((status = 200, body = OrderReply), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "the CA refused", body = ErrorBody)))]
#[post("/letsencrypt/order", wrap = "Need::write(Module::Letsencrypt)")]
async fn create_order(
    state: Authorized,
    body: web::Json<OrderBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let challenge = b.challenge.unwrap_or(ChallengeKind::Http01);
    let site_names = super::sites::site_domains(&state, b.site_id)?;
    let domains = match b.domains {
        Some(d) => {
            if let Some(bad) = d.iter().find(|n| !site_names.contains(n)) {
                return Err(ApiError::field(
                    "domains",
                    format!("{bad:?} is not a domain of site {}", b.site_id),
                ));
            }
            d
        }
        None => site_names,
    };
    if domains.is_empty() || domains.len() > 100 {
        return Err(ApiError::field("domains", "1 to 100 names"));
    }
    for d in &domains {
        let name = d.strip_prefix("*.").unwrap_or(d);
        if !valid_domain(name) {
            return Err(ApiError::field(
                "domains",
                format!("{d:?} is not a DNS name"),
            ));
        }
        if d.starts_with("*.") && challenge == ChallengeKind::Http01 {
            return Err(ApiError::field("challenge", "a wildcard name needs dns-01"));
        }
    }
    let id =
        state.with_db(|c| store::insert(c, b.site_id, &domains, challenge, false, 0, now()))?;
    let state = state.into_inner();
    acme::start(state.clone(), id).await.map_err(api_error)?;
    let order = state
        .with_db(|c| store::get(c, id))?
        .ok_or_else(|| ApiError::internal("order vanished"))?;
    Ok(HttpResponse::Ok().json(OrderReply {
        message: "Order created".into(),
        order,
    }))
}

/// Installs an issued order's certificate on its site (as `/cert/upload` + `/site/update-cert`
/// do) and reloads waf-proxy's TLS without a restart.
#[utoipa::path(tag = "letsencrypt", request_body = OrderId,
    responses((status = 200, body = SaveReply), (status = 404, body = ErrorBody),
        (status = 409, description = "not issued", body = ErrorBody)))]
#[post("/letsencrypt/save", wrap = "Need::write(Module::Letsencrypt)")]
async fn save(state: Authorized, body: web::Json<OrderId>) -> Result<HttpResponse, ApiError> {
    let id = body.into_inner().id;
    let o = get_order(&state, id)?;
    let reload = acme::install(&state, id).await?;
    Ok(HttpResponse::Ok().json(SaveReply {
        message: "Certificate installed".into(),
        id,
        site_id: o.site_id,
        cert_name: format!("le-{id}"),
        reload,
    }))
}

/// Orders a renewal of an order's certificate (same site, names and challenge); installed on
/// the site as soon as it is issued.
#[utoipa::path(tag = "letsencrypt", request_body = OrderId,
    responses((status = 200, body = RenewReply), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
#[post("/letsencrypt/renew-order", wrap = "Need::write(Module::Letsencrypt)")]
async fn renew(state: Authorized, body: web::Json<OrderId>) -> Result<HttpResponse, ApiError> {
    let id = body.into_inner().id;
    get_order(&state, id)?;
    let new = acme::renew(state.into_inner(), id).await?;
    Ok(HttpResponse::Ok().json(RenewReply {
        message: "Renewal ordered".into(),
        id: new,
        renewed_from: id,
    }))
}

/// Cancels an order still with the CA; waf-proxy stops answering its tokens.
#[utoipa::path(tag = "letsencrypt", params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, body = Done), (status = 404, body = ErrorBody),
        (status = 409, description = "no longer pending", body = ErrorBody)))]
#[post("/letsencrypt/cancel/{id}", wrap = "Need::write(Module::Letsencrypt)")]
async fn cancel(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    get_order(&state, id)?;
    if !state.with_db(|c| store::set_status(c, id, OrderStatus::Cancelled, "cancelled", now()))? {
        return Err(ApiError::Conflict(format!(
            "order {id} is no longer pending"
        )));
    }
    acme::clear_tokens(&state, id).await;
    Ok(HttpResponse::Ok().json(Done {
        message: "Order cancelled".into(),
        id,
    }))
}

/// Dismisses the expiry alert of an order.
#[utoipa::path(tag = "letsencrypt", params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, body = Done), (status = 404, body = ErrorBody)))]
#[post(
    "/letsencrypt/dismiss-alert/{id}",
    wrap = "Need::write(Module::Letsencrypt)"
)]
async fn dismiss(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if !state.with_db(|c| store::dismiss(c, id, now()))? {
        return Err(ApiError::NotFound(format!("order {id}")));
    }
    Ok(HttpResponse::Ok().json(Done {
        message: "Alert dismissed".into(),
        id,
    }))
}
