//! The observation records: the `obs_records` table filled by [`crate::ingest`] from the
//! records waf-proxy writes to its event log, its retention (count and age), and the queries
//! behind `/obs/records` and `/obs/stats`.
//!
//! Bodies are stored as the bytes recorded (BLOBs); headers as JSON arrays of `{name, value}`,
//! already redacted by the proxy. Every query is bounded (pages of at most 100 rows), so callers
//! may hold the shared connection's mutex while running them.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use waf_core::event::{BodyPrefix, HeaderLine, ObservationRecord};

/// Rows deleted per retention statement.
const RETENTION_BATCH: i64 = 5000;

/// Creates the table and its indexes (idempotent).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS obs_records (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             ts_ms INTEGER NOT NULL,
             created_at INTEGER NOT NULL,
             request_id TEXT NOT NULL,
             rule_id INTEGER NOT NULL,
             rule_name TEXT NOT NULL,
             site_id INTEGER NOT NULL,
             host TEXT NOT NULL,
             client_ip TEXT NOT NULL,
             method TEXT NOT NULL,
             uri TEXT NOT NULL,
             path TEXT NOT NULL,
             version TEXT NOT NULL,
             status INTEGER NOT NULL,
             blocked INTEGER NOT NULL,
             duration_ms INTEGER NOT NULL,
             request_headers TEXT NOT NULL,
             request_body BLOB NOT NULL,
             request_body_size INTEGER NOT NULL,
             request_body_truncated INTEGER NOT NULL,
             response_headers TEXT NOT NULL,
             response_body BLOB NOT NULL,
             response_body_size INTEGER NOT NULL,
             response_body_truncated INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS obs_records_created ON obs_records(created_at);
         CREATE INDEX IF NOT EXISTS obs_records_host ON obs_records(host, created_at);
         CREATE INDEX IF NOT EXISTS obs_records_rule ON obs_records(rule_id, created_at);
         CREATE INDEX IF NOT EXISTS obs_records_ip ON obs_records(client_ip, created_at);",
    )
}

fn body_bytes(b: &BodyPrefix) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(&b.data)
        .unwrap_or_default()
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Stores one record (inside the caller's transaction).
pub fn insert(conn: &Connection, r: &ObservationRecord) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO obs_records (ts_ms, created_at, request_id, rule_id, rule_name, site_id,
             host, client_ip, method, uri, path, version, status, blocked, duration_ms,
             request_headers, request_body, request_body_size, request_body_truncated,
             response_headers, response_body, response_body_size, response_body_truncated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21, ?22, ?23)",
    )?;
    let ts = clamp(r.ts_ms);
    let path = r.uri.split_once('?').map_or(r.uri.as_str(), |(p, _)| p);
    let json = |h: &[HeaderLine]| serde_json::to_string(h).unwrap_or_else(|_| "[]".into());
    st.execute(params![
        ts,
        ts / 1000,
        r.request_id,
        clamp(r.rule_id),
        r.rule_name,
        clamp(r.site_id),
        r.host,
        r.client_ip,
        r.method,
        r.uri,
        path,
        r.version,
        r.status,
        r.blocked,
        clamp(r.duration_ms),
        json(&r.request_headers),
        body_bytes(&r.request_body),
        clamp(r.request_body.size),
        r.request_body.truncated,
        json(&r.response_headers),
        body_bytes(&r.response_body),
        clamp(r.response_body.size),
        r.response_body.truncated,
    ])?;
    Ok(())
}

/// A validated filter over the records (every field optional; all given ones must match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Exact host.
    pub host: Option<String>,
    /// Path prefix (of the path as sent, without the query).
    pub path: Option<String>,
    /// Exact method (upper case).
    pub method: Option<String>,
    /// Exact response status.
    pub status: Option<u16>,
    /// Exact client IP.
    pub client_ip: Option<String>,
    /// Observation rule id.
    pub rule_id: Option<u64>,
    /// Unix seconds, inclusive.
    pub start_time: Option<i64>,
    /// Unix seconds, inclusive.
    pub end_time: Option<i64>,
}

