//! The realtime feed behind `GET /realtime/ws`: the messages it streams, the broadcast channel
//! they go through, the once-a-second traffic ticker and the admission of WebSocket clients.
//!
//! Producers: the attack-log ingest ([`crate::ingest`]) publishes every event once its row is
//! committed ([`Publisher::attack`]); a ticker started with the first client asks waf-proxy for
//! its counters every second and publishes the requests and blocks of that second. Each message
//! is serialised once and shared by every client through one bounded
//! [`tokio::sync::broadcast`] channel of [`Limits::queue`] messages: a client further behind
//! than that lags and is dropped (the WebSocket handler closes it with [`CLOSE_TOO_SLOW`]), so no
//! client is ever buffered without bound. At most [`Limits::max_clients`] clients are connected
//! at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};

use crate::attack_log::AttackLog;
use crate::clock::{format_time, now};
use crate::error::ApiError;
use crate::proxy::ProxyClient;

/// WebSocket close code sent to a client that fell too far behind (application range 4000-4999;
/// 4008 mirrors 1008 "policy violation").
pub const CLOSE_TOO_SLOW: u16 = 4008;

/// One message of the feed, as sent in a WebSocket text frame (JSON, `type` says which).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RealtimeMessage {
    /// Once per second: the requests and blocks waf-proxy counted in that second.
    Traffic(TrafficSecond),
    /// An attack event, as soon as waf-admin ingested it from the proxy's event log.
    Attack(AttackMessage),
}

/// `{"type": "traffic", ...}`: the counts of one second.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrafficSecond {
    /// Unix seconds at the end of the second counted.
    pub timestamp: i64,
    /// `timestamp` as `YYYY-MM-DD HH:MM:SS` (UTC).
    pub time: String,
    /// Requests waf-proxy saw in that second.
    pub requests: u64,
    /// Of those, blocked (403, 429) or challenged.
    pub blocked: u64,
    /// Requests since the proxy started.
    pub total_requests: u64,
    /// Blocked or challenged since the proxy started.
    pub blocked_requests: u64,
}

/// `{"type": "attack", "event": {...}}`: one attack event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttackMessage {
    /// The event, as `GET /attack/logs/{id}` returns it (`id` is its row id there).
    pub event: Box<AttackLog>,
}

/// Bounds of the feed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// WebSocket clients connected at once; one more is refused with 503 `service_busy`.
    pub max_clients: usize,
    /// Messages a client may be behind before it is dropped.
    pub queue: usize,
    /// Longest wait for one message to be taken by a client's connection before it is dropped
    /// (a client that stopped reading fills its socket, and the wait would never end).
    pub send_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clients: 32,
            queue: 1024,
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// The feed: its channel, its client slots and whether the ticker runs.
#[derive(Debug)]
pub struct Realtime {
    tx: broadcast::Sender<Arc<str>>,
    slots: Arc<Semaphore>,
    limits: Limits,
    ticking: AtomicBool,
}

impl Default for Realtime {
    fn default() -> Self {
        Realtime::new(Limits::default())
    }
}

/// Sends messages into the feed from any thread (the ingest thread holds one).
#[derive(Debug, Clone)]
pub struct Publisher(broadcast::Sender<Arc<str>>);

impl Publisher {
    /// Publishes `event` (ingested and committed) to every connected client.
    pub fn attack(&self, event: AttackLog) {
        publish(
            &self.0,
            &RealtimeMessage::Attack(AttackMessage {
                event: Box::new(event),
            }),
        );
    }
}

/// A connected client's place in the feed: its slot (freed when dropped) and its receiver.
#[derive(Debug)]
pub struct Subscription {
    /// Messages, serialised.
    pub rx: broadcast::Receiver<Arc<str>>,
    /// How long a send to this client may wait.
    pub send_timeout: Duration,
    _slot: OwnedSemaphorePermit,
}

fn publish(tx: &broadcast::Sender<Arc<str>>, msg: &RealtimeMessage) {
    if tx.receiver_count() == 0 {
        return; // Nobody listens: do not even serialise.
    }
    match serde_json::to_string(msg) {
        // An error only means every receiver went away meanwhile.
        Ok(text) => drop(tx.send(Arc::from(text))),
        Err(e) => tracing::warn!(error = %e, "realtime message not serialisable"),
    }
}

impl Realtime {
    /// A feed with these bounds.
    pub fn new(limits: Limits) -> Self {
        let (tx, _) = broadcast::channel(limits.queue.max(1));
        Realtime {
            tx,
            slots: Arc::new(Semaphore::new(limits.max_clients)),
            limits,
            ticking: AtomicBool::new(false),
        }
    }

    /// A handle for producers.
    pub fn publisher(&self) -> Publisher {
        Publisher(self.tx.clone())
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.limits.max_clients - self.slots.available_permits()
    }

    /// Admits one more client (503 `service_busy` when all slots are taken) and makes sure the
    /// traffic ticker runs (it asks `proxy` every second).
    pub fn subscribe(&self, proxy: &ProxyClient) -> Result<Subscription, ApiError> {
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| {
            ApiError::ServiceBusy(format!(
                "{} realtime clients are connected, the most allowed",
                self.limits.max_clients
            ))
        })?;
        if !self.ticking.swap(true, Ordering::SeqCst) {
            actix_web::rt::spawn(tick(proxy.clone(), self.tx.clone()));
        }
        Ok(Subscription {
            rx: self.tx.subscribe(),
            send_timeout: self.limits.send_timeout,
            _slot: slot,
        })
    }
}

/// Every second while anyone listens: the proxy's totals, and their difference from the previous
/// second's as a [`TrafficSecond`]. A second the proxy did not answer gives no message (the next
/// answered one counts from the last answer, so nothing is lost or counted twice); totals that
/// went down mean the proxy restarted, and count from zero.
async fn tick(proxy: ProxyClient, tx: broadcast::Sender<Arc<str>>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(u64, u64)> = None;
    loop {
        every.tick().await;
        if tx.receiver_count() == 0 {
            last = None;
            continue;
        }
        let stats = match proxy.call(&waf_core::control::ControlRequest::Stats).await {
            Ok(waf_core::control::ControlResponse {
                data: Some(waf_core::control::ControlData::Stats(s)),
                ..
            }) => s,
            Ok(_) => continue,
            Err(e) => {
                tracing::debug!(error = %e, "realtime: proxy stats unavailable");
                continue;
            }
        };
        let totals = (stats.total_requests, stats.blocked_requests);
        if let Some((req0, blk0)) = last {
            let (requests, blocked) = if totals.0 < req0 {
                totals
            } else {
                (totals.0 - req0, totals.1.saturating_sub(blk0))
            };
            let t = now();
            publish(
                &tx,
                &RealtimeMessage::Traffic(TrafficSecond {
                    timestamp: t,
                    time: format_time(t),
                    requests,
                    blocked,
                    total_requests: totals.0,
                    blocked_requests: totals.1,
                }),
            );
        }
        last = Some(totals);
    }
}
