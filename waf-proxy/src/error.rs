//! The proxy's error types: [`StartError`] for start-up (printed, exit 1) and [`Refusal`] for
//! requests the proxy answers itself. `Refusal::status` is the one place a refusal becomes an
//! HTTP status; `pages` renders it.

use std::time::Duration;

use pingora_error::{Error, ErrorSource, ErrorType};

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration file or flag.
    #[error("configuration: {0}")]
    Config(String),
    /// The rules do not compile.
    #[error("rules: {0}")]
    Rules(String),
    /// A file or socket could not be opened.
    #[error("{0}")]
    Io(String),
}

/// A request the proxy answers without (or instead of) the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A WAF rule blocked the request.
    Blocked {
        /// The rule that matched.
        rule_id: String,
    },
    /// A body that parsers read differently (a managed protocol rule, e.g. 1006): refused with
    /// 400 rather than guessed at.
    Ambiguous {
        /// The rule that matched.
        rule_id: String,
    },
    /// A request body in a `Content-Encoding` the WAF does not decode, or any encoded body on a
    /// site with `request_body_encoding: refuse`.
    UnsupportedEncoding,
    /// A CC ban is in force.
    RateLimited {
        /// Time left on the ban.
        retry_after: Duration,
        /// The CC rule id (`cc_<n>`).
        rule_id: String,
    },
    /// No site serves this host.
    UnknownHost,
    /// No upstream answered.
    BadGateway,
    /// The upstream did not answer in time.
    GatewayTimeout,
    /// The body is larger than the proxy accepts.
    BodyTooLarge,
    /// The request headers are larger than the proxy accepts.
    HeadersTooLarge,
    /// Plain HTTP on a site that forces HTTPS.
    RedirectHttps {
        /// The https:// URL to go to.
        location: String,
    },
    /// The client must solve the proof-of-work challenge first.
    Challenge,
    /// The client must solve the slider captcha first.
    Captcha,
    /// A malformed request (e.g. a bad challenge answer).
    BadRequest,
    /// On TLS, the Host header names a different site than the SNI of the connection (domain
    /// fronting, or an HTTP/2 connection reused for another host): 421, the client retries on
    /// a connection of its own.
    Misdirected,
    /// The request could not be inspected (e.g. the body could not be read) and
    /// `on_inspection_error` is `closed`.
    InspectionFailed,
    /// The site is in maintenance mode: 503 with its text and `Retry-After`.
    Maintenance {
        /// Plain text of the page (escaped when rendered).
        message: String,
        /// `Retry-After` seconds.
        retry_after: u32,
    },
}

impl Refusal {
    /// The refusal for an error Pingora reports while proxying.
    pub fn for_error(e: &Error) -> Refusal {
        match e.etype() {
            ErrorType::HTTPStatus(413) => Refusal::BodyTooLarge,
            ErrorType::ConnectTimedout
            | ErrorType::ReadTimedout
            | ErrorType::WriteTimedout
            | ErrorType::ConnectionClosed
                if e.esource() == &ErrorSource::Upstream =>
            {
                if matches!(e.etype(), ErrorType::ReadTimedout) {
                    Refusal::GatewayTimeout
                } else {
                    Refusal::BadGateway
                }
            }
            _ => match e.esource() {
                ErrorSource::Downstream => Refusal::BadRequest,
                _ => Refusal::BadGateway,
            },
        }
    }

    /// The HTTP status of this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Blocked { .. } => 403,
            Refusal::Ambiguous { .. } => 400,
            Refusal::UnsupportedEncoding => 415,
            Refusal::RateLimited { .. } => 429,
            Refusal::UnknownHost => 404,
            Refusal::BadGateway => 502,
            Refusal::GatewayTimeout => 504,
            Refusal::BodyTooLarge => 413,
            Refusal::HeadersTooLarge => 431,
            Refusal::RedirectHttps { .. } => 301,
            Refusal::Challenge | Refusal::Captcha => 403,
            Refusal::BadRequest => 400,
            Refusal::Misdirected => 421,
            Refusal::InspectionFailed => 503,
            Refusal::Maintenance { .. } => 503,
        }
    }

    /// Whether this refusal counts as a WAF block in the statistics.
    pub fn is_waf_block(&self) -> bool {
        matches!(
            self,
            Refusal::Blocked { .. }
                | Refusal::Ambiguous { .. }
                | Refusal::RateLimited { .. }
                | Refusal::Challenge
                | Refusal::Captcha
        )
    }
}