impl Filter {
    fn sql(&self) -> (String, Vec<SqlValue>) {
        let mut clauses: Vec<&str> = Vec::new();
        let mut args = Vec::new();
        let mut text = |col: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                clauses.push(col);
                args.push(SqlValue::Text(v.clone()));
            }
        };
        text("host = ?", &self.host);
        text("method = ?", &self.method);
        text("client_ip = ?", &self.client_ip);
        if let Some(p) = &self.path {
            clauses.push("substr(path, 1, ?) = ?");
            args.push(SqlValue::Integer(p.chars().count() as i64));
            args.push(SqlValue::Text(p.clone()));
        }
        let ints = [
            ("status = ?", self.status.map(i64::from)),
            ("rule_id = ?", self.rule_id.map(clamp)),
            ("created_at >= ?", self.start_time),
            ("created_at <= ?", self.end_time),
        ];
        for (clause, v) in ints {
            if let Some(v) = v {
                clauses.push(clause);
                args.push(SqlValue::Integer(v));
            }
        }
        if clauses.is_empty() {
            (String::new(), args)
        } else {
            (format!(" WHERE {}", clauses.join(" AND ")), args)
        }
    }
}

/// One stored record without its headers and bodies (a row of the list).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RecordSummary {
    /// Record id.
    pub id: i64,
    /// Request id (as on block pages and attack events).
    pub request_id: String,
    /// Observation rule that matched.
    pub rule_id: i64,
    /// Its name when recorded.
    pub rule_name: String,
    /// Site id (0 = none).
    pub site_id: i64,
    /// Host.
    pub host: String,
    /// Client IP.
    pub client_ip: String,
    /// Method.
    pub method: String,
    /// Path and query as sent.
    pub uri: String,
    /// Response status (0 = no response sent).
    pub status: u16,
    /// Whether the WAF refused the request (the response is its page).
    pub blocked: bool,
    /// Milliseconds the exchange took.
    pub duration_ms: i64,
    /// Request body bytes seen.
    pub request_body_size: i64,
    /// Response body bytes seen.
    pub response_body_size: i64,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub created_at: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Unix milliseconds.
    pub ts_ms: i64,
}

const SUMMARY: &str = "id, request_id, rule_id, rule_name, site_id, host, client_ip, method, uri,
    status, blocked, duration_ms, request_body_size, response_body_size, created_at, ts_ms";

impl RecordSummary {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let created: i64 = r.get(14)?;
        Ok(RecordSummary {
            id: r.get(0)?,
            request_id: r.get(1)?,
            rule_id: r.get(2)?,
            rule_name: r.get(3)?,
            site_id: r.get(4)?,
            host: r.get(5)?,
            client_ip: r.get(6)?,
            method: r.get(7)?,
            uri: r.get(8)?,
            status: r.get(9)?,
            blocked: r.get(10)?,
            duration_ms: r.get(11)?,
            request_body_size: r.get(12)?,
            response_body_size: r.get(13)?,
            created_at: crate::clock::format_time(created),
            timestamp: created,
            ts_ms: r.get(15)?,
        })
    }
}

/// One recorded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBody {
    /// The bytes kept.
    pub data: Vec<u8>,
    /// Bytes seen in all.
    pub size: i64,
    /// Whether the limit cut it.
    pub truncated: bool,
}

/// A whole record.
#[derive(Debug, Clone)]
pub struct Record {
    /// The list fields.
    pub summary: RecordSummary,
    /// `HTTP/1.1`, ...
    pub version: String,
    /// Request headers in order (redacted by the proxy).
    pub request_headers: Vec<HeaderLine>,
    /// Request body prefix.
    pub request_body: StoredBody,
    /// Response headers in order.
    pub response_headers: Vec<HeaderLine>,
    /// Response body prefix.
    pub response_body: StoredBody,
}

/// One page of summaries matching `f`, newest first, and the number matching.
pub fn list(
    conn: &Connection,
    f: &Filter,
    page: i64,
    page_size: i64,
) -> rusqlite::Result<(Vec<RecordSummary>, i64)> {
    let (wh, args) = f.sql();
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM obs_records{wh}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let offset = (page - 1).saturating_mul(page_size);
    let mut st = conn.prepare(&format!(
        "SELECT {SUMMARY} FROM obs_records{wh} ORDER BY id DESC LIMIT {page_size} OFFSET {offset}"
    ))?;
    let rows = st
        .query_map(params_from_iter(args.iter()), RecordSummary::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// One record by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Record>> {
    conn.query_row(
        &format!(
            "SELECT {SUMMARY}, version, request_headers, request_body, request_body_size,
                 request_body_truncated, response_headers, response_body, response_body_size,
                 response_body_truncated FROM obs_records WHERE id = ?1"
        ),
        [id],
        |r| {
            let headers = |i: usize| -> rusqlite::Result<Vec<HeaderLine>> {
                let text: String = r.get(i)?;
                Ok(serde_json::from_str(&text).unwrap_or_default())
            };
            Ok(Record {
                summary: RecordSummary::from_row(r)?,
                version: r.get(16)?,
                request_headers: headers(17)?,
                request_body: StoredBody {
                    data: r.get(18)?,
                    size: r.get(19)?,
                    truncated: r.get(20)?,
                },
                response_headers: headers(21)?,
                response_body: StoredBody {
                    data: r.get(22)?,
                    size: r.get(23)?,
                    truncated: r.get(24)?,
                },
            })
        },
    )
    .optional()
}

/// Deletes every record; returns how many.
pub fn clear(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM obs_records", [])
}

/// Records per key, most first.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct KeyCount {
    /// The rule id or host.
    pub key: String,
    /// The rule's name (for rules), else the key again.
    pub name: String,
    /// Records.
    pub count: i64,
}

