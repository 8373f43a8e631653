//! The process's log: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), with
//! Pingora's error line for a client that went away while sending its request head turned
//! into a counter and a debug line. Any client can cause that line (close a connection half-way
//! through its head, or be cut off by the head deadline), so at error level it was a log
//! flood on demand; errors of the origin or of the proxy itself are left as they are.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

static CLIENT_DISCONNECTS: AtomicU64 = AtomicU64::new(0);

/// Client connections that ended mid-request, as counted by the log filter and by
/// [`count_client_disconnect`].
pub fn client_disconnects() -> u64 {
    CLIENT_DISCONNECTS.load(Ordering::Relaxed)
}

/// Counts a client that went away mid-request (the proxy's own hooks call this).
pub fn count_client_disconnect() {
    CLIENT_DISCONNECTS.fetch_add(1, Ordering::Relaxed);
}

/// Installs the subscriber.
pub fn init() {
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(ClientGone)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(env),
        )
        .try_init();
}

/// Drops Pingora's `Fail to proxy: Downstream ...` error for a request head that was never
/// completed (the client closed, reset, or ran out of time), counting it instead.
struct ClientGone;

impl<S: Subscriber> Layer<S> for ClientGone {
    fn event_enabled(&self, event: &Event<'_>, _cx: Context<'_, S>) -> bool {
        // Pingora logs through the `log` crate: the bridge's metadata names the `log` callsite,
        // not Pingora's module, so the line is known by its text.
        if *event.metadata().level() != Level::ERROR {
            return true;
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        if client_gone(&m.0) {
            count_client_disconnect();
            tracing::debug!(target: "waf_proxy::client", "client went away: {}", m.0);
            return false;
        }
        true
    }
}

/// Whether a Pingora error line is about a client that went away before its request head was
/// read: `Fail to proxy: Downstream ReadError ... while reading request headers ...`.
fn client_gone(msg: &str) -> bool {
    msg.starts_with("Fail to proxy: Downstream ")
        && (msg.contains("ConnectionClosed")
            || msg.contains("ReadError")
            || msg.contains("ReadTimedout"))
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_gone;

    #[test]
    fn only_a_client_gone_mid_head_is_taken_for_one() {
        assert!(client_gone("Fail to proxy: Downstream ConnectionClosed context: while reading request headers, bytes already read: 18, downstream session type: HTTP/1.1"));
        assert!(client_gone("Fail to proxy: Downstream ReadError context: while reading request headers cause: request head deadline, downstream session type: HTTP/1.1"));
        assert!(!client_gone(
            "Fail to proxy: Upstream ConnectError context: x"
        ));
        assert!(!client_gone("H2 handshake error x"));
    }
}
