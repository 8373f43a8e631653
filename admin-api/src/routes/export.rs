//! The export of `/attack/export`: its formats (JSON, CSV) and its streamed body, batches of
//! [`attack_log::EXPORT_BATCH`] rows read by keyset (`id > last`) one at a time as the client
//! consumes the response, so memory stays at one batch whatever the table size, and the
//! database lock is held per batch only.

use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::stream::{self, Stream};

use crate::attack_log::{self, AttackLog, Filter};
use crate::error::ApiError;
use crate::state::AppState;

enum Step {
    Start,
    After { last: i64, first: bool },
    Done,
}

/// The response body stream for `filter` in `format`.
pub fn stream(
    state: Arc<AppState>,
    filter: Filter,
    format: Format,
) -> impl Stream<Item = Result<Bytes, ApiError>> {
    stream::unfold(Step::Start, move |step| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            match step {
                Step::Start => {
                    let head = match format {
                        Format::Csv => Bytes::from_static(CSV_HEADER.as_bytes()),
                        Format::Json => Bytes::from_static(b"["),
                    };
                    Some((
                        Ok(head),
                        Step::After {
                            last: 0,
                            first: true,
                        },
                    ))
                }
                Step::After { last, first } => {
                    match state.with_db(|c| attack_log::batch_after(c, &filter, last)) {
                        Err(e) => Some((Err(e), Step::Done)),
                        Ok(rows) if rows.is_empty() => {
                            let tail = match format {
                                Format::Csv => Bytes::new(),
                                Format::Json => Bytes::from_static(b"\n]\n"),
                            };
                            Some((Ok(tail), Step::Done))
                        }
                        Ok(rows) => {
                            let next = rows.last().map(|r| r.id).unwrap_or(last);
                            let bytes = encode_batch(&rows, format, first);
                            Some((
                                Ok(bytes),
                                Step::After {
                                    last: next,
                                    first: false,
                                },
                            ))
                        }
                    }
                }
                Step::Done => None,
            }
        }
    })
}

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON array.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// The CSV header of the export.
pub const CSV_HEADER: &str = "id,created_at,timestamp,host,method,url,client_ip,country,rule_id,\
rule_name,attack_type,action,target,parameter,snippet,user_agent,request_id,site_id\n";

/// One CSV line (RFC 4180 quoting; cells starting with `= + - @` get a leading `'` so
/// spreadsheets do not evaluate attack payloads as formulas).
pub fn csv_line(l: &AttackLog) -> String {
    fn cell(out: &mut String, v: &str) {
        let guarded = v.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let needs_quotes = guarded || v.contains([',', '"', '\n', '\r']);
        if needs_quotes {
            out.push('"');
            if guarded {
                out.push('\'');
            }
            out.push_str(&v.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(v);
        }
        out.push(',');
    }
    let mut out = String::with_capacity(256);
    for v in [
        &l.id.to_string(),
        &l.created_at,
        &l.timestamp.to_string(),
        &l.host,
        &l.method,
        &l.url,
        &l.client_ip,
        l.country.as_deref().unwrap_or(""),
        &l.rule_id,
        &l.rule_name,
        &l.attack_type,
        &l.action,
        &l.target,
        l.parameter.as_deref().unwrap_or(""),
        &l.snippet,
        &l.user_agent,
        &l.request_id,
        &l.site_id.to_string(),
    ] {
        cell(&mut out, v);
    }
    out.pop();
    out.push('\n');
    out
}

/// Bytes of one export batch.
pub fn encode_batch(rows: &[AttackLog], format: Format, first: bool) -> Bytes {
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        match format {
            Format::Csv => out.push_str(&csv_line(r)),
            Format::Json => {
                if !(first && i == 0) {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&serde_json::to_string(r).unwrap_or_else(|_| "null".into()));
            }
        }
    }
    Bytes::from(out)
}
