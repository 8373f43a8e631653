//! Let's Encrypt (ACME v2, RFC 8555) for the sites: the account, orders from creation to the
//! installed certificate, the DNS-01 check and the background renewal.
//!
//! HTTP-01 tokens are handed to waf-proxy over its control socket (`acme-challenge-set`), which
//! answers `/.well-known/acme-challenge/<token>` for the order's domain until they are cleared.
//! The protocol is instant-acme's; orders are rows of [`store`]; the account's credentials (its
//! private key) are `DATA_DIR/acme/account.json`, mode 0600.

pub mod client;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, RetryPolicy,
};
use serde::{Deserialize, Serialize};
use waf_core::control::ControlRequest;

pub use client::{Acme, AcmeConfig, ALERT_DAYS, LETSENCRYPT_DIRECTORY};

use crate::state::{now, AppState};
use store::{ChallengeKind, DnsRecord, OrderStatus};

/// Why an ACME step failed.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    /// The CA refused or could not be reached.
    #[error("ACME server: {0}")]
    Ca(#[from] instant_acme::Error),
    /// The database.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The account file or a key file.
    #[error("{0}")]
    Io(String),
    /// waf-proxy did not take a challenge token.
    #[error("waf-proxy: {0}")]
    Proxy(String),
    /// The order is not in a state that allows this.
    #[error("{0}")]
    State(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    directory: String,
    credentials: AccountCredentials,
}

/// The account for the configured directory: loaded from `DATA_DIR/acme/account.json`, or
/// registered (terms agreed) and saved there with mode 0600.
async fn account(state: &AppState) -> Result<Account, AcmeError> {
    let acme = &state.acme;
    let mut slot = acme.account.lock().await;
    if let Some(a) = slot.as_ref() {
        return Ok(a.clone());
    }
    let builder = || match &acme.cfg.ca_file {
        Some(p) => Account::builder_with_root(p),
        None => Account::builder(),
    };
    let path = state.data_dir.join("acme").join("account.json");
    let saved = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<AccountFile>(&b).ok())
        .filter(|f| f.directory == acme.cfg.directory);
    let account = match saved {
        Some(f) => builder()?.from_credentials(f.credentials).await?,
        None => {
            let (account, credentials) = builder()?
                .create(
                    &NewAccount {
                        contact: &[],
                        terms_of_service_agreed: true,
                        only_return_existing: false,
                    },
                    acme.cfg.directory.clone(),
                    None,
                )
                .await?;
            let file = AccountFile {
                directory: acme.cfg.directory.clone(),
                credentials,
            };
            let json = serde_json::to_vec(&file).map_err(|e| AcmeError::Io(e.to_string()))?;
            std::fs::create_dir_all(path.parent().unwrap_or(state.data_dir.as_path()))
                .and_then(|()| crate::tls::write_private(&path, &json))
                .map_err(|e| AcmeError::Io(format!("{}: {e}", path.display())))?;
            tracing::info!(directory = %acme.cfg.directory, "registered an ACME account");
            account
        }
    };
    *slot = Some(account.clone());
    Ok(account)
}

/// The private key file of an order's certificate.
pub fn key_path(state: &AppState, id: i64) -> PathBuf {
    state.data_dir.join("acme").join(format!("order-{id}.key"))
}

