//! The attack-log store: the `attack_logs` table filled by [`crate::ingest`] from the proxy's
//! event log, its indexes, and the queries behind the attack-log and CC-log endpoints.
//!
//! Every query here is short and bounded (pages of at most 100 rows, export batches of
//! [`EXPORT_BATCH`]), so callers may hold the shared connection's mutex while running them.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::Serialize;
use waf_core::event::AttackEvent;

use crate::clock::format_time;

/// Rows fetched per export batch.
pub const EXPORT_BATCH: i64 = 500;

/// The attack type of CC (rate-limit) events.
pub const CC: &str = "cc";

/// Creates the table, its indexes and the ingest bookkeeping table (idempotent).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS attack_logs (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             ts_ms INTEGER NOT NULL,
             created_at INTEGER NOT NULL,
             request_id TEXT NOT NULL,
             site_id INTEGER NOT NULL,
             host TEXT NOT NULL,
             method TEXT NOT NULL,
             url TEXT NOT NULL,
             client_ip TEXT NOT NULL,
             country TEXT,
             user_agent TEXT NOT NULL,
             rule_id TEXT NOT NULL,
             rule_name TEXT NOT NULL,
             attack_type TEXT NOT NULL,
             action TEXT NOT NULL,
             target TEXT NOT NULL,
             parameter TEXT,
             snippet TEXT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS attack_logs_created ON attack_logs(created_at);
         CREATE INDEX IF NOT EXISTS attack_logs_host ON attack_logs(host, created_at);
         CREATE INDEX IF NOT EXISTS attack_logs_ip ON attack_logs(client_ip, created_at);
         CREATE INDEX IF NOT EXISTS attack_logs_rule ON attack_logs(rule_id, created_at);
         CREATE INDEX IF NOT EXISTS attack_logs_method ON attack_logs(method, created_at);
         CREATE INDEX IF NOT EXISTS attack_logs_type ON attack_logs(attack_type, created_at);
         CREATE TABLE IF NOT EXISTS ingest_state (
             name TEXT PRIMARY KEY,
             dev INTEGER NOT NULL,
             ino INTEGER NOT NULL,
             offset INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );",
    )?;
    // The first bytes of the file being read (older databases lack the column).
    let has_head = conn
        .prepare("SELECT 1 FROM pragma_table_info('ingest_state') WHERE name = 'head'")?
        .exists([])?;
    if !has_head {
        conn.execute_batch("ALTER TABLE ingest_state ADD COLUMN head BLOB NOT NULL DEFAULT x''")?;
    }
    Ok(())
}

/// Inserts one event (inside the caller's transaction).
pub fn insert(conn: &Connection, ev: &AttackEvent) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO attack_logs (ts_ms, created_at, request_id, site_id, host, method, url,
             client_ip, country, user_agent, rule_id, rule_name, attack_type, action, target,
             parameter, snippet)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    let ts = i64::try_from(ev.ts_ms).unwrap_or(i64::MAX);
    st.execute(params![
        ts,
        ts / 1000,
        ev.request_id,
        i64::try_from(ev.site_id).unwrap_or(i64::MAX),
        ev.host,
        ev.method,
        ev.url,
        ev.client_ip,
        ev.country,
        ev.user_agent,
        ev.rule_id,
        ev.rule_name,
        ev.attack_type,
        ev.action,
        ev.target,
        ev.parameter,
        ev.snippet,
    ])?;
    Ok(())
}

/// One stored attack event, as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttackLog {
    /// Row id.
    pub id: i64,
    /// HTTP method.
    pub method: String,
    /// Host + path + query.
    pub url: String,
    /// Host header.
    pub host: String,
    /// Rule name.
    pub rule_name: String,
    /// Rule id (`acl_3`, `cc_1`, a managed rule number, a custom rule id).
    pub rule_id: String,
    /// Client IP.
    pub client_ip: String,
    /// Attack type (`sqli`, `xss`, `cc`, `acl`, ...).
    pub attack_type: String,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub created_at: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Unix milliseconds, as logged by the proxy.
    pub ts_ms: i64,
    /// block, challenge or log.
    pub action: String,
    /// Request id shown on the block page.
    pub request_id: String,
    /// Site id (0 = none).
    pub site_id: i64,
    /// ISO country, if known.
    pub country: Option<String>,
    /// User agent.
    pub user_agent: String,
    /// Where the rule matched.
    pub target: String,
    /// Parameter name.
    pub parameter: Option<String>,
    /// Excerpt of the matched value.
    pub snippet: String,
}

