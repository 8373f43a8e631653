//! Small persisted settings (the `kv` table that `db::migrate` creates): JSON text by key.

use rusqlite::{params, Connection, OptionalExtension};

/// A small persisted setting (e.g. TLS versions), JSON text.
pub fn get(conn: &Connection, k: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT v FROM kv WHERE k = ?1", [k], |r| r.get(0))
        .optional()
}

/// Sets a persisted setting.
pub fn set(conn: &Connection, k: &str, v: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        params![k, v],
    )?;
    Ok(())
}
