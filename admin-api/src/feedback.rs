//! The false-positive report store: the `feedbacks` table filled by [`crate::ingest`] from the
//! reports waf-proxy writes to its event log, and the queries behind `/feedbacks`.
//!
//! A report names the blocked request by id; its attack event (same request id, in
//! `attack_logs`) is joined when read, so a report ingested before its event still finds it.
//! One report per request id: a form posted again (the token stays valid for a while) changes
//! nothing.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use waf_core::event::FeedbackEvent;

use crate::state::format_time;

/// Creates the table and its indexes (idempotent).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS feedbacks (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             request_id TEXT NOT NULL UNIQUE,
             ts_ms INTEGER NOT NULL,
             client_ip TEXT NOT NULL,
             host TEXT NOT NULL,
             comment TEXT NOT NULL,
             status TEXT NOT NULL DEFAULT 'new',
             updated_at INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS feedbacks_status ON feedbacks(status, id);",
    )
}

/// Stores one report (inside the caller's transaction); a second report for the same request id
/// is ignored. Returns whether a row was added.
pub fn insert(conn: &Connection, fb: &FeedbackEvent) -> rusqlite::Result<bool> {
    let mut st = conn.prepare_cached(
        "INSERT OR IGNORE INTO feedbacks (request_id, ts_ms, client_ip, host, comment, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let ts = i64::try_from(fb.ts_ms).unwrap_or(i64::MAX);
    let n = st.execute(params![
        fb.request_id,
        ts,
        fb.client_ip,
        fb.host,
        fb.comment,
        ts / 1000
    ])?;
    Ok(n == 1)
}

/// Where a report is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not reviewed yet.
    New,
    /// A false positive: the event's exclusion is offered.
    Accepted,
    /// Not a false positive.
    Rejected,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "accepted" => Status::Accepted,
            "rejected" => Status::Rejected,
            _ => Status::New,
        }
    }
}

/// The blocked request a report is about, from its attack event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlockedEvent {
    /// Rule id that blocked it.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Attack type (`sqli`, `xss`, ...).
    pub attack_type: String,
    /// HTTP method.
    pub method: String,
    /// Path of the request (no query).
    pub path: String,
    /// Where the rule matched (`query_arg`, `body_arg`, `header`, ...).
    pub target: String,
    /// Parameter the rule matched in, if any.
    pub parameter: Option<String>,
    /// Site id (0 = none).
    pub site_id: i64,
}

/// The narrowest exclusion that lets the reported request through: this rule, off for this
/// path prefix and (when the match was in one) this parameter only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Exclusion {
    /// Rule to exclude.
    pub rule_id: String,
    /// Path prefix it applies to.
    pub path: String,
    /// Parameter it applies to; `null`: the whole request on that path.
    pub parameter: Option<String>,
    /// Site the request went to (0 = global).
    pub site_id: i64,
}

/// One report, as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Feedback {
    /// Row id.
    pub id: i64,
    /// Request id from the block page.
    pub request_id: String,
    /// Client IP that filed it.
    pub client_ip: String,
    /// Host of the blocked request.
    pub host: String,
    /// The user's comment (at most 1000 characters).
    pub comment: String,
    /// Review status.
    pub status: Status,
    /// `YYYY-MM-DD HH:MM:SS` (UTC) it was filed.
    pub created_at: String,
    /// Unix seconds it was filed.
    pub timestamp: i64,
    /// Unix seconds of the last status change (or filing).
    pub updated_at: i64,
    /// The blocked request's attack event; `null` while not ingested (or deleted).
    pub event: Option<BlockedEvent>,
}

/// One page of reports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackPage {
    /// The reports, newest first.
    pub list: Vec<Feedback>,
    /// Reports matching the filter.
    pub total: i64,
    /// Page number.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
    /// Pages in all.
    pub total_pages: i64,
}