/// The column list matching [`AttackLog::from_row`].
const COLUMNS: &str = "id, method, url, host, rule_name, rule_id, client_ip, attack_type,
    created_at, ts_ms, action, request_id, site_id, country, user_agent, target, parameter, snippet";

impl AttackLog {
    /// The row `id` just inserted for `ev` (what [`get`] will return for it).
    pub fn from_event(id: i64, ev: &AttackEvent) -> Self {
        let ts_ms = i64::try_from(ev.ts_ms).unwrap_or(i64::MAX);
        AttackLog {
            id,
            method: ev.method.clone(),
            url: ev.url.clone(),
            host: ev.host.clone(),
            rule_name: ev.rule_name.clone(),
            rule_id: ev.rule_id.clone(),
            client_ip: ev.client_ip.clone(),
            attack_type: ev.attack_type.clone(),
            created_at: format_time(ts_ms / 1000),
            timestamp: ts_ms / 1000,
            ts_ms,
            action: ev.action.clone(),
            request_id: ev.request_id.clone(),
            site_id: i64::try_from(ev.site_id).unwrap_or(i64::MAX),
            country: ev.country.clone(),
            user_agent: ev.user_agent.clone(),
            target: ev.target.clone(),
            parameter: ev.parameter.clone(),
            snippet: ev.snippet.clone(),
        }
    }

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let created: i64 = r.get(8)?;
        Ok(AttackLog {
            id: r.get(0)?,
            method: r.get(1)?,
            url: r.get(2)?,
            host: r.get(3)?,
            rule_name: r.get(4)?,
            rule_id: r.get(5)?,
            client_ip: r.get(6)?,
            attack_type: r.get(7)?,
            created_at: format_time(created),
            timestamp: created,
            ts_ms: r.get(9)?,
            action: r.get(10)?,
            request_id: r.get(11)?,
            site_id: r.get(12)?,
            country: r.get(13)?,
            user_agent: r.get(14)?,
            target: r.get(15)?,
            parameter: r.get(16)?,
            snippet: r.get(17)?,
        })
    }
}

/// A validated filter over the attack log (every field optional; all given ones must match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Exact host.
    pub host: Option<String>,
    /// Exact client IP.
    pub client_ip: Option<String>,
    /// Exact method (upper case).
    pub method: Option<String>,
    /// Exact rule id.
    pub rule_id: Option<String>,
    /// Exact attack type (`cc` for the CC module).
    pub attack_type: Option<String>,
    /// Unix seconds, inclusive.
    pub start_time: Option<i64>,
    /// Unix seconds, inclusive.
    pub end_time: Option<i64>,
}

impl Filter {
    /// `WHERE ...` (or empty) and its parameters.
    fn sql(&self) -> (String, Vec<SqlValue>) {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        for (col, v) in [
            ("host", &self.host),
            ("client_ip", &self.client_ip),
            ("method", &self.method),
            ("rule_id", &self.rule_id),
            ("attack_type", &self.attack_type),
        ] {
            if let Some(v) = v {
                clauses.push(format!("{col} = ?"));
                args.push(SqlValue::Text(v.clone()));
            }
        }
        if let Some(t) = self.start_time {
            clauses.push("created_at >= ?".into());
            args.push(SqlValue::Integer(t));
        }
        if let Some(t) = self.end_time {
            clauses.push("created_at <= ?".into());
            args.push(SqlValue::Integer(t));
        }
        if clauses.is_empty() {
            (String::new(), args)
        } else {
            (format!(" WHERE {}", clauses.join(" AND ")), args)
        }
    }
}

/// A validated page request: `page` >= 1, `page_size` 1-100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub page: i64,
    /// Rows per page.
    pub page_size: i64,
}

/// One page of results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PageOf<T> {
    /// The rows.
    pub logs: Vec<T>,
    /// Rows matching the filter.
    pub total: i64,
    /// Page number.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
    /// Pages in all.
    pub total_pages: i64,
}