/// Totals for `/obs/stats`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Totals {
    /// Records held.
    pub total: i64,
    /// Records at or after `since`.
    pub since: i64,
    /// Records of refused requests.
    pub blocked: i64,
    /// Body bytes held (both sides).
    pub body_bytes: i64,
    /// Unix seconds of the oldest record held.
    pub oldest: Option<i64>,
    /// Unix seconds of the newest.
    pub newest: Option<i64>,
    /// The ten rules with most records.
    pub top_rules: Vec<KeyCount>,
    /// The ten hosts with most records.
    pub top_hosts: Vec<KeyCount>,
}

/// Totals of the table, with records at or after `since` (unix seconds).
pub fn totals(conn: &Connection, since: i64) -> rusqlite::Result<Totals> {
    let (total, blocked, body_bytes, oldest, newest) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(blocked), 0),
             COALESCE(SUM(length(request_body) + length(response_body)), 0),
             MIN(created_at), MAX(created_at) FROM obs_records",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let recent = conn.query_row(
        "SELECT COUNT(*) FROM obs_records WHERE created_at >= ?1",
        [since],
        |r| r.get(0),
    )?;
    let top = |sql: &str| -> rusqlite::Result<Vec<KeyCount>> {
        let mut st = conn.prepare(sql)?;
        let rows = st.query_map([], |r| {
            Ok(KeyCount {
                key: r.get(0)?,
                name: r.get(1)?,
                count: r.get(2)?,
            })
        })?;
        rows.collect()
    };
    Ok(Totals {
        total,
        since: recent,
        blocked,
        body_bytes,
        oldest,
        newest,
        top_rules: top(
            "SELECT CAST(rule_id AS TEXT), MAX(rule_name), COUNT(*) AS n FROM obs_records
             GROUP BY rule_id ORDER BY n DESC, rule_id LIMIT 10",
        )?,
        top_hosts: top("SELECT host, host, COUNT(*) AS n FROM obs_records
             GROUP BY host ORDER BY n DESC, host LIMIT 10")?,
    })
}

/// Retention of the records, from the rule set's `observation` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Records kept at most.
    pub max_records: u64,
    /// Hours a record is kept.
    pub max_age_hours: u64,
}

impl From<&waf_core::model::ObsConfig> for Retention {
    fn from(c: &waf_core::model::ObsConfig) -> Self {
        Retention {
            max_records: c.max_records,
            max_age_hours: c.max_age_hours,
        }
    }
}

/// Deletes the records older than the age limit and those beyond the count limit (oldest
/// first), in batches so no statement holds the lock long; returns how many.
pub fn enforce_retention(conn: &Connection, r: Retention, now: i64) -> rusqlite::Result<usize> {
    let cutoff = now.saturating_sub(clamp(r.max_age_hours).saturating_mul(3600));
    let mut total = 0;
    loop {
        let n = conn.execute(
            "DELETE FROM obs_records WHERE id IN
                 (SELECT id FROM obs_records WHERE created_at < ?1 ORDER BY id LIMIT ?2)",
            params![cutoff, RETENTION_BATCH],
        )?;
        total += n;
        if (n as i64) < RETENTION_BATCH {
            break;
        }
    }
    // The id of the oldest record to keep: every record below it is over the count.
    let keep_from: Option<i64> = conn
        .query_row(
            "SELECT id FROM obs_records ORDER BY id DESC LIMIT 1 OFFSET ?1",
            [clamp(r.max_records).saturating_sub(1)],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(id) = keep_from {
        loop {
            let n = conn.execute(
                "DELETE FROM obs_records WHERE id IN
                     (SELECT id FROM obs_records WHERE id < ?1 ORDER BY id LIMIT ?2)",
                params![id, RETENTION_BATCH],
            )?;
            total += n;
            if (n as i64) < RETENTION_BATCH {
                break;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
