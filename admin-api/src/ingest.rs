//! Tails waf-proxy's attack event log (`--events`, JSON lines) into the `attack_logs` table.
//!
//! The position read so far is persisted as (device, inode, byte offset) of the file, in the same
//! SQLite transaction as the rows it produced, so a crash or restart never loses or duplicates an
//! event. The proxy rotates by renaming `PATH` to `PATH.1` and starting a new `PATH`
//! (`waf-proxy/src/events.rs`); when the file we were reading is no longer `PATH`, we finish it
//! under `PATH.1` and continue with the new `PATH` from its start. Only whole lines (ending in
//! `\n`) are consumed; a partly written last line waits for the next pass. Lines that are not
//! attack events are skipped (and logged), their bytes counted as read.
//!
//! What is not recoverable: if the proxy rotated twice while waf-admin was down, the file in
//! between was deleted by the proxy's rotation and its events are gone (logged as a warning).

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use waf_core::event::AttackEvent;

use crate::attack_log::{self, Retention};
use crate::state::now;

/// Name of the state row for the event log.
const STATE: &str = "events";
/// Lines committed per transaction.
const BATCH_LINES: usize = 2000;
/// Rows deleted per retention statement.
const RETENTION_BATCH: i64 = 5000;

/// Why a pass failed (it is retried on the next tick).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Reading the event file.
    #[error("event log {path}: {cause}")]
    Io {
        /// File.
        path: String,
        /// What happened.
        cause: std::io::Error,
    },
    /// Writing the database.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
}

/// File identity and read position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    dev: u64,
    ino: u64,
    offset: u64,
}

/// The tailer: its own SQLite connection (WAL lets the API read meanwhile) and the event path.
#[derive(Debug)]
pub struct Ingester {
    conn: Connection,
    path: PathBuf,
    /// Events inserted since creation.
    pub inserted: u64,
    /// Lines skipped as malformed since creation.
    pub skipped: u64,
}

fn identity(path: &Path) -> Option<(u64, u64, u64)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.len()))
}

/// `PATH.1`, where the proxy moves a full log.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".1");
    PathBuf::from(p)
}

impl Ingester {
    /// Opens the database at `db_path` (creating the schema) for tailing `events`.
    pub fn open(db_path: &Path, events: &Path) -> Result<Self, IngestError> {
        let conn = Connection::open(db_path)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;")?;
        attack_log::migrate(&conn)?;
        Ok(Ingester {
            conn,
            path: events.to_path_buf(),
            inserted: 0,
            skipped: 0,
        })
    }

