//! The one error type of the HTTP layer and its mapping to status codes.
//!
//! Every handler and middleware returns [`ApiError`]; [`ResponseError`] turns it into
//! `{"error": "...", "code": "..."[, "details": {...}]}` with the status of the reference. Internal
//! causes are logged here and never put in a body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

use crate::proxy::ProxyError;
use crate::store::StoreError;

/// Everything an API call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` header.
    #[error("Missing Authorization: Bearer header")]
    MissingToken,
    /// Unknown key, wrong secret, revoked key, or wrong admin token.
    #[error("Invalid API key")]
    InvalidKey,
    /// The key is disabled.
    #[error("API key disabled")]
    KeyDisabled,
    /// The key is past its expiry.
    #[error("API key expired")]
    KeyExpired,
    /// The key lacks the scope the path needs.
    #[error("API key scopes do not allow this call (needs {0})")]
    ScopeDenied(String),
    /// A blocked prefix, or an admin endpoint called with an API key.
    #[error("Endpoint not exposed")]
    EndpointNotExposed,
    /// Plain HTTP from a non-loopback peer.
    #[error("HTTPS required")]
    HttpsRequired,
    /// Bad input: a message and per-field details.
    #[error("{message}")]
    Validation {
        /// Summary.
        message: String,
        /// Field -> reason.
        details: Map<String, Value>,
    },
    /// No such resource or route.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Same Idempotency-Key, different request.
    #[error("Idempotency-Key was already used with a different request")]
    IdempotencyConflict,
    /// Same Idempotency-Key as a request still being processed.
    #[error("A request with this Idempotency-Key is still being processed; retry later")]
    IdempotencyInFlight,
    /// Body over the limit.
    #[error("Payload too large")]
    PayloadTooLarge,
    /// Wrong Content-Type.
    #[error("Unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Over 120 requests in the window.
    #[error("Rate limited")]
    RateLimited {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// A documented endpoint this WAF does not support.
    #[error("{0}")]
    NotImplemented(String),
    /// The proxy could not be asked (for calls that only make sense with a running proxy).
    #[error("waf-proxy is not reachable on its control socket")]
    ProxyUnavailable(String),
    /// A bounded resource is full (e.g. every realtime WebSocket slot taken); retry later.
    #[error("{0}")]
    ServiceBusy(String),
    /// Anything else; the cause is logged, not returned.
    #[error("Internal error")]
    Internal(String),
}

impl ApiError {
    /// A validation error on one field.
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut details = Map::new();
        details.insert(field.to_string(), Value::String(reason.clone()));
        ApiError::Validation {
            message: format!("{field}: {reason}"),
            details,
        }
    }

    /// An internal error with its cause (logged when the response is built).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MissingToken => "missing_token",
            ApiError::InvalidKey => "invalid_key",
            ApiError::KeyDisabled => "key_disabled",
            ApiError::KeyExpired => "key_expired",
            ApiError::ScopeDenied(_) => "scope_denied",
            ApiError::EndpointNotExposed => "endpoint_not_exposed",
            ApiError::HttpsRequired => "https_required",
            ApiError::Validation { .. } => "validation_error",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::IdempotencyConflict => "idempotency_key_conflict",
            ApiError::IdempotencyInFlight => "idempotency_key_in_use",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotImplemented(_) => "not_implemented",
            ApiError::ProxyUnavailable(_) => "proxy_unavailable",
            ApiError::ServiceBusy(_) => "service_busy",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MissingToken | ApiError::InvalidKey => StatusCode::UNAUTHORIZED,
            ApiError::KeyDisabled
            | ApiError::KeyExpired
            | ApiError::ScopeDenied(_)
            | ApiError::EndpointNotExposed
            | ApiError::HttpsRequired => StatusCode::FORBIDDEN,
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_)
            | ApiError::IdempotencyConflict
            | ApiError::IdempotencyInFlight => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::ProxyUnavailable(_) | ApiError::ServiceBusy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::ProxyUnavailable(cause) => tracing::warn!(%cause, "proxy unavailable"),
            _ => {}
        }
        let mut body = json!({ "error": self.to_string(), "code": self.code() });
        if let ApiError::Validation { details, .. } = self {
            body["details"] = Value::Object(details.clone());
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            ApiError::RateLimited { retry_after } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            ApiError::IdempotencyInFlight => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::ServiceBusy(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        res.json(body)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errors) => {
                let mut details = Map::new();
                for err in &errors.0 {
                    let key = match (&err.rule_id, &err.field) {
                        (Some(id), Some(f)) => format!("{id}.{f}"),
                        (Some(id), None) => id.clone(),
                        (None, Some(f)) => f.clone(),
                        (None, None) => err.file.clone(),
                    };
                    let mut reason = err.reason.clone();
                    if let Some(prev) = details.get(&key).and_then(Value::as_str) {
                        reason = format!("{prev}; {reason}");
                    }
                    details.insert(key, Value::String(reason));
                }
                let first = errors.0.first().map(|e| e.to_string()).unwrap_or_default();
                ApiError::Validation {
                    message: format!("rule set does not compile: {first}"),
                    details,
                }
            }
            StoreError::Io(e) => ApiError::internal(e),
        }
    }
}

impl From<ProxyError> for ApiError {
    fn from(e: ProxyError) -> Self {
        ApiError::ProxyUnavailable(e.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(format!("database: {e}"))
    }
}

/// The error body, for the OpenAPI document.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Message.
    pub error: String,
    /// Stable code (`missing_token`, `validation_error`, ...).
    pub code: String,
    /// Per-field reasons, on validation errors.
    #[schema(value_type = Option<Object>)]
    pub details: Option<Map<String, Value>>,
}
