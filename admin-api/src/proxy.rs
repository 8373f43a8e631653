//! Client of waf-proxy's control socket: one JSON line out, one JSON line back
//! ([`waf_core::control`]).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use waf_core::control::{ControlRequest, ControlResponse};

/// How long to wait for the proxy to accept and to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the proxy could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// No socket, refused, or timed out.
    #[error("cannot reach waf-proxy at {path}: {cause}")]
    Unreachable {
        /// Socket path.
        path: String,
        /// What happened.
        cause: String,
    },
    /// It answered something that is not a control response.
    #[error("bad answer from waf-proxy: {0}")]
    Protocol(String),
}

/// Talks to one proxy.
#[derive(Debug, Clone)]
pub struct ProxyClient {
    socket: PathBuf,
}

impl ProxyClient {
    /// A client for the socket at `socket`; nothing is opened until a call.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        ProxyClient {
            socket: socket.into(),
        }
    }

    /// Sends one command and reads the answer.
    pub async fn call(&self, req: &ControlRequest) -> Result<ControlResponse, ProxyError> {
        let unreachable = |cause: String| ProxyError::Unreachable {
            path: self.socket.display().to_string(),
            cause,
        };
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(&self.socket))
            .await
            .map_err(|_| unreachable("connect timed out".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
        let exchange = async {
            let (rd, mut wr) = stream.into_split();
            let mut line =
                serde_json::to_string(req).map_err(|e| ProxyError::Protocol(e.to_string()))?;
            line.push('\n');
            wr.write_all(line.as_bytes())
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            let mut answer = String::new();
            BufReader::new(rd)
                .read_line(&mut answer)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            serde_json::from_str::<ControlResponse>(answer.trim())
                .map_err(|e| ProxyError::Protocol(e.to_string()))
        };
        tokio::time::timeout(ANSWER_TIMEOUT, exchange)
            .await
            .map_err(|_| unreachable("no answer in time".into()))?
    }

    /// Asks the proxy to reload and describes the outcome for an API response.
    pub async fn reload(&self) -> ReloadOutcome {
        match self.call(&ControlRequest::Reload).await {
            Ok(resp) if resp.ok => ReloadOutcome {
                applied: true,
                message: "applied by waf-proxy".into(),
                proxy: Some(resp),
            },
            Ok(resp) => ReloadOutcome {
                applied: false,
                message: "saved; waf-proxy refused the reload and keeps serving its previous rules"
                    .into(),
                proxy: Some(resp),
            },
            Err(e) => {
                tracing::warn!(error = %e, "reload not delivered");
                ReloadOutcome {
                    applied: false,
                    message:
                        "saved; waf-proxy is not reachable, the change applies at its next start or reload"
                            .into(),
                    proxy: None,
                }
            }
        }
    }
}

/// What happened when the proxy was told to reload, included in write responses as `reload`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReloadOutcome {
    /// Whether the running proxy now serves the change.
    pub applied: bool,
    /// In words.
    pub message: String,
    /// The proxy's answer, when it answered.
    #[schema(value_type = Option<Object>)]
    pub proxy: Option<ControlResponse>,
}
