//! SQLite (`DATA_DIR/waf-admin.db`): API keys, audit log, idempotency records.
//!
//! One connection behind a mutex in [`crate::state::AppState`]; every statement is short. The
//! schema is created on open; later modules (attack logs, ...) add their tables in their own
//! `migrate` functions called from [`open`].

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rusqlite::{params, Connection};

/// Opens (creating) the database and its schema.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Key hashes and the audit log: owner only.
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(error = %e, "cannot set database file mode");
    }
    migrate(&conn)?;
    Ok(conn)
}

/// An in-memory database with the schema, for tests.
pub fn open_in_memory() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    migrate(&conn)?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA busy_timeout = 5000;
         CREATE TABLE IF NOT EXISTS api_keys (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             name TEXT NOT NULL,
             prefix TEXT NOT NULL UNIQUE,
             salt BLOB NOT NULL,
             hash BLOB NOT NULL,
             scopes TEXT NOT NULL,
             enabled INTEGER NOT NULL DEFAULT 1,
             expire_at INTEGER NOT NULL DEFAULT 0,
             last_used_at INTEGER NOT NULL DEFAULT 0,
             created_at INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS audit_log (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             key_prefix TEXT NOT NULL,
             method TEXT NOT NULL,
             path TEXT NOT NULL,
             status INTEGER NOT NULL,
             source_ip TEXT NOT NULL,
             created_at INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS audit_log_created ON audit_log(created_at);
         CREATE TABLE IF NOT EXISTS idempotency (
             key_id INTEGER NOT NULL,
             idem_key TEXT NOT NULL,
             fingerprint TEXT NOT NULL,
             status INTEGER NOT NULL,
             content_type TEXT NOT NULL,
             body BLOB NOT NULL,
             created_at INTEGER NOT NULL,
             PRIMARY KEY (key_id, idem_key)
         );
         CREATE TABLE IF NOT EXISTS kv (
             k TEXT PRIMARY KEY,
             v TEXT NOT NULL
         );",
    )?;
    crate::ids::migrate(conn)?;
    crate::cert_templates::migrate(conn)?;
    crate::acme::store::migrate(conn)?;
    crate::attack_log::migrate(conn)?;
    crate::obs::store::migrate(conn)?;
    crate::feedback::migrate(conn)
}

/// One audited call.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    /// Key prefix (`admin` for the admin token).
    pub key_prefix: String,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// Peer address.
    pub source_ip: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Appends an audit entry.
pub fn audit(conn: &Connection, e: &AuditEntry) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (key_prefix, method, path, status, source_ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            e.key_prefix,
            e.method,
            e.path,
            e.status,
            e.source_ip,
            e.created_at
        ],
    )?;
    Ok(())
}

