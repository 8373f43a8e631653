//! Numeric ids of ACL rules, CC rules and sites: allocated from a per-kind counter in SQLite, so an
//! id is never handed out twice, even after the rule that had it is deleted (a client that cached
//! id 1 must not end up editing somebody else's rule).
//!
//! The counter only moves up: each allocation takes `max(counter, highest id in the files) + 1`,
//! so ids written into the YAML by hand (or present before the counter existed) are respected as
//! well. [`seed`] does the same at start.

use rusqlite::{params, Connection};

use crate::store::{AclSection, CcSection, RuleDoc, SiteSection};

/// The kinds of objects with a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// ACL rules, including WisPanel whitelist entries.
    Acl,
    /// CC rules.
    Cc,
    /// Sites.
    Site,
    /// Observation rules.
    Obs,
}

impl IdKind {
    fn key(self) -> &'static str {
        match self {
            IdKind::Acl => "acl",
            IdKind::Cc => "cc",
            IdKind::Site => "site",
            IdKind::Obs => "obs",
        }
    }
}

/// Creates the counter table (called from [`crate::db::open`]).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS id_counters (
             kind TEXT PRIMARY KEY,
             last INTEGER NOT NULL
         );",
    )
}

/// Hands out the next id of `kind`: one more than both the last id handed out and `max_in_files`
/// (the highest id of that kind in the rule files). One statement, so it is atomic.
pub fn allocate(conn: &Connection, kind: IdKind, max_in_files: u64) -> rusqlite::Result<u64> {
    let floor = i64::try_from(max_in_files).unwrap_or(i64::MAX - 1);
    let id: i64 = conn.query_row(
        "INSERT INTO id_counters (kind, last) VALUES (?1, ?2 + 1)
         ON CONFLICT(kind) DO UPDATE SET last = MAX(last, ?2) + 1
         RETURNING last",
        params![kind.key(), floor],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(id).unwrap_or(0))
}

/// Raises each counter to at least the highest id of its kind in `doc` (at start).
pub fn seed(conn: &Connection, doc: &RuleDoc) -> rusqlite::Result<()> {
    let maxes = [
        (
            IdKind::Acl,
            max(doc.all::<AclSection>().iter().map(|r| r.id)),
        ),
        (IdKind::Cc, max(doc.all::<CcSection>().iter().map(|r| r.id))),
        (
            IdKind::Site,
            max(doc.all::<SiteSection>().iter().map(|s| s.id)),
        ),
    ];
    for (kind, m) in maxes {
        conn.execute(
            "INSERT INTO id_counters (kind, last) VALUES (?1, ?2)
             ON CONFLICT(kind) DO UPDATE SET last = MAX(last, excluded.last)",
            params![kind.key(), i64::try_from(m).unwrap_or(i64::MAX - 1)],
        )?;
    }
    Ok(())
}

/// The highest of `ids`, 0 when there is none.
pub fn max(ids: impl Iterator<Item = u64>) -> u64 {
    ids.max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_reuses_and_respects_the_files() {
        let c = Connection::open_in_memory().unwrap();
        migrate(&c).unwrap();
        assert_eq!(allocate(&c, IdKind::Acl, 0).unwrap(), 1);
        assert_eq!(allocate(&c, IdKind::Acl, 1).unwrap(), 2);
        // Rule 2 deleted: the files' max drops to 1, the next id is still 3.
        assert_eq!(allocate(&c, IdKind::Acl, 1).unwrap(), 3);
        // Kinds are independent.
        assert_eq!(allocate(&c, IdKind::Cc, 0).unwrap(), 1);
        // An id written by hand above the counter wins.
        assert_eq!(allocate(&c, IdKind::Site, 41).unwrap(), 42);
    }
}
