//! Client connections before Pingora's HTTP layer: a cap on open connections per client IP, a
//! deadline for a complete request head, h2c prior-knowledge detection that answers as soon
//! as the first bytes differ from the HTTP/2 preface, and request lines made parseable.
//!
//! Pingora offers no hook for these (its per-read timeouts restart with every header line a
//! slow client sends, its h2c detection waits for 24 bytes, which a `GET / HTTP/1.0` never
//! sends, and a request line it cannot parse gets a bare 400 before any proxy phase runs), so
//! [`Guarded`] wraps Pingora's HTTP application as a [`ServerApp`] of its own and hands it each
//! connection inside a [`GuardedStream`]. Before each HTTP/1 request head is read, the stream is
//! told that its next byte starts one ([`Requests`]); the proxy tells it when the head is
//! complete ([`head_done`]). The stream fails a read once the deadline of the head being read
//! has passed, and percent-encodes the bytes of a request line that the URI parser refuses
//! ([`RequestLine`]).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::{Buf, BytesMut};
use dashmap::DashMap;
use pingora_core::apps::{HttpServerApp, HttpServerOptions, ReusedHttpStream, ServerApp};
use pingora_core::protocols::http::v2::server::H2Options;
use pingora_core::protocols::http::ServerSession;
use pingora_core::protocols::raw_connect::ProxyDigest;
use pingora_core::protocols::tls::{SslDigest, TlsRef};
use pingora_core::protocols::{
    GetProxyDigest, GetSocketDigest, GetTimingDigest, Peek, Shutdown, SocketDigest, Ssl, Stream,
    TimingDigest, UniqueID, UniqueIDType, ALPN,
};
use pingora_core::server::ShutdownWatch;
use prometheus::IntCounter;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use waf_core::IpTable;

mod request_line;
use request_line::RequestLine;

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The limits [`Guarded`] applies.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Time from a connection's start, or from the first byte of a later request on it, to the
    /// end of the request head.
    pub head_timeout: Duration,
    /// Open connections per client IP; peers in `exempt` are not counted.
    pub max_per_ip: usize,
    /// Peers never capped (trusted proxies carry many clients' connections).
    pub exempt: IpTable,
}

/// The counters [`Guarded`] keeps (shared with the proxy's Prometheus registry).
#[derive(Clone)]
pub struct ConnCounters {
    /// Connections refused by the per-IP cap.
    pub refused: IntCounter,
    /// Connections closed by the head deadline.
    pub head_timeouts: IntCounter,
}

/// Pingora's HTTP application behind the per-IP cap and the head deadline.
pub struct Guarded<A> {
    inner: Arc<Requests<A>>,
    limits: ConnLimits,
    open: DashMap<IpAddr, usize>,
    stats: ConnCounters,
}

impl<A> Guarded<A> {
    /// Wraps `inner`.
    pub fn new(inner: A, limits: ConnLimits, stats: ConnCounters) -> Self {
        Guarded {
            inner: Arc::new(Requests(Arc::new(inner))),
            limits,
            open: DashMap::new(),
            stats,
        }
    }

    /// Counts a connection of `ip`; `None` when it already has `max_per_ip` open.
    fn admit(&self, ip: IpAddr) -> Option<Slot<'_>> {
        let mut n = self.open.entry(ip).or_insert(0);
        if *n >= self.limits.max_per_ip {
            return None;
        }
        *n += 1;
        Some(Slot {
            open: &self.open,
            ip,
        })
    }
}

/// One open connection counted against its IP; uncounted on drop.
struct Slot<'a> {
    open: &'a DashMap<IpAddr, usize>,
    ip: IpAddr,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.open.remove_if_mut(&self.ip, |_, n| {
            *n = n.saturating_sub(1);
            *n == 0
        });
    }
}

#[async_trait]
impl<A: HttpServerApp + Send + Sync + 'static> ServerApp for Guarded<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let ip = stream
            .get_socket_digest()
            .and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip()));
        let _slot = match ip {
            Some(ip) if !self.limits.exempt.contains(ip) => match self.admit(ip) {
                Some(slot) => Some(slot),
                None => {
                    self.stats.refused.inc();
                    tracing::debug!(%ip, "connection refused: too many open from this address");
                    return None;
                }
            },
            _ => None,
        };
        // HTTP/2 over TLS (ALPN) frames its own requests: no head deadline for the connection.
        let h2 = matches!(stream.selected_alpn_proto(), Some(ALPN::H2));
        let clock = Arc::new(HeadClock::new(self.limits.head_timeout, !h2));
        let guarded: Stream = Box::new(GuardedStream::new(stream, clock, self.stats.clone()));
        self.inner.process_new(guarded, shutdown).await
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await;
    }
}

