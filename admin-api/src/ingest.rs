//! Tails waf-proxy's attack event log (`--events`, JSON lines) into the `attack_logs` table.
//!
//! The position read so far is persisted as (device, inode, byte offset) of the file, in the same
//! SQLite transaction as the rows it produced, so a crash or restart never loses or duplicates an
//! event. The proxy rotates by renaming `PATH.n` to `PATH.n+1` (the oldest is deleted past its
//! `events_keep`), `PATH` to `PATH.1`, and starting a new `PATH` (`waf-proxy/src/events.rs`).
//! Each pass lists the chain oldest first (`PATH.k`, ..., `PATH.1`, `PATH`), finds the file we
//! were reading by its identity wherever rotation moved it, finishes it and reads every newer
//! file from its start. Only whole lines (ending in `\n`) are consumed; a partly written last line
//! waits for the next pass. False-positive reports the proxy writes between the events
//! ([`FeedbackLine`]) go to the `feedbacks` table ([`crate::feedback`]), and the observation
//! room's records ([`ObservationLine`]) to `obs_records` ([`crate::obs::store`]), whose retention
//! (set by the rule files in `rules/` beside the database) is applied after every pass that
//! stored some, and every minute. Other lines are skipped (and logged), their bytes counted as
//! read.
//!
//! With a [`Publisher`] ([`Ingester::publish_to`], [`spawn_with`]) every event is also sent to
//! the realtime feed once its row is committed (`/realtime/ws`).
//!
//! What is not recoverable: if the proxy rotated more than `events_keep` times while waf-admin
//! was down, the oldest files were deleted by the proxy and their events are gone (logged as a
//! warning; everything still on disk is read).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use waf_core::event::{AttackEvent, FeedbackLine, ObservationLine};

use crate::attack_log::{self, AttackLog, Retention};
use crate::realtime::Publisher;
use crate::state::now;

/// Name of the state row for the event log.
const STATE: &str = "events";
/// Lines committed per transaction.
const BATCH_LINES: usize = 2000;
/// Rows deleted per retention statement.
const RETENTION_BATCH: i64 = 5000;
/// Rotated files looked for (`PATH.1` .. `PATH.MAX_ROTATED`); gaps are skipped.
const MAX_ROTATED: u32 = 100;
/// Passes in a row that must miss the file being read before it is given up as deleted (a
/// rotation renaming files while we list them can hide it from one pass).
const MISSES_BEFORE_LOSS: u32 = 3;

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

/// File identity and read position. An inode number can be reused by a new file once the old
/// one is deleted, so the identity includes the file's first bytes ([`HEAD`]; an event line
/// starts with its timestamp and request id).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Position {
    dev: u64,
    ino: u64,
    head: Vec<u8>,
    offset: u64,
}

/// Bytes of a file's start kept as part of its identity.
const HEAD: usize = 64;

/// The first [`HEAD`] bytes of `path` (fewer if it is shorter; empty if unreadable).
fn head_of(path: &Path) -> Vec<u8> {
    let mut buf = Vec::with_capacity(HEAD);
    if let Ok(f) = File::open(path) {
        let _ = f.take(HEAD as u64).read_to_end(&mut buf);
    }
    buf
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
    /// Consecutive passes that did not find the file being read.
    misses: u32,
    /// Where committed events are announced, if anywhere.
    publisher: Option<Publisher>,
    /// The rule directory whose `observation` section sets the records' retention.
    rules_dir: PathBuf,
    /// Observation records stored since the last retention pass over them.
    observed: u64,
}

fn identity(path: &Path) -> Option<(u64, u64, u64)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.len()))
}

/// `PATH.1`, where the proxy moves a full log.
pub fn rotated_path(path: &Path) -> PathBuf {
    rotated_n(path, 1)
}

/// `PATH.n`: the n-th most recent rotated log.
pub fn rotated_n(path: &Path, n: u32) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(format!(".{n}"));
    PathBuf::from(p)
}