/// The latest `limit` audit entries, newest first.
pub fn recent_audit(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut st = conn.prepare(
        "SELECT key_prefix, method, path, status, source_ip, created_at
         FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(AuditEntry {
            key_prefix: r.get(0)?,
            method: r.get(1)?,
            path: r.get(2)?,
            status: r.get(3)?,
            source_ip: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// A stored first response for an Idempotency-Key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// Hash of method, path and body of the first request.
    pub fingerprint: String,
    /// Its status.
    pub status: u16,
    /// Its Content-Type.
    pub content_type: String,
    /// Its body.
    pub body: Vec<u8>,
}

/// What an Idempotency-Key holds when a request arrives with it.
#[derive(Debug, Clone)]
pub enum Reservation {
    /// The key was free and is now held for this request: run the handler, then
    /// [`idempotent_complete`] (or [`idempotent_release`] to free it again).
    Reserved,
    /// Another request holding the key is still running; its fingerprint.
    InFlight(String),
    /// The first request finished; its response.
    Done(StoredResponse),
}

/// Reserves `(key_id, idem_key)` for a request with `fingerprint`, atomically: a row with status
/// 0 (in flight) is inserted unless one exists, in one `BEGIN IMMEDIATE` transaction, so of
/// concurrent requests with one key exactly one gets [`Reservation::Reserved`] (the primary key
/// makes this hold across connections and processes too). Records created before `since` and
/// in-flight rows created before `stale_before` (their request died with the process) are
/// dropped first.
pub fn idempotent_reserve(
    conn: &Connection,
    key_id: i64,
    idem_key: &str,
    fingerprint: &str,
    now: i64,
    since: i64,
    stale_before: i64,
) -> rusqlite::Result<Reservation> {
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "DELETE FROM idempotency WHERE key_id = ?1 AND idem_key = ?2
         AND (created_at < ?3 OR (status = 0 AND created_at < ?4))",
        params![key_id, idem_key, since, stale_before],
    )?;
    let inserted = tx.execute(
        "INSERT INTO idempotency
         (key_id, idem_key, fingerprint, status, content_type, body, created_at)
         VALUES (?1, ?2, ?3, 0, '', x'', ?4)
         ON CONFLICT (key_id, idem_key) DO NOTHING",
        params![key_id, idem_key, fingerprint, now],
    )?;
    let out = if inserted == 1 {
        Reservation::Reserved
    } else {
        let stored = tx.query_row(
            "SELECT fingerprint, status, content_type, body FROM idempotency
             WHERE key_id = ?1 AND idem_key = ?2",
            params![key_id, idem_key],
            |r| {
                Ok(StoredResponse {
                    fingerprint: r.get(0)?,
                    status: r.get(1)?,
                    content_type: r.get(2)?,
                    body: r.get(3)?,
                })
            },
        )?;
        match stored.status {
            0 => Reservation::InFlight(stored.fingerprint),
            _ => Reservation::Done(stored),
        }
    };
    tx.commit()?;
    Ok(out)
}

/// Stores the response of the request holding `(key_id, idem_key)`.
pub fn idempotent_complete(
    conn: &Connection,
    key_id: i64,
    idem_key: &str,
    resp: &StoredResponse,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE idempotency SET status = ?3, content_type = ?4, body = ?5
         WHERE key_id = ?1 AND idem_key = ?2 AND status = 0",
        params![key_id, idem_key, resp.status, resp.content_type, resp.body],
    )?;
    Ok(())
}

/// Frees a key whose request ended without an answer worth replaying (5xx, or cancelled).
pub fn idempotent_release(conn: &Connection, key_id: i64, idem_key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM idempotency WHERE key_id = ?1 AND idem_key = ?2 AND status = 0",
        params![key_id, idem_key],
    )?;
    Ok(())
}

/// Drops idempotency records older than `before`.
pub fn idempotent_expire(conn: &Connection, before: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM idempotency WHERE created_at < ?1", [before])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_reservation_lifecycle() {
        let c = open_in_memory().expect("db");
        let reserve =
            |fp: &str, now: i64| idempotent_reserve(&c, 1, "k", fp, now, now - 100, now - 10);
        assert!(matches!(reserve("a", 1000), Ok(Reservation::Reserved)));
        assert!(matches!(reserve("a", 1001), Ok(Reservation::InFlight(f)) if f == "a"));
        // Released (5xx, cancelled): the next request runs.
        idempotent_release(&c, 1, "k").expect("release");
        assert!(matches!(reserve("a", 1002), Ok(Reservation::Reserved)));
        // An in-flight row older than the stale limit is taken over.
        assert!(matches!(reserve("a", 1020), Ok(Reservation::Reserved)));
        let resp = StoredResponse {
            fingerprint: "a".into(),
            status: 201,
            content_type: "application/json".into(),
            body: b"{}".to_vec(),
        };
        idempotent_complete(&c, 1, "k", &resp).expect("complete");
        assert!(matches!(reserve("a", 1030), Ok(Reservation::Done(s)) if s.status == 201));
        // Releasing never drops a finished record; another key id is another record.
        idempotent_release(&c, 1, "k").expect("release");
        assert!(matches!(reserve("a", 1040), Ok(Reservation::Done(_))));
        assert!(matches!(
            idempotent_reserve(&c, 2, "k", "a", 1040, 940, 1030),
            Ok(Reservation::Reserved)
        ));
        // Expired: reserved afresh.
        assert!(matches!(reserve("b", 1200), Ok(Reservation::Reserved)));
    }
}