/// Pingora's HTTP application, with each HTTP/1 session's stream told before its request head
/// is read that the next byte starts it. Pingora runs one session per request on a connection,
/// after the previous one's body was read or drained, so this is exactly where a head starts
/// (pipelining is off: bytes read past a request end the connection).
pub struct Requests<A>(Arc<A>);

#[async_trait]
impl<A: HttpServerApp + Send + Sync + 'static> HttpServerApp for Requests<A> {
    async fn process_new_http(
        self: &Arc<Self>,
        session: ServerSession,
        shutdown: &ShutdownWatch,
    ) -> Option<ReusedHttpStream> {
        if let Some(c) = session.stream().and_then(clock_of_stream) {
            c.head_starts();
        }
        self.0.process_new_http(session, shutdown).await
    }

    fn h2_options(&self) -> Option<H2Options> {
        self.0.h2_options()
    }

    fn server_options(&self) -> Option<&HttpServerOptions> {
        self.0.server_options()
    }

    async fn http_cleanup(&self) {
        self.0.http_cleanup().await;
    }

    async fn process_custom_session(
        self: Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        self.0
            .clone()
            .process_custom_session(stream, shutdown)
            .await
    }
}

/// Milliseconds since the first use, a clock shared by every connection's deadline.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The deadline of the request head being read on one connection.
#[derive(Debug)]
struct HeadClock {
    timeout: Duration,
    /// Deadline in [`now_ms`] milliseconds; 0 while no head is being read.
    deadline: AtomicU64,
    /// Between requests: the next byte read starts a head (and its deadline).
    idle: AtomicBool,
    /// The next byte read starts an HTTP/1 request line.
    line: AtomicBool,
}

impl HeadClock {
    fn new(timeout: Duration, armed: bool) -> Self {
        let c = HeadClock {
            timeout,
            deadline: AtomicU64::new(0),
            idle: AtomicBool::new(false),
            line: AtomicBool::new(false),
        };
        if armed {
            c.arm();
        }
        c
    }

    fn arm(&self) {
        let at = now_ms()
            .saturating_add(self.timeout.as_millis() as u64)
            .max(1);
        self.deadline.store(at, Ordering::Relaxed);
    }

    fn disarm(&self) {
        self.deadline.store(0, Ordering::Relaxed);
    }

    /// An HTTP/1 request head is to be read: its line starts at the next byte, and so does its
    /// deadline, unless the connection's first head already has one running from the start.
    fn head_starts(&self) {
        self.line.store(true, Ordering::Relaxed);
        if self.deadline.load(Ordering::Relaxed) == 0 {
            self.idle.store(true, Ordering::Relaxed);
        }
    }
}

/// A client connection whose reads fail once the head deadline has passed, with the bytes read
/// to detect h2c kept for Pingora to read again, and request lines escaped ([`RequestLine`]).
pub struct GuardedStream {
    inner: Stream,
    clock: Arc<HeadClock>,
    /// The timer of the armed deadline, and the deadline it was set for.
    timer: Option<(u64, Pin<Box<Sleep>>)>,
    /// Bytes read ahead by [`Peek::try_peek`], served before the inner stream's.
    ahead: BytesMut,
    /// The request line being read, if one is.
    line: Option<RequestLine>,
    /// Escaped bytes that did not fit the last read, served first.
    escaped: BytesMut,
    stats: ConnCounters,
}