    fn load_position(&self) -> rusqlite::Result<Option<Position>> {
        self.conn
            .query_row(
                "SELECT dev, ino, offset FROM ingest_state WHERE name = ?1",
                [STATE],
                |r| {
                    Ok(Position {
                        dev: r.get::<_, i64>(0)? as u64,
                        ino: r.get::<_, i64>(1)? as u64,
                        offset: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
    }

    fn save_position(conn: &Connection, p: Position) -> rusqlite::Result<()> {
        conn.execute(
            "INSERT INTO ingest_state (name, dev, ino, offset, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO UPDATE SET dev = excluded.dev, ino = excluded.ino,
                 offset = excluded.offset, updated_at = excluded.updated_at",
            params![STATE, p.dev as i64, p.ino as i64, p.offset as i64, now()],
        )?;
        Ok(())
    }

    /// One pass: reads everything new (including the rest of a rotated file) and commits it.
    /// Returns the number of events inserted.
    pub fn run_once(&mut self) -> Result<u64, IngestError> {
        let before = self.inserted;
        let Some((dev, ino, _)) = identity(&self.path) else {
            return Ok(0); // The proxy has not written anything yet.
        };
        let rotated = rotated_path(&self.path);
        match self.load_position()? {
            Some(p) if p.dev == dev && p.ino == ino => {
                self.drain(&self.path.clone(), p)?;
            }
            Some(p) => {
                // Our file was rotated away: finish it, then start the new one.
                match identity(&rotated) {
                    Some((d, i, _)) if d == p.dev && i == p.ino => {
                        self.drain(&rotated, p)?;
                    }
                    _ => tracing::warn!(
                        path = %self.path.display(),
                        "the event file being read is gone (rotated twice while waf-admin was \
                         stopped?); its unread events are lost"
                    ),
                }
                self.start_fresh(dev, ino)?;
            }
            None => {
                // First start: whatever was already rotated, then the current file.
                if let Some((d, i, _)) = identity(&rotated) {
                    self.drain(
                        &rotated,
                        Position {
                            dev: d,
                            ino: i,
                            offset: 0,
                        },
                    )?;
                }
                self.start_fresh(dev, ino)?;
            }
        }
        Ok(self.inserted - before)
    }

    /// Moves the position to the start of the current file `(dev, ino)` and reads it.
    fn start_fresh(&mut self, dev: u64, ino: u64) -> Result<(), IngestError> {
        let p = Position {
            dev,
            ino,
            offset: 0,
        };
        Self::save_position(&self.conn, p)?;
        self.drain(&self.path.clone(), p)
    }

    /// Reads whole lines of `path` from `p.offset` to the end, committing every
    /// [`BATCH_LINES`] lines together with the new position.
    fn drain(&mut self, path: &Path, mut p: Position) -> Result<(), IngestError> {
        let io = |cause| IngestError::Io {
            path: path.display().to_string(),
            cause,
        };
        let mut file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if (meta.dev(), meta.ino()) != (p.dev, p.ino) {
            return Ok(()); // Rotated between stat and open: the next pass sorts it out.
        }
        let mut dirty = false;
        if meta.len() < p.offset {
            tracing::warn!(path = %path.display(), "event file shrank; reading it from the start");
            p.offset = 0;
            dirty = true;
        }
        file.seek(SeekFrom::Start(p.offset)).map_err(io)?;
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let mut line = Vec::with_capacity(1024);
        loop {
            let tx = self.conn.unchecked_transaction()?;
            let mut lines = 0;
            let mut partial = false;
            while lines < BATCH_LINES {
                line.clear();
                let n = reader.read_until(b'\n', &mut line).map_err(io)?;
                if n == 0 {
                    break;
                }
                if line.last() != Some(&b'\n') {
                    partial = true; // Being written; picked up next pass.
                    break;
                }
                p.offset += n as u64;
                lines += 1;
                match serde_json::from_slice::<AttackEvent>(&line) {
                    Ok(ev) => {
                        attack_log::insert(&tx, &ev)?;
                        self.inserted += 1;
                    }
                    Err(e) => {
                        self.skipped += 1;
                        tracing::warn!(error = %e, offset = p.offset, "skipping a malformed event line");
                    }
                }
            }
            if lines == 0 && !dirty {
                return Ok(()); // Nothing new: no write at all.
            }
            Self::save_position(&tx, p)?;
            tx.commit()?;
            dirty = false;
            if lines < BATCH_LINES || partial {
                return Ok(());
            }
        }
    }

    /// Applies the retention settings stored in the database; returns rows deleted.
    pub fn enforce_retention(&self) -> rusqlite::Result<usize> {
        let r = Retention::load(&self.conn)?;
        let mut total = 0;
        loop {
            let n = attack_log::enforce_retention(&self.conn, r, now(), RETENTION_BATCH)?;
            total += n;
            if (n as i64) < RETENTION_BATCH {
                return Ok(total);
            }
        }
    }
}

/// Stops the background thread when dropped or on [`IngestHandle::stop`].
#[derive(Debug)]
pub struct IngestHandle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl IngestHandle {
    /// Stops the thread and waits for it (it finishes its current pass).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for IngestHandle {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Starts the background thread: a pass every `every` (catching up at once on start), and
/// retention every minute.
pub fn spawn(db_path: &Path, events: &Path, every: Duration) -> Result<IngestHandle, IngestError> {
    let mut ing = Ingester::open(db_path, events)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("waf-admin-ingest".into())
        .spawn(move || {
            let mut last_retention: Option<Instant> = None;
            while !flag.load(Ordering::Relaxed) {
                match ing.run_once() {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(events = n, "ingested"),
                    Err(e) => tracing::warn!(error = %e, "event ingest pass failed"),
                }
                if last_retention.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    match ing.enforce_retention() {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(rows = n, "attack log retention"),
                        Err(e) => tracing::warn!(error = %e, "attack log retention failed"),
                    }
                    last_retention = Some(Instant::now());
                }
                std::thread::sleep(every);
            }
        })
        .map_err(|cause| IngestError::Io {
            path: events.display().to_string(),
            cause,
        })?;
    Ok(IngestHandle {
        stop,
        thread: Some(thread),
    })
}