/// Columns of [`from_row`]: the report, then its event (the blocking one when there are several).
const SELECT: &str = "SELECT f.id, f.request_id, f.client_ip, f.host, f.comment, f.status,
        f.ts_ms, f.updated_at, a.rule_id, a.rule_name, a.attack_type, a.method, a.url, a.host,
        a.target, a.parameter, a.site_id
    FROM feedbacks f
    LEFT JOIN attack_logs a ON a.id = (
        SELECT id FROM attack_logs WHERE request_id = f.request_id
        ORDER BY action = 'block' DESC, id DESC LIMIT 1)";

/// The path of an event's `url` (host + path + query).
fn path_of(url: &str, host: &str) -> String {
    let rest = url.strip_prefix(host).unwrap_or(url);
    let path = rest.split(['?', '#']).next().unwrap_or("");
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Feedback> {
    let ts_ms: i64 = r.get(6)?;
    let status: String = r.get(5)?;
    let event = match r.get::<_, Option<String>>(8)? {
        Some(rule_id) => {
            let url: String = r.get(12)?;
            let host: String = r.get(13)?;
            Some(BlockedEvent {
                rule_id,
                rule_name: r.get(9)?,
                attack_type: r.get(10)?,
                method: r.get(11)?,
                path: path_of(&url, &host),
                target: r.get(14)?,
                parameter: r.get(15)?,
                site_id: r.get(16)?,
            })
        }
        None => None,
    };
    Ok(Feedback {
        id: r.get(0)?,
        request_id: r.get(1)?,
        client_ip: r.get(2)?,
        host: r.get(3)?,
        comment: r.get(4)?,
        status: Status::parse(&status),
        created_at: format_time(ts_ms / 1000),
        timestamp: ts_ms / 1000,
        updated_at: r.get(7)?,
        event,
    })
}

/// A page of reports (of `status` when given), newest first. `page` >= 1, `page_size` 1-100.
pub fn list(
    conn: &Connection,
    status: Option<Status>,
    page: i64,
    page_size: i64,
) -> rusqlite::Result<FeedbackPage> {
    let st = status.map(Status::as_str);
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM feedbacks WHERE (?1 IS NULL OR status = ?1)",
        [st],
        |r| r.get(0),
    )?;
    let offset = (page - 1).saturating_mul(page_size);
    let mut q = conn.prepare(&format!(
        "{SELECT} WHERE (?1 IS NULL OR f.status = ?1) ORDER BY f.id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let list = q
        .query_map(params![st, page_size, offset], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(FeedbackPage {
        list,
        total,
        page,
        page_size,
        total_pages: (total + page_size - 1) / page_size,
    })
}

/// One report by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Feedback>> {
    conn.query_row(&format!("{SELECT} WHERE f.id = ?1"), [id], from_row)
        .optional()
}

/// Sets a report's status; `None` when there is no such report.
pub fn set_status(
    conn: &Connection,
    id: i64,
    status: Status,
    now: i64,
) -> rusqlite::Result<Option<Feedback>> {
    let n = conn.execute(
        "UPDATE feedbacks SET status = ?1, updated_at = ?2 WHERE id = ?3",
        params![status.as_str(), now, id],
    )?;
    if n == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// Deletes reports by id; returns how many existed.
pub fn delete(conn: &Connection, ids: &[i64]) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    let mut n = 0;
    {
        let mut st = tx.prepare("DELETE FROM feedbacks WHERE id = ?1")?;
        for id in ids {
            n += st.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// Deletes every report; returns how many.
pub fn delete_all(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM feedbacks", [])
}

impl Feedback {
    /// The exclusion offered when the report is accepted: rule, path and parameter of its
    /// event (`None` while the event is unknown).
    pub fn exclusion(&self) -> Option<Exclusion> {
        self.event.as_ref().map(|e| Exclusion {
            rule_id: e.rule_id.clone(),
            path: e.path.clone(),
            parameter: e.parameter.clone(),
            site_id: e.site_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_without_host_and_query() {
        assert_eq!(path_of("example.com/search?q=1", "example.com"), "/search");
        assert_eq!(path_of("example.com", "example.com"), "/");
        assert_eq!(path_of("/a/b#x", "other"), "/a/b");
    }
}