/// A page of logs matching `f`, newest first.
pub fn list(conn: &Connection, f: &Filter, p: Page) -> rusqlite::Result<PageOf<AttackLog>> {
    let (wh, args) = f.sql();
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM attack_logs{wh}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let offset = (p.page - 1).saturating_mul(p.page_size);
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM attack_logs{wh} ORDER BY id DESC LIMIT {} OFFSET {offset}",
        p.page_size
    ))?;
    let logs = st
        .query_map(params_from_iter(args.iter()), AttackLog::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(PageOf {
        logs,
        total,
        page: p.page,
        page_size: p.page_size,
        total_pages: (total + p.page_size - 1) / p.page_size,
    })
}

/// One log by id (restricted to `attack_type` when given).
pub fn get(
    conn: &Connection,
    id: i64,
    attack_type: Option<&str>,
) -> rusqlite::Result<Option<AttackLog>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM attack_logs WHERE id = ?1 AND (?2 IS NULL OR attack_type = ?2)"
        ),
        params![id, attack_type],
        AttackLog::from_row,
    )
    .optional()
}

/// Up to [`EXPORT_BATCH`] logs matching `f` with `id > after`, oldest first (keyset paging for
/// the streamed export).
pub fn batch_after(conn: &Connection, f: &Filter, after: i64) -> rusqlite::Result<Vec<AttackLog>> {
    let (wh, mut args) = f.sql();
    let wh = if wh.is_empty() {
        " WHERE id > ?".to_string()
    } else {
        format!("{wh} AND id > ?")
    };
    args.push(SqlValue::Integer(after));
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM attack_logs{wh} ORDER BY id LIMIT {EXPORT_BATCH}"
    ))?;
    let rows = st.query_map(params_from_iter(args.iter()), AttackLog::from_row)?;
    rows.collect()
}

/// What to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// These ids.
    Ids(Vec<i64>),
    /// Everything (of the attack type, when restricted).
    All,
}

/// Deletes logs (only of `attack_type` when given); returns how many.
pub fn delete(
    conn: &Connection,
    what: &Deletion,
    attack_type: Option<&str>,
) -> rusqlite::Result<usize> {
    match what {
        Deletion::All => conn.execute(
            "DELETE FROM attack_logs WHERE (?1 IS NULL OR attack_type = ?1)",
            [attack_type],
        ),
        Deletion::Ids(ids) => {
            let tx = conn.unchecked_transaction()?;
            let mut n = 0;
            {
                let mut st = tx.prepare(
                    "DELETE FROM attack_logs WHERE id = ?1 AND (?2 IS NULL OR attack_type = ?2)",
                )?;
                for id in ids {
                    n += st.execute(params![id, attack_type])?;
                }
            }
            tx.commit()?;
            Ok(n)
        }
    }
}

/// A count per key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleCount {
    /// Rule name (the latest seen).
    pub rule_name: String,
    /// Rule id.
    pub rule_id: String,
    /// Events.
    pub count: i64,
}

/// Totals for the stats endpoints.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Events in all.
    pub total: i64,
    /// Events since `since`.
    pub since: i64,
    /// The most frequent rules.
    pub top_rules: Vec<RuleCount>,
}

