//! The block page's "report a false positive" form, answered by the proxy itself: the form's
//! checks are in [`crate::feedback`]; a report that passes goes to waf-admin through the event
//! log, like an attack event.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use pingora_error::Result;
use pingora_proxy::Session;
use waf_core::event::FeedbackEvent;

use super::{Ctx, WafProxy};
use crate::feedback::{Refused, MAX_FORM, WINDOW};
use crate::pages;

impl WafProxy {
    /// Answers a `POST` of the report form (at most [`MAX_FORM`] bytes): 200 once queued for
    /// waf-admin; 400 malformed, 403 bad or expired token, 429 over the per-IP limit, 503 when
    /// the report cannot be recorded. No answer repeats anything of the report.
    pub(super) async fn answer_feedback(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
    ) -> Result<bool> {
        let Some(body) = self.small_post_body(session, ctx, MAX_FORM).await? else {
            return Ok(true);
        };
        let json = pages::wants_json(
            session
                .req_header()
                .headers
                .get(http::header::ACCEPT)
                .map(|v| v.as_bytes()),
        );
        let ip = ctx.client_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let (status, text) = match self.shared.feedback.file(ip, &body) {
            Ok(f) => {
                let ev = FeedbackEvent {
                    ts_ms: SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64),
                    request_id: f.request_id,
                    client_ip: ip.to_string(),
                    host: ctx.host.clone(),
                    comment: f.comment,
                };
                if self.shared.events.send_feedback(ev) {
                    (200, "Thank you: your report was sent to the site owner.")
                } else {
                    (
                        503,
                        "Your report could not be recorded. Please try again later.",
                    )
                }
            }
            Err(Refused::Malformed) => (400, "The report form is incomplete."),
            Err(Refused::BadToken) => (403, "This report form is not valid for your request."),
            Err(Refused::Expired) => (403, "This report form has expired."),
            Err(Refused::RateLimited) => (429, "Too many reports. Please try again later."),
        };
        let mut page = pages::feedback_answer(status, text, json);
        if status == 429 {
            let _ = page
                .header
                .insert_header("Retry-After", WINDOW.as_secs().to_string());
        }
        session.set_keepalive(None);
        session
            .write_response_header(Box::new(page.header), false)
            .await?;
        session.write_response_body(Some(page.body), true).await?;
        Ok(true)
    }
}
