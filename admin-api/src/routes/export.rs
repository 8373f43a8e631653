//! The streamed body of `/attack/export`: batches of [`attack_log::EXPORT_BATCH`] rows read by
//! keyset (`id > last`) one at a time as the client consumes the response, so memory stays at one
//! batch whatever the table size, and the database lock is held per batch only.

use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::stream::{self, Stream};

use super::attack::{encode_batch, Format, CSV_HEADER};
use crate::attack_log::{self, Filter};
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