/// What a [`Ingester::drain`] of one file ended with.
#[derive(Debug, PartialEq, Eq)]
enum Drained {
    /// Read to its end (or to a partly written last line).
    End,
    /// The file at that path is no longer the one expected (rotated meanwhile): stop this pass.
    Moved,
}

impl Ingester {
    /// Opens the database at `db_path` (creating the schema) for tailing `events`.
    pub fn open(db_path: &Path, events: &Path) -> Result<Self, IngestError> {
        let conn = Connection::open(db_path)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;")?;
        attack_log::migrate(&conn)?;
        crate::feedback::migrate(&conn)?;
        crate::obs::store::migrate(&conn)?;
        Ok(Ingester {
            conn,
            path: events.to_path_buf(),
            inserted: 0,
            skipped: 0,
            misses: 0,
            publisher: None,
            // `DATA_DIR/rules` beside `DATA_DIR/waf-admin.db`, as the rule store lays them out.
            rules_dir: db_path.with_file_name("rules"),
            observed: 0,
        })
    }

    /// Announces every event committed from now on through `publisher`.
    pub fn publish_to(&mut self, publisher: Publisher) {
        self.publisher = Some(publisher);
    }

    fn load_position(&self) -> rusqlite::Result<Option<Position>> {
        self.conn
            .query_row(
                "SELECT dev, ino, offset, head FROM ingest_state WHERE name = ?1",
                [STATE],
                |r| {
                    Ok(Position {
                        dev: r.get::<_, i64>(0)? as u64,
                        ino: r.get::<_, i64>(1)? as u64,
                        offset: r.get::<_, i64>(2)? as u64,
                        head: r.get(3)?,
                    })
                },
            )
            .optional()
    }

    fn save_position(conn: &Connection, p: &Position) -> rusqlite::Result<()> {
        conn.execute(
            "INSERT INTO ingest_state (name, dev, ino, offset, head, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(name) DO UPDATE SET dev = excluded.dev, ino = excluded.ino,
                 offset = excluded.offset, head = excluded.head, updated_at = excluded.updated_at",
            params![
                STATE,
                p.dev as i64,
                p.ino as i64,
                p.offset as i64,
                p.head,
                now()
            ],
        )?;
        Ok(())
    }

    /// One pass: reads everything new (the rest of the file being read, then every newer file)
    /// and commits it. Returns the number of events inserted.
    pub fn run_once(&mut self) -> Result<u64, IngestError> {
        let before = self.inserted;
        // Oldest first: PATH.k .. PATH.1, then PATH.
        let mut chain: Vec<(PathBuf, Position)> = (1..=MAX_ROTATED)
            .rev()
            .map(|n| rotated_n(&self.path, n))
            .chain(std::iter::once(self.path.clone()))
            .filter_map(|p| {
                let (dev, ino, _) = identity(&p)?;
                let head = head_of(&p);
                let pos = Position {
                    dev,
                    ino,
                    head,
                    offset: 0,
                };
                Some((p, pos))
            })
            .collect();
        if chain.is_empty() {
            return Ok(0); // The proxy has not written anything yet.
        }
        let (from, offset) = match self.load_position()? {
            None => (0, 0), // First start: everything on disk.
            Some(p) => match chain
                .iter()
                .position(|(_, c)| (c.dev, c.ino) == (p.dev, p.ino) && c.head.starts_with(&p.head))
            {
                Some(k) => {
                    self.misses = 0;
                    (k, p.offset)
                }
                None => {
                    self.misses += 1;
                    if self.misses < MISSES_BEFORE_LOSS {
                        return Ok(0); // Perhaps mid-rotation: look again next pass.
                    }
                    self.misses = 0;
                    tracing::warn!(
                        path = %self.path.display(),
                        "the event file being read is gone (rotated past events_keep while \
                         waf-admin was stopped?); its unread events are lost"
                    );
                    (0, 0)
                }
            },
        };
        for (k, (path, mut p)) in chain.drain(..).enumerate().skip(from) {
            if k == from {
                p.offset = offset;
            }
            if k != from || offset == 0 {
                Self::save_position(&self.conn, &p)?;
            }
            if self.drain(&path, p)? == Drained::Moved {
                break;
            }
        }
        Ok(self.inserted - before)
    }

