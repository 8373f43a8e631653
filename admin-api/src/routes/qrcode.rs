//! `GET /qrcode`: a QR code of a bounded text as an SVG data URI. The route declares the
//! `qrcode` scope, so it takes a key with `qrcode:read`.

use ::qrcode::render::svg::Color;
use ::qrcode::{EcLevel, QrCode, Version};
use actix_web::{get, web, HttpResponse};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::{Module, Need};
use crate::error::ApiError;

/// Longest text accepted, in bytes (fits a version-40 code at every correction level).
pub const MAX_TEXT_BYTES: usize = 1024;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(qr_code);
}

/// `?text=...&size=256&level=M`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QrQuery {
    /// What the code encodes (1-1024 bytes of UTF-8).
    pub text: String,
    /// Smallest width and height of the image in pixels (64-1024, default 256).
    pub size: Option<u32>,
    /// Error correction: L, M (default), Q or H.
    pub level: Option<String>,
}

/// A QR code image.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QrCodeImage {
    /// `data:image/svg+xml;base64,...`.
    pub data_uri: String,
    /// `svg`.
    pub format: &'static str,
    /// QR version (1-40).
    pub version: i16,
    /// Error correction: `L`, `M`, `Q` or `H`.
    pub level: String,
    /// Modules per side.
    pub modules: usize,
    /// Smallest width and height in pixels, as asked.
    pub size: u32,
}

fn level(s: Option<&str>) -> Result<EcLevel, ApiError> {
    Ok(match s.map(str::to_ascii_uppercase).as_deref() {
        None | Some("M") => EcLevel::M,
        Some("L") => EcLevel::L,
        Some("Q") => EcLevel::Q,
        Some("H") => EcLevel::H,
        Some(_) => return Err(ApiError::field("level", "L, M, Q or H")),
    })
}

/// A QR code image for `text`, as `data:image/svg+xml;base64,...`.
#[utoipa::path(tag = "qrcode", params(QrQuery),
    responses((status = 200, body = QrCodeImage),
              (status = 400, description = "validation_error")))]
#[get("/qrcode", wrap = "Need::read(Module::Qrcode)")]
async fn qr_code(q: web::Query<QrQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    if q.text.is_empty() || q.text.len() > MAX_TEXT_BYTES {
        return Err(ApiError::field("text", format!("1-{MAX_TEXT_BYTES} bytes")));
    }
    let size = q.size.unwrap_or(256);
    if !(64..=1024).contains(&size) {
        return Err(ApiError::field("size", "64-1024 pixels"));
    }
    let ec = level(q.level.as_deref())?;
    let code = QrCode::with_error_correction_level(q.text.as_bytes(), ec)
        .map_err(|e| ApiError::field("text", format!("cannot be encoded: {e}")))?;
    let svg = code
        .render::<Color<'_>>()
        .min_dimensions(size, size)
        .dark_color(Color("#000000"))
        .light_color(Color("#ffffff"))
        .build();
    let version = match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    };
    Ok(HttpResponse::Ok().json(QrCodeImage {
        data_uri: format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg.as_bytes())
        ),
        format: "svg",
        version,
        level: format!("{ec:?}"),
        modules: code.width(),
        size,
    }))
}