fn db<T>(
    state: &AppState,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Result<T, AcmeError> {
    let conn = state.db.lock().unwrap_or_else(|p| p.into_inner());
    Ok(f(&conn)?)
}

/// Records a failure of order `id` (unless it was cancelled meanwhile) and clears its tokens.
async fn fail(state: &AppState, id: i64, e: &AcmeError) {
    tracing::warn!(order = id, error = %e, "ACME order failed");
    let msg = e.to_string();
    let _ = db(state, |c| {
        store::set_status(c, id, OrderStatus::Invalid, &msg, now())
    });
    clear_tokens(state, id).await;
}

/// Tells waf-proxy to stop answering the HTTP-01 tokens of order `id`.
pub async fn clear_tokens(state: &AppState, id: i64) {
    let Ok(Some(o)) = db(state, |c| store::get(c, id)) else {
        return;
    };
    if o.tokens.is_empty() {
        return;
    }
    let req = ControlRequest::AcmeChallengeClear { tokens: o.tokens };
    if let Err(e) = state.proxy.call(&req).await {
        tracing::warn!(order = id, error = %e, "cannot clear ACME tokens in waf-proxy");
    }
}

/// Creates order `id` (already a `pending` row) at the CA: HTTP-01 tokens go to waf-proxy and
/// the challenges are submitted, the rest runs in the background; DNS-01 orders wait for
/// `check-dns` with their TXT records recorded.
pub async fn start(state: Arc<AppState>, id: i64) -> Result<(), AcmeError> {
    match start_inner(&state, id).await {
        Ok(true) => {
            actix_web::rt::spawn(finish(state, id));
            Ok(())
        }
        Ok(false) => Ok(()),
        Err(e) => {
            fail(&state, id, &e).await;
            Err(e)
        }
    }
}

async fn start_inner(state: &AppState, id: i64) -> Result<bool, AcmeError> {
    let o = db(state, |c| store::get(c, id))?
        .ok_or_else(|| AcmeError::State(format!("no order {id}")))?;
    let account = account(state).await?;
    let identifiers: Vec<Identifier> = o.domains.iter().cloned().map(Identifier::Dns).collect();
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let url = order.url().to_string();
    let (mut tokens, mut records) = (Vec::new(), Vec::new());
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut a = a?;
        if a.status != AuthorizationStatus::Pending {
            continue;
        }
        let kind = match o.challenge {
            ChallengeKind::Http01 => ChallengeType::Http01,
            ChallengeKind::Dns01 => ChallengeType::Dns01,
        };
        let mut ch = a.challenge(kind).ok_or_else(|| {
            AcmeError::State(format!("the CA offers no {:?} challenge", o.challenge))
        })?;
        let host = ch.identifier().identifier.to_string_lossy();
        match o.challenge {
            ChallengeKind::Http01 => {
                let req = ControlRequest::AcmeChallengeSet {
                    token: ch.token.clone(),
                    host,
                    key_authorization: ch.key_authorization().as_str().to_string(),
                };
                let resp = state
                    .proxy
                    .call(&req)
                    .await
                    .map_err(|e| AcmeError::Proxy(e.to_string()))?;
                if !resp.ok {
                    return Err(AcmeError::Proxy(resp.error.unwrap_or_default()));
                }
                tokens.push(ch.token.clone());
                ch.set_ready().await?;
            }
            ChallengeKind::Dns01 => records.push(DnsRecord {
                name: format!("_acme-challenge.{host}"),
                value: ch.key_authorization().dns_value(),
            }),
        }
    }
    let http = o.challenge == ChallengeKind::Http01;
    let status = if http {
        OrderStatus::Processing
    } else {
        OrderStatus::Pending
    };
    db(state, |c| {
        store::set_started(c, id, &url, &tokens, &records, status, now())
    })?;
    Ok(http)
}

trait LossyName {
    fn to_string_lossy(&self) -> String;
}

impl LossyName for Identifier {
    fn to_string_lossy(&self) -> String {
        match self {
            Identifier::Dns(d) => d.clone(),
            Identifier::Ip(ip) => ip.to_string(),
            other => format!("{other:?}"),
        }
    }
}

/// Submits the DNS-01 challenges of a pending order (its TXT records resolve) and finishes it in
/// the background.
pub async fn submit_dns(state: Arc<AppState>, id: i64) -> Result<(), AcmeError> {
    let r = async {
        let o = db(&state, |c| store::get(c, id))?
            .ok_or_else(|| AcmeError::State(format!("no order {id}")))?;
        let account = account(&state).await?;
        let mut order = account.order(o.order_url.clone()).await?;
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a?;
            if a.status != AuthorizationStatus::Pending {
                continue;
            }
            if let Some(mut ch) = a.challenge(ChallengeType::Dns01) {
                ch.set_ready().await?;
            }
        }
        db(&state, |c| {
            store::set_status(c, id, OrderStatus::Processing, "", now())
        })?;
        Ok::<(), AcmeError>(())
    }
    .await;
    match r {
        Ok(()) => {
            actix_web::rt::spawn(finish(state, id));
            Ok(())
        }
        Err(e) => {
            fail(&state, id, &e).await;
            Err(e)
        }
    }
}

/// Waits for validation, finalizes with a fresh key, stores the certificate; installs it when
/// the order says so (renewals). Failures are recorded on the order.
pub async fn finish(state: Arc<AppState>, id: i64) {
    match finish_inner(&state, id).await {
        Ok(issued) => {
            clear_tokens(&state, id).await;
            if issued {
                let auto = db(&state, |c| store::get(c, id))
                    .ok()
                    .flatten()
                    .is_some_and(|o| o.auto_save && o.installed_at == 0);
                if auto {
                    if let Err(e) = install(&state, id).await {
                        tracing::warn!(order = id, error = %e, "cannot install the renewed certificate");
                    }
                }
            }
        }
        Err(e) => fail(&state, id, &e).await,
    }
}

async fn finish_inner(state: &AppState, id: i64) -> Result<bool, AcmeError> {
    let o = db(state, |c| store::get(c, id))?
        .ok_or_else(|| AcmeError::State(format!("no order {id}")))?;
    let account = account(state).await?;
    let mut order = account.order(o.order_url.clone()).await?;
    let retry = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .backoff(1.5)
        .timeout(state.acme.cfg.order_timeout);
    if order.poll_ready(&retry).await? != instant_acme::OrderStatus::Ready {
        return Err(AcmeError::State("the CA did not validate the order".into()));
    }
    let key_pem = order.finalize().await?;
    let chain = order.poll_certificate(&retry).await?;
    let facts = cert_facts(&chain).map_err(AcmeError::State)?;
    let path = key_path(state, id);
    std::fs::create_dir_all(path.parent().unwrap_or(state.data_dir.as_path()))
        .and_then(|()| crate::tls::write_private(&path, key_pem.as_bytes()))
        .map_err(|e| AcmeError::Io(format!("{}: {e}", path.display())))?;
    let stored = db(state, |c| {
        store::set_issued(
            c,
            id,
            &chain,
            &facts.serial,
            &facts.issuer,
            facts.not_after,
            now(),
        )
    })?;
    Ok(stored)
}