    /// Reads whole lines of `path` from `p.offset` to the end, committing every
    /// [`BATCH_LINES`] lines together with the new position.
    fn drain(&mut self, path: &Path, mut p: Position) -> Result<Drained, IngestError> {
        let io = |cause| IngestError::Io {
            path: path.display().to_string(),
            cause,
        };
        let mut file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if (meta.dev(), meta.ino()) != (p.dev, p.ino) {
            return Ok(Drained::Moved); // Rotated between stat and open: next pass sorts it out.
        }
        let mut dirty = false;
        if meta.len() < p.offset {
            tracing::warn!(path = %path.display(), "event file shrank; reading it from the start");
            p.offset = 0;
            dirty = true;
        }
        if p.head.len() < HEAD {
            // The file has grown since its identity was taken: keep more of its start.
            let mut h = Vec::with_capacity(HEAD);
            (&mut file)
                .take(HEAD as u64)
                .read_to_end(&mut h)
                .map_err(io)?;
            if h.starts_with(&p.head) && h.len() > p.head.len() {
                p.head = h;
                dirty = true;
            }
        }
        file.seek(SeekFrom::Start(p.offset)).map_err(io)?;
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let mut line = Vec::with_capacity(1024);
        loop {
            let tx = self.conn.unchecked_transaction()?;
            let mut lines = 0;
            let mut partial = false;
            let mut committed: Vec<AttackLog> = Vec::new();
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
                        if self.publisher.is_some() {
                            committed.push(AttackLog::from_event(tx.last_insert_rowid(), &ev));
                        }
                    }
                    Err(e) => {
                        if let Ok(fb) = serde_json::from_slice::<FeedbackLine>(&line) {
                            crate::feedback::insert(&tx, &fb.feedback)?;
                        } else if let Ok(o) = serde_json::from_slice::<ObservationLine>(&line) {
                            crate::obs::store::insert(&tx, &o.observation)?;
                            self.observed += 1;
                        } else {
                            self.skipped += 1;
                            tracing::warn!(error = %e, offset = p.offset, "skipping a malformed event line");
                        }
                    }
                }
            }
            if lines == 0 && !dirty {
                return Ok(Drained::End); // Nothing new: no write at all.
            }
            Self::save_position(&tx, &p)?;
            tx.commit()?;
            if let Some(publisher) = &self.publisher {
                for ev in committed {
                    publisher.attack(ev);
                }
            }
            dirty = false;
            if lines < BATCH_LINES || partial {
                return Ok(Drained::End);
            }
        }
    }

    /// Applies the observation records' retention (of the rule files) when records were stored
    /// since the last time, or always with `force`; returns records deleted.
    pub fn enforce_obs_retention(&mut self, force: bool) -> rusqlite::Result<usize> {
        if !force && self.observed == 0 {
            return Ok(0);
        }
        self.observed = 0;
        let r = crate::obs::retention_in(&self.rules_dir);
        crate::obs::store::enforce_retention(&self.conn, r, now())
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
    spawn_with(db_path, events, every, None)
}

/// [`spawn`], announcing every committed event through `publisher` when given.
pub fn spawn_with(
    db_path: &Path,
    events: &Path,
    every: Duration,
    publisher: Option<Publisher>,
) -> Result<IngestHandle, IngestError> {
    let mut ing = Ingester::open(db_path, events)?;
    if let Some(p) = publisher {
        ing.publish_to(p);
    }
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
                let minute = last_retention.is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
                if let Err(e) = ing.enforce_obs_retention(minute) {
                    tracing::warn!(error = %e, "observation record retention failed");
                }
                if minute {
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
