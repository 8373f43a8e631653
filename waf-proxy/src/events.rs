//! The attack event log: one JSON line per block, challenge or log verdict.
//!
//! The request path only does a `try_send` into a bounded channel; a dedicated thread serialises
//! and writes. When the channel is full the event is dropped and counted (request latency never
//! depends on the disk). Written events reach the file within [`FLUSH_EVERY`]. The file is rotated
//! by size: `events.jsonl` -> `events.jsonl.1` -> ... -> `events.jsonl.N` (N = `keep`, the oldest
//! is deleted), so a reader that was away for a while (waf-admin) finds what it has not read yet.
//! False-positive reports filed from block pages travel the same way, as
//! [`FeedbackLine`]s between the events, and so do the observation room's records
//! ([`ObservationLine`]s), under the same bound and, since a record holds body prefixes, under a
//! bound on the bytes they hold while queued ([`OBS_QUEUE_BYTES`]).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use waf_core::event::{
    AttackEvent, FeedbackEvent, FeedbackLine, ObservationLine, ObservationRecord,
};

/// Events queued at most; beyond, new events are dropped.
const QUEUE: usize = 8192;

/// Bytes of observation records (their bodies and headers) queued at most; beyond, new records
/// are dropped and counted like events.
pub const OBS_QUEUE_BYTES: u64 = 64 << 20;

/// Longest time a written event stays in the write buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// One line of the log. Attack events are the common case and stay unboxed (no allocation per
/// event); a report is small and rare.
#[allow(clippy::large_enum_variant)]
enum Line {
    Attack(AttackEvent),
    Feedback(FeedbackLine),
    /// Boxed: a record holds two body prefixes and is the rare case. With its size as counted
    /// in [`EventSink::obs_queued`].
    Observation(Box<ObservationLine>, u64),
}

/// The sending side, held by the proxy.
pub struct EventSink {
    tx: Option<SyncSender<Line>>,
    dropped: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
    /// Bytes of observation records queued and not yet written.
    obs_queued: Arc<AtomicU64>,
}