/// Totals of events (of `attack_type` when given), those at or after `since`, and the top
/// `top` rules.
pub fn totals(
    conn: &Connection,
    attack_type: Option<&str>,
    since: i64,
    top: i64,
) -> rusqlite::Result<Totals> {
    let total = conn.query_row(
        "SELECT COUNT(*) FROM attack_logs WHERE (?1 IS NULL OR attack_type = ?1)",
        [attack_type],
        |r| r.get(0),
    )?;
    let recent = conn.query_row(
        "SELECT COUNT(*) FROM attack_logs WHERE created_at >= ?2
             AND (?1 IS NULL OR attack_type = ?1)",
        params![attack_type, since],
        |r| r.get(0),
    )?;
    let mut st = conn.prepare(
        "SELECT MAX(rule_name), rule_id, COUNT(*) AS n FROM attack_logs
         WHERE (?1 IS NULL OR attack_type = ?1)
         GROUP BY rule_id ORDER BY n DESC, rule_id LIMIT ?2",
    )?;
    let top_rules = st
        .query_map(params![attack_type, top], |r| {
            Ok(RuleCount {
                rule_name: r.get(0)?,
                rule_id: r.get(1)?,
                count: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Totals {
        total,
        since: recent,
        top_rules,
    })
}

/// Events of one client IP.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IpGroup {
    /// Client IP.
    pub client_ip: String,
    /// Events.
    pub count: i64,
    /// Distinct rules hit.
    pub rules: i64,
    /// First event, `YYYY-MM-DD HH:MM:SS`.
    pub first_seen: String,
    /// Latest event.
    pub last_seen: String,
}

/// Events grouped by client IP (of `attack_type` when given), most active first, paged; also
/// returns the number of distinct IPs.
pub fn ip_groups(
    conn: &Connection,
    attack_type: Option<&str>,
    p: Page,
) -> rusqlite::Result<(Vec<IpGroup>, i64)> {
    let total = conn.query_row(
        "SELECT COUNT(DISTINCT client_ip) FROM attack_logs WHERE (?1 IS NULL OR attack_type = ?1)",
        [attack_type],
        |r| r.get(0),
    )?;
    let mut st = conn.prepare(
        "SELECT client_ip, COUNT(*) AS n, COUNT(DISTINCT rule_id), MIN(created_at), MAX(created_at)
         FROM attack_logs WHERE (?1 IS NULL OR attack_type = ?1)
         GROUP BY client_ip ORDER BY n DESC, client_ip LIMIT ?2 OFFSET ?3",
    )?;
    let offset = (p.page - 1).saturating_mul(p.page_size);
    let groups = st
        .query_map(params![attack_type, p.page_size, offset], |r| {
            Ok(IpGroup {
                client_ip: r.get(0)?,
                count: r.get(1)?,
                rules: r.get(2)?,
                first_seen: format_time(r.get(3)?),
                last_seen: format_time(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((groups, total))
}

/// Events per minute at or after `since` (unix seconds): `(minute start, events)`, oldest first.
pub fn per_minute(conn: &Connection, since: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare(
        "SELECT created_at / 60 * 60 AS m, COUNT(*) FROM attack_logs WHERE created_at >= ?1
         GROUP BY m ORDER BY m",
    )?;
    let rows = st.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Retention limits of the attack log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Retention {
    /// Days kept (1-3650).
    pub max_age_days: i64,
    /// Rows kept at most (1000-100000000).
    pub max_rows: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age_days: 30,
            max_rows: 1_000_000,
        }
    }
}

/// The `kv` key of the retention settings.
pub const RETENTION_KEY: &str = "attack_log_retention";

impl Retention {
    /// Checks the ranges.
    pub fn validate(self) -> Result<Self, (&'static str, &'static str)> {
        if !(1..=3650).contains(&self.max_age_days) {
            return Err(("max_age_days", "1 to 3650"));
        }
        if !(1000..=100_000_000).contains(&self.max_rows) {
            return Err(("max_rows", "1000 to 100000000"));
        }
        Ok(self)
    }

    /// The stored settings, or the defaults.
    pub fn load(conn: &Connection) -> rusqlite::Result<Self> {
        Ok(crate::kv::get(conn, RETENTION_KEY)?
            .and_then(|s| serde_json::from_str::<Retention>(&s).ok())
            .and_then(|r| r.validate().ok())
            .unwrap_or_default())
    }
}

/// Deletes at most `batch` rows older than the age limit or beyond the row limit; returns how
/// many (call again while it returns `batch`, so no single statement holds the lock long).
pub fn enforce_retention(
    conn: &Connection,
    r: Retention,
    now: i64,
    batch: i64,
) -> rusqlite::Result<usize> {
    let cutoff = now - r.max_age_days * 86_400;
    let old = conn.execute(
        "DELETE FROM attack_logs WHERE id IN
             (SELECT id FROM attack_logs WHERE created_at < ?1 ORDER BY id LIMIT ?2)",
        params![cutoff, batch],
    )?;
    // The id of the oldest row to keep: everything below it is over the row limit.
    let keep_from: Option<i64> = conn
        .query_row(
            "SELECT id FROM attack_logs ORDER BY id DESC LIMIT 1 OFFSET ?1",
            [r.max_rows - 1],
            |row| row.get(0),
        )
        .optional()?;
    let over = match keep_from {
        Some(id) => conn.execute(
            "DELETE FROM attack_logs WHERE id IN
                 (SELECT id FROM attack_logs WHERE id < ?1 ORDER BY id LIMIT ?2)",
            params![id, batch],
        )?,
        None => 0,
    };
    Ok(old + over)
}
