//! The attack event log: one JSON line per block, challenge or log verdict.
//!
//! The request path only does a `try_send` into a bounded channel; a dedicated thread serialises
//! and writes. When the channel is full the event is dropped and counted (request latency never
//! depends on the disk). The file is rotated by size: `events.jsonl` -> `events.jsonl.1`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use waf_core::event::AttackEvent;

/// Events queued at most; beyond, new events are dropped.
const QUEUE: usize = 8192;

/// The sending side, held by the proxy.
pub struct EventSink {
    tx: Option<SyncSender<AttackEvent>>,
    dropped: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl EventSink {
    /// A sink that discards everything (no event file configured).
    pub fn disabled() -> Self {
        EventSink {
            tx: None,
            dropped: Arc::new(AtomicU64::new(0)),
            written: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Opens (appends to) `path` and starts the writer thread.
    pub fn open(path: &Path, max_bytes: u64) -> std::io::Result<Self> {
        let file = open_append(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let (tx, rx) = sync_channel::<AttackEvent>(QUEUE);
        let written = Arc::new(AtomicU64::new(0));
        let w = written.clone();
        let mut writer = Writer {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(64 * 1024, file),
            size,
            max_bytes: max_bytes.max(4096),
        };
        std::thread::Builder::new()
            .name("waf-events".into())
            .spawn(move || loop {
                match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(ev) => {
                        writer.write(&ev);
                        w.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(RecvTimeoutError::Timeout) => writer.flush(),
                    Err(RecvTimeoutError::Disconnected) => {
                        writer.flush();
                        return;
                    }
                }
            })?;
        Ok(EventSink {
            tx: Some(tx),
            dropped: Arc::new(AtomicU64::new(0)),
            written,
        })
    }

    /// Queues an event without waiting; counts it as dropped when the queue is full.
    pub fn send(&self, ev: AttackEvent) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(ev) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
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
}

impl Writer {
    fn write(&mut self, ev: &AttackEvent) {
        let mut line = match serde_json::to_vec(ev) {
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
        if let Err(e) = self.out.flush() {
            tracing::warn!("event log flush failed: {e}");
        }
    }

    fn rotate(&mut self) {
        self.flush();
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        if let Err(e) = std::fs::rename(&self.path, &old) {
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

    #[test]
    fn writes_and_rotates() {
        let dir = std::env::temp_dir().join(format!("waf-ev-{}", std::process::id()));
        let path = dir.join("events.jsonl");
        let sink = EventSink::open(&path, 4096).expect("open");
        for i in 0..100 {
            sink.send(ev(i));
        }
        for _ in 0..50 {
            if sink.written() == 100 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(sink);
        std::thread::sleep(Duration::from_millis(300));
        let rotated = dir.join("events.jsonl.1");
        assert!(rotated.exists());
        let text = std::fs::read_to_string(&path).expect("read");
        for line in text.lines() {
            let _: AttackEvent = serde_json::from_str(line).expect("valid line");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