impl EventSink {
    /// A sink that discards everything (no event file configured).
    pub fn disabled() -> Self {
        EventSink {
            tx: None,
            dropped: Arc::new(AtomicU64::new(0)),
            written: Arc::new(AtomicU64::new(0)),
            obs_queued: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Opens (appends to) `path` and starts the writer thread; rotates past `max_bytes`, keeping
    /// `keep` rotated files (at least 1).
    pub fn open(path: &Path, max_bytes: u64, keep: u32) -> std::io::Result<Self> {
        let file = open_append(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let (tx, rx) = sync_channel::<Line>(QUEUE);
        let written = Arc::new(AtomicU64::new(0));
        let w = written.clone();
        let obs_queued = Arc::new(AtomicU64::new(0));
        let q = obs_queued.clone();
        let mut writer = Writer {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(64 * 1024, file),
            size,
            max_bytes: max_bytes.max(4096),
            keep: keep.max(1),
            last_flush: Instant::now(),
        };
        std::thread::Builder::new()
            .name("waf-events".into())
            .spawn(move || {
                let mut next: Option<Line> = None;
                loop {
                    let got = match next.take() {
                        Some(ev) => Ok(ev),
                        None => rx.recv_timeout(FLUSH_EVERY),
                    };
                    match got {
                        Ok(ev) => {
                            writer.write(&ev);
                            w.fetch_add(1, Ordering::Relaxed);
                            if let Line::Observation(_, size) = &ev {
                                q.fetch_sub(*size, Ordering::Relaxed);
                            }
                            // Flush once the queue is drained, and at least every FLUSH_EVERY
                            // under a steady stream.
                            match rx.try_recv() {
                                Ok(ev) => {
                                    next = Some(ev);
                                    if writer.last_flush.elapsed() >= FLUSH_EVERY {
                                        writer.flush();
                                    }
                                }
                                Err(_) => writer.flush(),
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => writer.flush(),
                        Err(RecvTimeoutError::Disconnected) => {
                            writer.flush();
                            return;
                        }
                    }
                }
            })?;
        Ok(EventSink {
            tx: Some(tx),
            dropped: Arc::new(AtomicU64::new(0)),
            written,
            obs_queued,
        })
    }

    /// Queues an event without waiting; counts it as dropped when the queue is full.
    pub fn send(&self, ev: AttackEvent) {
        self.queue(Line::Attack(ev));
    }

    /// Queues a false-positive report without waiting; false when it was not queued (no event
    /// log configured, or the queue is full), so the reporter can be told.
    pub fn send_feedback(&self, fb: FeedbackEvent) -> bool {
        self.tx.is_some() && self.queue(Line::Feedback(FeedbackLine { feedback: fb }))
    }

    /// Queues an observation record without waiting; dropped (and counted) when the queue is
    /// full, or when the records queued already hold [`OBS_QUEUE_BYTES`].
    pub fn send_observation(&self, rec: ObservationRecord) {
        if self.tx.is_none() {
            return;
        }
        let headers: usize = rec
            .request_headers
            .iter()
            .chain(&rec.response_headers)
            .map(|h| h.name.len() + h.value.len())
            .sum();
        let size = (rec.request_body.data.len() + rec.response_body.data.len() + headers) as u64;
        if self.obs_queued.fetch_add(size, Ordering::Relaxed) + size > OBS_QUEUE_BYTES {
            self.obs_queued.fetch_sub(size, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let line = Line::Observation(Box::new(ObservationLine { observation: rec }), size);
        if !self.queue(line) {
            self.obs_queued.fetch_sub(size, Ordering::Relaxed);
        }
    }

    fn queue(&self, line: Line) -> bool {
        let Some(tx) = &self.tx else { return false };
        match tx.try_send(line) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Whether events are recorded at all.
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Events written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

/// `FILE.n`: the n-th most recent rotated event file.
pub fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(format!(".{n}"));
    PathBuf::from(p)
}

fn open_append(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}

struct Writer {
    path: PathBuf,
    out: BufWriter<File>,
    size: u64,
    max_bytes: u64,
    keep: u32,
    last_flush: Instant,
}

impl Writer {
    fn write(&mut self, ev: &Line) {
        let json = match ev {
            Line::Attack(ev) => serde_json::to_vec(ev),
            Line::Feedback(fb) => serde_json::to_vec(fb),
            Line::Observation(o, _) => serde_json::to_vec(o),
        };
        let mut line = match json {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("event not serialisable: {e}");
                return;
            }
        };
        line.push(b'\n');
        if self.size + line.len() as u64 > self.max_bytes {
            self.rotate();
        }
        if let Err(e) = self.out.write_all(&line) {
            tracing::warn!("event log write failed: {e}");
            return;
        }
        self.size += line.len() as u64;
    }

    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if let Err(e) = self.out.flush() {
            tracing::warn!("event log flush failed: {e}");
        }
    }

    /// `FILE.(keep-1)` -> `FILE.keep` (replacing the oldest), ..., `FILE` -> `FILE.1`.
    fn rotate(&mut self) {
        self.flush();
        for n in (1..self.keep).rev() {
            let from = rotated(&self.path, n);
            if from.exists() {
                if let Err(e) = std::fs::rename(&from, rotated(&self.path, n + 1)) {
                    tracing::warn!("event log rotation {n} failed: {e}");
                }
            }
        }
        if let Err(e) = std::fs::rename(&self.path, rotated(&self.path, 1)) {
            tracing::warn!("event log rotation failed: {e}");
        }
        match open_append(&self.path) {
            Ok(f) => {
                self.out = BufWriter::with_capacity(64 * 1024, f);
                self.size = 0;
            }
            Err(e) => tracing::warn!("event log reopen failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: u64) -> AttackEvent {
        AttackEvent {
            ts_ms: i,
            request_id: format!("r{i}"),
            site_id: 0,
            host: "h".into(),
            method: "GET".into(),
            url: "/".into(),
            client_ip: "127.0.0.1".into(),
            country: None,
            user_agent: String::new(),
            rule_id: "1".into(),
            rule_name: "n".into(),
            attack_type: "sqli".into(),
            action: "block".into(),
            target: "query_arg".into(),
            parameter: None,
            snippet: "x".repeat(100),
        }
    }

    fn wait_written(sink: &EventSink, n: u64) {
        for _ in 0..100 {
            if sink.written() == n {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn writes_and_rotates_keeping_n_files_in_order() {
        let dir = std::env::temp_dir().join(format!("waf-ev-{}", std::process::id()));
        let path = dir.join("events.jsonl");
        let sink = EventSink::open(&path, 4096, 3).expect("open");
        for i in 0..100 {
            sink.send(ev(i));
        }
        wait_written(&sink, 100);
        drop(sink);
        std::thread::sleep(Duration::from_millis(300));
        assert!(!rotated(&path, 4).exists(), "only 3 rotated files kept");
        // Oldest to newest: FILE.3, FILE.2, FILE.1, FILE hold consecutive events ending at 99.
        let mut seen = Vec::new();
        for p in [
            rotated(&path, 3),
            rotated(&path, 2),
            rotated(&path, 1),
            path.clone(),
        ] {
            let text = std::fs::read_to_string(&p).expect("read");
            for line in text.lines() {
                let e: AttackEvent = serde_json::from_str(line).expect("valid line");
                seen.push(e.ts_ms);
            }
        }
        assert_eq!(seen.last(), Some(&99));
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "{seen:?}");
        assert!(seen.len() > 30, "{} events kept", seen.len());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn observation(body: usize) -> ObservationRecord {
        ObservationRecord {
            ts_ms: 1,
            request_id: "r".into(),
            rule_id: 1,
            rule_name: "n".into(),
            site_id: 0,
            host: "h".into(),
            client_ip: "127.0.0.1".into(),
            method: "POST".into(),
            uri: "/".into(),
            version: "HTTP/1.1".into(),
            request_headers: Vec::new(),
            request_body: waf_core::event::BodyPrefix {
                data: "a".repeat(body),
                size: body as u64,
                truncated: false,
            },
            status: 200,
            response_headers: Vec::new(),
            response_body: Default::default(),
            blocked: false,
            duration_ms: 0,
        }
    }

    #[test]
    fn observation_records_are_bounded_by_the_bytes_they_hold() {
        let dir = std::env::temp_dir().join(format!("waf-ev-obs-{}", std::process::id()));
        let path = dir.join("events.jsonl");
        let sink = EventSink::open(&path, 1 << 30, 2).expect("open");
        sink.send_observation(observation(OBS_QUEUE_BYTES as usize + 1));
        assert_eq!(sink.dropped(), 1, "a record over the byte bound is dropped");
        sink.send_observation(observation(10));
        wait_written(&sink, 1);
        assert_eq!(sink.written(), 1);
        assert_eq!(
            sink.obs_queued.load(Ordering::Relaxed),
            0,
            "written records free their bytes"
        );
        drop(sink);
        std::thread::sleep(Duration::from_millis(300));
        let text = std::fs::read_to_string(&path).expect("read");
        let line: ObservationLine =
            serde_json::from_str(text.trim()).expect("one observation line");
        assert_eq!(line.observation.request_body.size, 10);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_steady_trickle_reaches_the_file_within_the_flush_interval() {
        let dir = std::env::temp_dir().join(format!("waf-ev-trickle-{}", std::process::id()));
        let path = dir.join("events.jsonl");
        let sink = EventSink::open(&path, 1 << 20, 2).expect("open");
        // One event every 50 ms (never idle for FLUSH_EVERY): each must be on disk soon after.
        for i in 0..12 {
            sink.send(ev(i));
            std::thread::sleep(Duration::from_millis(50));
        }
        let lines = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .count();
        assert!(lines >= 8, "only {lines} of 12 events on disk after 600 ms");
        drop(sink);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
