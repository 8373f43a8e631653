//! The ACME orders in SQLite (`acme_orders`): one row per order, from creation to the installed
//! certificate. Certificates live here; their private keys in `DATA_DIR/acme/` (0600).

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Creates the table.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS acme_orders (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             site_id INTEGER NOT NULL,
             domains TEXT NOT NULL,
             challenge TEXT NOT NULL,
             status TEXT NOT NULL,
             order_url TEXT NOT NULL DEFAULT '',
             error TEXT NOT NULL DEFAULT '',
             dns_records TEXT NOT NULL DEFAULT '[]',
             tokens TEXT NOT NULL DEFAULT '[]',
             cert_pem TEXT NOT NULL DEFAULT '',
             serial TEXT NOT NULL DEFAULT '',
             issuer TEXT NOT NULL DEFAULT '',
             not_after INTEGER NOT NULL DEFAULT 0,
             auto_save INTEGER NOT NULL DEFAULT 0,
             installed_at INTEGER NOT NULL DEFAULT 0,
             alert_dismissed INTEGER NOT NULL DEFAULT 0,
             renewed_from INTEGER NOT NULL DEFAULT 0,
             renewed_by INTEGER NOT NULL DEFAULT 0,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );",
    )
}

/// The challenge an order is validated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ChallengeKind {
    /// waf-proxy answers `/.well-known/acme-challenge/<token>`.
    #[serde(rename = "http-01")]
    Http01,
    /// A TXT record `_acme-challenge.<domain>` the operator publishes.
    #[serde(rename = "dns-01")]
    Dns01,
}

impl ChallengeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Http01 => "http-01",
            ChallengeKind::Dns01 => "dns-01",
        }
    }
    fn parse(s: &str) -> Self {
        if s == "dns-01" {
            ChallengeKind::Dns01
        } else {
            ChallengeKind::Http01
        }
    }
}

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Created; DNS-01 waits for its TXT records (`check-dns`).
    Pending,
    /// Challenges submitted; the CA validates, then issues.
    Processing,
    /// Issued: the certificate is here, `save` installs it.
    Valid,
    /// The CA refused, or something failed (`error` says what).
    Invalid,
    /// Cancelled by `cancel`.
    Cancelled,
}

impl OrderStatus {
    fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Valid => "valid",
            OrderStatus::Invalid => "invalid",
            OrderStatus::Cancelled => "cancelled",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "pending" => OrderStatus::Pending,
            "processing" => OrderStatus::Processing,
            "valid" => OrderStatus::Valid,
            "cancelled" => OrderStatus::Cancelled,
            _ => OrderStatus::Invalid,
        }
    }
    /// Whether the order is still in the CA's hands.
    pub fn open(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Processing)
    }
}

/// A TXT record a DNS-01 order needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DnsRecord {
    /// `_acme-challenge.<domain>`.
    pub name: String,
    /// The TXT value.
    pub value: String,
}

/// One order as stored and as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderRow {
    /// Order id.
    pub id: i64,
    /// The site the certificate is for.
    pub site_id: u64,
    /// Names in the certificate.
    pub domains: Vec<String>,
    /// How it is validated.
    pub challenge: ChallengeKind,
    /// Where it is.
    pub status: OrderStatus,
    /// Why it failed, when it did.
    pub error: String,
    /// TXT records to publish (DNS-01).
    pub dns_records: Vec<DnsRecord>,
    /// Serial of the issued certificate (hex), once issued.
    pub serial: String,
    /// Issuer of the issued certificate, once issued.
    pub issuer: String,
    /// Unix time the certificate expires (0 before issuance).
    pub not_after: i64,
    /// Installed on its site as soon as issued (renewals).
    pub auto_save: bool,
    /// Unix time `save` installed it (0 = not installed).
    pub installed_at: i64,
    /// The expiry alert was dismissed.
    pub alert_dismissed: bool,
    /// The order this one renews (0 = none).
    pub renewed_from: i64,
    /// The order that renewed this one (0 = none).
    pub renewed_by: i64,
    /// Unix time created.
    pub created_at: i64,
    /// Unix time of the last change.
    pub updated_at: i64,
    /// The CA's order URL.
    #[serde(skip)]
    pub order_url: String,
    /// HTTP-01 tokens handed to waf-proxy.
    #[serde(skip)]
    pub tokens: Vec<String>,
    /// The issued chain (PEM).
    #[serde(skip)]
    pub cert_pem: String,
}

const COLUMNS: &str =
    "id, site_id, domains, challenge, status, error, dns_records, serial, issuer, \
     not_after, auto_save, installed_at, alert_dismissed, renewed_from, renewed_by, created_at, \
     updated_at, order_url, tokens, cert_pem";

fn row(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(OrderRow {
        id: r.get(0)?,
        site_id: r.get::<_, i64>(1)? as u64,
        domains: serde_json::from_str(&json(2)?).unwrap_or_default(),
        challenge: ChallengeKind::parse(&r.get::<_, String>(3)?),
        status: OrderStatus::parse(&r.get::<_, String>(4)?),
        error: r.get(5)?,
        dns_records: serde_json::from_str(&json(6)?).unwrap_or_default(),
        serial: r.get(7)?,
        issuer: r.get(8)?,
        not_after: r.get(9)?,
        auto_save: r.get::<_, i64>(10)? != 0,
        installed_at: r.get(11)?,
        alert_dismissed: r.get::<_, i64>(12)? != 0,
        renewed_from: r.get(13)?,
        renewed_by: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        order_url: r.get(17)?,
        tokens: serde_json::from_str(&json(18)?).unwrap_or_default(),
        cert_pem: r.get(19)?,
    })
}

