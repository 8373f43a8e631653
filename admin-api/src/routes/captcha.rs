//! The slider captcha (§8.17, public: no key): `GET /captcha/challenge` returns a background
//! picture with a gap and the piece that fills it, drawn by waf-proxy (which keeps the answer);
//! `POST /captcha/verify` checks where the piece was dropped and that the drag looks like a
//! hand's, once per captcha. A solved captcha earns waf-proxy's clearance cookie for the caller's
//! IP, the same cookie that lets a client past CC `captcha` and `challenge` verdicts.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{CaptchaAnswer, ControlData, ControlRequest, TrailPoint, CAPTCHA_BUSY};

use super::bodies::Clearance;
use crate::access::Need;
use crate::error::{ApiError, ErrorBody};
use crate::gate::Authorized;

/// Most trail points accepted (waf-proxy's bound).
const MAX_TRAIL: usize = 2_000;
/// How long a captcha waits for its answer (waf-proxy's), the wait before asking again.
const CAPTCHA_TTL_SECS: u64 = 120;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(challenge).service(verify);
}

/// A slider captcha.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaptchaChallenge {
    /// The id to answer with (single use).
    pub challenge_id: String,
    /// The background with the gap, `data:image/png;base64,...`.
    pub background: String,
    /// The piece, `data:image/png;base64,...`, drawn at `piece_y`, slid horizontally.
    pub piece: String,
    /// Background width in pixels.
    pub width: u32,
    /// Background height in pixels.
    pub height: u32,
    /// Width and height of the piece in pixels.
    pub piece_size: u32,
    /// Top of the piece in pixels.
    pub piece_y: u32,
    /// Unix time after which the captcha is refused.
    pub expires_at: u64,
}

/// One trail point: `{"x", "y", "t"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailPointBody {
    /// Left edge of the piece, in pixels from the track's start.
    pub x: f64,
    /// Vertical pointer offset from where the drag began, in pixels.
    pub y: f64,
    /// Milliseconds since the drag began.
    pub t: f64,
}

/// `{"challenge_id", "user_ratio", "trail", "duration_ms"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptchaVerifyBody {
    /// The captcha's id.
    pub challenge_id: String,
    /// Where the piece was dropped: its left edge over the track (`width - piece_size`), 0-1.
    pub user_ratio: f64,
    /// The pointer trail of the drag, in time order (at most 2000 points).
    pub trail: Vec<TrailPointBody>,
    /// How long the drag took, in milliseconds.
    pub duration_ms: u64,
}

fn caller_ip(req: &HttpRequest) -> Result<String, ApiError> {
    req.peer_addr()
        .map(|a| a.ip().to_canonical().to_string())
        .ok_or_else(|| ApiError::Internal("no peer address".into()))
}

/// A new slider captcha for the caller's IP: the background with its gap and the piece, PNG.
#[utoipa::path(tag = "public", security(()),
    responses((status = 200, description = "a captcha", body = CaptchaChallenge),
              (status = 429, description = "rate_limited: too many captchas of this client wait for an answer", body = ErrorBody),
              (status = 503, description = "proxy_unavailable", body = ErrorBody)))]
#[get("/captcha/challenge", wrap = "Need::public()")]
async fn challenge(state: Authorized, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ip = caller_ip(&req)?;
    let resp = state
        .proxy
        .call(&ControlRequest::CaptchaIssue { ip })
        .await?;
    let Some(ControlData::Captcha(c)) = resp.data else {
        if resp.error.as_deref() == Some(CAPTCHA_BUSY) {
            return Err(ApiError::RateLimited {
                retry_after: CAPTCHA_TTL_SECS,
            });
        }
        return Err(ApiError::ProxyUnavailable(resp.error.unwrap_or_default()));
    };
    Ok(HttpResponse::Ok().json(CaptchaChallenge {
        challenge_id: c.challenge_id,
        background: c.background,
        piece: c.piece,
        width: c.width,
        height: c.height,
        piece_size: c.piece_size,
        piece_y: c.piece_y,
        expires_at: c.expires_at,
    }))
}

/// Checks a slider captcha answer (once: the captcha is used up whatever the outcome); on
/// success the clearance cookie for the caller's IP.
#[utoipa::path(tag = "public", security(()), request_body = CaptchaVerifyBody,
    responses((status = 200, description = "solved", body = Clearance),
              (status = 400, description = "validation_error: unknown, used or expired captcha, piece off the gap, or a trail that does not look human", body = ErrorBody),
              (status = 503, description = "proxy_unavailable", body = ErrorBody)))]
#[post("/captcha/verify", wrap = "Need::public()")]
async fn verify(
    state: Authorized,
    req: HttpRequest,
    body: web::Json<CaptchaVerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    if b.challenge_id.is_empty()
        || b.challenge_id.len() > 64
        || !b.challenge_id.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return Err(ApiError::field("challenge_id", "not a captcha id"));
    }
    if !b.user_ratio.is_finite() || !(0.0..=1.0).contains(&b.user_ratio) {
        return Err(ApiError::field("user_ratio", "a number from 0 to 1"));
    }
    if b.trail.len() > MAX_TRAIL {
        return Err(ApiError::field(
            "trail",
            format!("at most {MAX_TRAIL} points"),
        ));
    }
    let answer = CaptchaAnswer {
        challenge_id: b.challenge_id,
        user_ratio: b.user_ratio,
        trail: b
            .trail
            .into_iter()
            .map(|p| TrailPoint {
                x: p.x,
                y: p.y,
                t: p.t,
            })
            .collect(),
        duration_ms: b.duration_ms,
    };
    let ip = caller_ip(&req)?;
    let resp = state
        .proxy
        .call(&ControlRequest::CaptchaVerify { ip, answer })
        .await?;
    match resp.data {
        Some(ControlData::Clearance(c)) => Ok(HttpResponse::Ok().json(Clearance {
            message: "Captcha passed".into(),
            valid: true,
            cookie: c
                .set_cookie
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string(),
            set_cookie: c.set_cookie,
            expires_at: c.clearance_expires_at,
        })),
        _ => Err(ApiError::field(
            "challenge_id",
            resp.error.unwrap_or_else(|| "captcha not solved".into()),
        )),
    }
}