impl std::fmt::Debug for GuardedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedStream")
            .field("inner", &self.inner)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl GuardedStream {
    fn new(inner: Stream, clock: Arc<HeadClock>, stats: ConnCounters) -> Self {
        GuardedStream {
            inner,
            clock,
            timer: None,
            ahead: BytesMut::new(),
            line: None,
            escaped: BytesMut::new(),
            stats,
        }
    }

    /// `Ready(Err)` once the armed deadline has passed; otherwise registers the wake-up.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let at = self.clock.deadline.load(Ordering::Relaxed);
        if at == 0 {
            self.timer = None;
            return Poll::Pending;
        }
        if self.timer.as_ref().is_none_or(|(t, _)| *t != at) {
            let left = Duration::from_millis(at.saturating_sub(now_ms()));
            self.timer = Some((at, Box::pin(tokio::time::sleep(left))));
        }
        match self.timer.as_mut().map(|(_, s)| s.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => {
                self.clock.disarm();
                self.timer = None;
                self.stats.head_timeouts.inc();
                tracing::debug!("request head not complete in time: connection closed");
                Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "request head deadline",
                )))
            }
            _ => Poll::Pending,
        }
    }

    /// A read of the inner stream under the deadline.
    fn poll_inner(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Poll::Ready(Err(e)) = self.poll_deadline(cx) {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            // The first byte of a request after the previous one: its head's deadline starts.
            if self.clock.idle.swap(false, Ordering::Relaxed) {
                self.clock.arm();
            }
        }
        r
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if !this.escaped.is_empty() {
            let n = this.escaped.len().min(buf.remaining());
            buf.put_slice(&this.escaped[..n]);
            this.escaped.advance(n);
            return Poll::Ready(Ok(()));
        }
        if this.clock.line.swap(false, Ordering::Relaxed) {
            this.line = Some(RequestLine::default());
        }
        let before = buf.filled().len();
        if !this.ahead.is_empty() {
            let n = this.ahead.len().min(buf.remaining());
            buf.put_slice(&this.ahead[..n]);
            this.ahead.advance(n);
        } else {
            std::task::ready!(this.poll_inner(cx, buf))?;
        }
        if let Some(line) = this.line.as_mut() {
            let (escaped, ended) = line.escape(&buf.filled()[before..]);
            if ended {
                this.line = None;
            }
            if let Some(escaped) = escaped {
                buf.set_filled(before);
                let n = escaped.len().min(buf.remaining());
                buf.put_slice(&escaped[..n]);
                this.escaped.extend_from_slice(&escaped[n..]);
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[async_trait]
impl Peek for GuardedStream {
    /// Pingora's h2c detection: fills `buf` with the first bytes of the connection, returning as
    /// soon as they can no longer be the HTTP/2 preface (a short HTTP/1 request is answered at
    /// once) or `buf` is full. The bytes are read again by Pingora afterwards.
    async fn try_peek(&mut self, buf: &mut [u8]) -> std::io::Result<bool> {
        let mut chunk = [0u8; 64];
        while self.ahead.len() < buf.len() && H2_PREFACE.starts_with(&self.ahead) {
            let mut rb = ReadBuf::new(&mut chunk);
            std::future::poll_fn(|cx| self.poll_inner(cx, &mut rb)).await?;
            if rb.filled().is_empty() {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.ahead.extend_from_slice(rb.filled());
        }
        let n = self.ahead.len().min(buf.len());
        buf[..n].copy_from_slice(&self.ahead[..n]);
        buf[n..].fill(0);
        if self.ahead.starts_with(H2_PREFACE) {
            // HTTP/2 frames its own requests: no head deadline from here on.
            self.clock.disarm();
        }
        Ok(true)
    }
}

#[async_trait]
impl Shutdown for GuardedStream {
    async fn shutdown(&mut self) {
        self.inner.shutdown().await;
    }
}

impl UniqueID for GuardedStream {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for GuardedStream {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }
    fn get_ssl_digest(&self) -> Option<Arc<SslDigest>> {
        self.inner.get_ssl_digest()
    }
    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for GuardedStream {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }
    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }
    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for GuardedStream {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }
}

impl GetSocketDigest for GuardedStream {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }
}

fn clock_of_stream(stream: &Stream) -> Option<&HeadClock> {
    stream
        .as_any()
        .downcast_ref::<GuardedStream>()
        .map(|g| &*g.clock)
}

fn clock_of(session: &pingora_proxy::Session) -> Option<&HeadClock> {
    clock_of_stream(session.as_ref().stream()?)
}

/// The head of the request on `session` is complete: its deadline no longer applies.
pub fn head_done(session: &pingora_proxy::Session) {
    if let Some(c) = clock_of(session) {
        c.disarm();
        c.idle.store(false, Ordering::Relaxed);
    }
}
