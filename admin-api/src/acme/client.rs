//! What the app keeps of ACME: how to reach the CA and the account, created on first use.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use instant_acme::Account;

/// Let's Encrypt's production directory, the default.
pub const LETSENCRYPT_DIRECTORY: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// Certificates expiring within this many days raise an alert.
pub const ALERT_DAYS: i64 = 30;

/// How waf-admin talks to the CA.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    /// The ACME directory URL.
    pub directory: String,
    /// A PEM root to trust for the directory instead of the system roots (a test CA).
    pub ca_file: Option<PathBuf>,
    /// The DNS server `check-dns` asks (default: the system resolver).
    pub dns_server: Option<SocketAddr>,
    /// How often the renewal task looks for certificates to renew.
    pub renew_interval: Duration,
    /// Renew certificates expiring within this long.
    pub renew_before: Duration,
    /// How long to wait for the CA to validate and to issue.
    pub order_timeout: Duration,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        AcmeConfig {
            directory: LETSENCRYPT_DIRECTORY.into(),
            ca_file: None,
            dns_server: None,
            renew_interval: Duration::from_secs(12 * 3600),
            renew_before: Duration::from_secs(ALERT_DAYS as u64 * 86_400),
            order_timeout: Duration::from_secs(120),
        }
    }
}

/// The ACME side of the app: configuration and the account, created on first use.
pub struct Acme {
    /// Configuration.
    pub cfg: AcmeConfig,
    pub(super) account: tokio::sync::Mutex<Option<Account>>,
}

impl std::fmt::Debug for Acme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acme")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Acme {
    /// An ACME client for `cfg`; nothing is contacted until the first order.
    pub fn new(cfg: AcmeConfig) -> Self {
        Acme {
            cfg,
            account: tokio::sync::Mutex::new(None),
        }
    }
}