/// A new order row in `pending`; returns its id.
pub fn insert(
    conn: &Connection,
    site_id: u64,
    domains: &[String],
    challenge: ChallengeKind,
    auto_save: bool,
    renewed_from: i64,
    now: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO acme_orders (site_id, domains, challenge, status, auto_save, renewed_from,
             created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?6)",
        params![
            site_id as i64,
            serde_json::to_string(domains).unwrap_or_default(),
            challenge.as_str(),
            i64::from(auto_save),
            renewed_from,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    if renewed_from != 0 {
        conn.execute(
            "UPDATE acme_orders SET renewed_by = ?1 WHERE id = ?2",
            params![id, renewed_from],
        )?;
    }
    Ok(id)
}

/// One order.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<OrderRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM acme_orders WHERE id = ?1"),
        [id],
        row,
    )
    .optional()
}

/// Every order, newest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<OrderRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM acme_orders ORDER BY id DESC"
    ))?;
    let rows = st.query_map([], row)?.collect();
    rows
}

/// Records the CA side of a new order: its URL, HTTP-01 tokens, DNS-01 records and status.
pub fn set_started(
    conn: &Connection,
    id: i64,
    order_url: &str,
    tokens: &[String],
    records: &[DnsRecord],
    status: OrderStatus,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE acme_orders SET order_url = ?2, tokens = ?3, dns_records = ?4, status = ?5,
             updated_at = ?6 WHERE id = ?1",
        params![
            id,
            order_url,
            serde_json::to_string(tokens).unwrap_or_default(),
            serde_json::to_string(records).unwrap_or_default(),
            status.as_str(),
            now
        ],
    )?;
    Ok(())
}

/// Moves an open order to `status` (with `error`); false when it was no longer open (cancelled).
pub fn set_status(
    conn: &Connection,
    id: i64,
    status: OrderStatus,
    error: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE acme_orders SET status = ?2, error = ?3, updated_at = ?4
             WHERE id = ?1 AND status IN ('pending', 'processing')",
        params![id, status.as_str(), error, now],
    )?;
    Ok(n == 1)
}

/// The issued certificate of an open order; false when it was cancelled meanwhile.
pub fn set_issued(
    conn: &Connection,
    id: i64,
    cert_pem: &str,
    serial: &str,
    issuer: &str,
    not_after: i64,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE acme_orders SET status = 'valid', error = '', cert_pem = ?2, serial = ?3,
             issuer = ?4, not_after = ?5, updated_at = ?6
             WHERE id = ?1 AND status IN ('pending', 'processing')",
        params![id, cert_pem, serial, issuer, not_after, now],
    )?;
    Ok(n == 1)
}

/// Marks an order installed on its site.
pub fn set_installed(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE acme_orders SET installed_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Dismisses the expiry alert of an order; false when there is no such order.
pub fn dismiss(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE acme_orders SET alert_dismissed = 1, updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(n == 1)
}

/// Installed certificates that expire before `before` (unix time) and have no renewal, or only
/// one that failed or was cancelled (so a failed renewal is tried again).
pub fn expiring(conn: &Connection, before: i64) -> rusqlite::Result<Vec<OrderRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM acme_orders WHERE status = 'valid' AND installed_at > 0
             AND not_after < ?1 AND (renewed_by = 0 OR renewed_by IN
                 (SELECT id FROM acme_orders WHERE status IN ('invalid', 'cancelled')))
             ORDER BY not_after"
    ))?;
    let rows = st.query_map([before], row)?.collect();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let c = Connection::open_in_memory().expect("db");
        migrate(&c).expect("migrate");
        let id = insert(
            &c,
            3,
            &["a.example".into()],
            ChallengeKind::Http01,
            false,
            0,
            10,
        )
        .expect("insert");
        set_started(
            &c,
            id,
            "https://ca/o/1",
            &["t".into()],
            &[],
            OrderStatus::Processing,
            11,
        )
        .expect("start");
        assert!(set_issued(&c, id, "PEM", "0a", "CA", 1000, 12).expect("issued"));
        assert!(!set_status(&c, id, OrderStatus::Invalid, "late", 13).expect("status"));
        set_installed(&c, id, 14).expect("installed");
        assert_eq!(expiring(&c, 2000).expect("expiring").len(), 1);
        assert_eq!(expiring(&c, 500).expect("expiring").len(), 0);
        let renewal = insert(
            &c,
            3,
            &["a.example".into()],
            ChallengeKind::Http01,
            true,
            id,
            15,
        )
        .expect("renewal");
        assert_eq!(expiring(&c, 2000).expect("expiring").len(), 0);
        // A renewal that failed leaves the certificate due again.
        assert!(set_status(&c, renewal, OrderStatus::Invalid, "refused", 15).expect("fail"));
        assert_eq!(expiring(&c, 2000).expect("expiring").len(), 1);
        let o = get(&c, id).expect("get").expect("row");
        assert_eq!(o.renewed_by, renewal);
        assert_eq!(o.status, OrderStatus::Valid);
        assert_eq!(o.tokens, vec!["t".to_string()]);
        assert!(dismiss(&c, id, 16).expect("dismiss"));
        assert!(!dismiss(&c, 99, 16).expect("dismiss"));
    }
}