/// Serial (hex), issuer and expiry of the first certificate of a PEM chain.
pub struct CertFacts {
    /// Serial number, lowercase hex.
    pub serial: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Unix time it expires.
    pub not_after: i64,
}

/// The facts of the leaf of `chain_pem`.
pub fn cert_facts(chain_pem: &str) -> Result<CertFacts, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(chain_pem.as_bytes())
        .map_err(|e| format!("certificate PEM: {e}"))?;
    let cert = pem.parse_x509().map_err(|e| format!("certificate: {e}"))?;
    Ok(CertFacts {
        serial: cert.raw_serial_as_string().replace(':', ""),
        issuer: cert.issuer().to_string(),
        not_after: cert.validity().not_after.timestamp(),
    })
}

/// Installs the certificate of issued order `id` on its site: into the certificate store like
/// `/cert/upload` (name `le-<id>`), then on the site like `/site/update-cert`, and waf-proxy
/// reloads (TLS without a restart).
pub async fn install(
    state: &AppState,
    id: i64,
) -> Result<crate::proxy::ReloadOutcome, crate::error::ApiError> {
    use crate::error::ApiError;
    let o = state
        .with_db(|c| store::get(c, id))?
        .ok_or_else(|| ApiError::NotFound(format!("order {id}")))?;
    if o.status != OrderStatus::Valid || o.cert_pem.is_empty() {
        return Err(ApiError::Conflict(format!(
            "order {id} has no issued certificate (status {:?})",
            o.status
        )));
    }
    let key = std::fs::read_to_string(key_path(state, id)).map_err(ApiError::internal)?;
    let pair = crate::tls::PemPair::parse(o.cert_pem.clone(), key)
        .map_err(|e| ApiError::internal(format!("issued certificate: {e}")))?;
    pair.save(&state.data_dir.join("certs"), &format!("le-{id}"))
        .map_err(ApiError::internal)?;
    let reload = crate::routes::sites::install_cert(state, o.site_id, &pair).await?;
    state.with_db(|c| store::set_installed(c, id, now()))?;
    Ok(reload)
}

/// Creates a renewal of order `id` (same site, names and challenge; installed when issued).
pub async fn renew(state: Arc<AppState>, id: i64) -> Result<i64, crate::error::ApiError> {
    use crate::error::ApiError;
    let o = state
        .with_db(|c| store::get(c, id))?
        .ok_or_else(|| ApiError::NotFound(format!("order {id}")))?;
    let new =
        state.with_db(|c| store::insert(c, o.site_id, &o.domains, o.challenge, true, id, now()))?;
    start(state, new)
        .await
        .map_err(|e| ApiError::Conflict(format!("renewal order {new}: {e}")))?;
    Ok(new)
}

/// The background renewal: every `interval`, renews each installed certificate expiring within
/// `renew_before` that has no renewal yet (`waf-admin` runs it with `--acme-renew-*`).
pub async fn renewal_loop(state: Arc<AppState>, interval: Duration, renew_before: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let before = now().saturating_add(renew_before.as_secs() as i64);
        let due = match state.with_db(|c| store::expiring(c, before)) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "ACME renewal: cannot read orders");
                continue;
            }
        };
        for o in due {
            match renew(state.clone(), o.id).await {
                Ok(new) => tracing::info!(order = o.id, renewal = new, "renewing certificate"),
                Err(e) => tracing::warn!(order = o.id, error = %e, "ACME renewal failed"),
            }
        }
    }
}

/// What resolving one TXT record found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DnsCheck {
    /// `_acme-challenge.<domain>`.
    pub name: String,
    /// The value the CA expects.
    pub expected: String,
    /// The TXT values found.
    pub found: Vec<String>,
    /// Whether the expected value is among them.
    pub ok: bool,
}

/// Resolves the TXT records of `records` with the configured DNS server (or the system's).
pub async fn check_dns(cfg: &AcmeConfig, records: &[DnsRecord]) -> Result<Vec<DnsCheck>, String> {
    use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig};
    use hickory_resolver::name_server::TokioConnectionProvider;
    use hickory_resolver::Resolver;
    let resolver = match cfg.dns_server {
        Some(addr) => {
            let group = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
            Resolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], group),
                TokioConnectionProvider::default(),
            )
            .build()
        }
        None => Resolver::builder_tokio()
            .map_err(|e| format!("system resolver: {e}"))?
            .build(),
    };
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let found: Vec<String> = match resolver.txt_lookup(format!("{}.", r.name)).await {
            Ok(l) => l
                .iter()
                .map(|t| {
                    t.txt_data()
                        .iter()
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect::<String>()
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        out.push(DnsCheck {
            name: r.name.clone(),
            ok: found.contains(&r.value),
            expected: r.value.clone(),
            found,
        });
    }
    Ok(out)
}
