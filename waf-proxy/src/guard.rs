//! Inspection errors. The engine itself has no error path, but a request can
//! still fail to be inspected: a panic inside the engine (caught here, per request, instead of
//! dropping the connection) or no policy pinned to the request. What happens then is the
//! config's `on_inspection_error`: `closed` (default) refuses with a 503 page, `open` forwards the
//! request uninspected; both are logged at error level with the request id.
//!
//! A client that stops sending its body half-way is not an inspection error: there is no complete
//! request to forward, so it ends as a 400 whatever the setting.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pingora_http::RequestHeader;
use waf_core::{Policy, Verdict};

use crate::inspect::{self, Facts};

/// Why a request could not be inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectionError {
    /// The engine panicked on this request.
    Panicked,
    /// No policy was pinned to the request.
    NoPolicy,
}

impl std::fmt::Display for InspectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InspectionError::Panicked => "the inspection engine panicked",
            InspectionError::NoPolicy => "no policy pinned to the request",
        })
    }
}

/// [`inspect::run`], with a panic turned into [`InspectionError::Panicked`]. The policy is
/// immutable; the worker thread's scratch (a `thread_local` of caches) survives the unwinding,
/// so after a panic it is replaced by a fresh one and no half-updated cache is read again
/// (hence `AssertUnwindSafe`).
pub fn run(
    policy: Option<&Policy>,
    req: &RequestHeader,
    facts: &Facts<'_>,
    body: &[u8],
    body_truncated: bool,
) -> Result<Verdict, InspectionError> {
    let policy = policy.ok_or(InspectionError::NoPolicy)?;
    catch_unwind(AssertUnwindSafe(|| {
        test_hook(req);
        inspect::run(policy, req, facts, body, body_truncated)
    }))
    .map_err(|_| {
        inspect::discard_scratch();
        InspectionError::Panicked
    })
}

/// Debug builds only, and only with `WAF_PROXY_TEST_HOOKS` set in the environment: a request
/// carrying `x-waf-test-panic` makes inspection panic (the integration tests' way to reach the
/// error path). Compiled out of release builds.
#[cfg(debug_assertions)]
fn test_hook(req: &RequestHeader) {
    if req.headers.contains_key("x-waf-test-panic")
        && std::env::var_os("WAF_PROXY_TEST_HOOKS").is_some()
    {
        panic!("test hook: inspection panic");
    }
}

#[cfg(not(debug_assertions))]
fn test_hook(_req: &RequestHeader) {}
