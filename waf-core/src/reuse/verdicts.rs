//! Memos of libinjection's verdicts on recent values of this thread: a value repeated within a
//! request (the same comment or tag in every element of a JSON array) or across the requests of
//! a connection (its Referer, User-Agent and cookies) is tokenised once, and rules 2001, 2003 and
//! 2002, which look at the same value one after the other, share one call. They keep the results
//! of pure functions of the value, so they are never stale. Keyed with a per-thread random hash
//! (no flooding); bounded in entries and value length.
//!
//! A memo that is already borrowed (a check asked from within a check) is passed by: the value
//! is then computed directly, which is also how the tests turn the memos off ([`bypass`]).

use std::cell::RefCell;
use std::collections::HashMap;

use libinjectionrs::Fingerprint;

/// Most values a memo keeps; it is emptied when full.
const MEMO_ENTRIES: usize = 512;
/// Longest value a memo keeps.
const MEMO_VALUE_LEN: usize = 4096;

/// libinjection's SQLi fingerprints of recent values, and the last value asked about.
#[derive(Default)]
struct SqliMemo {
    last: String,
    last_header: bool,
    last_fp: Option<Fingerprint>,
    map: HashMap<Box<str>, Option<Fingerprint>>,
}

thread_local! {
    static SQLI_MEMO: RefCell<SqliMemo> = RefCell::new(SqliMemo::default());
    static XSS_MEMO: RefCell<HashMap<Box<str>, bool>> = RefCell::new(HashMap::new());
}

/// The SQLi fingerprint of `v` (seen in a header when `header`): `None` unless `gate` passes,
/// else `detect`'s, from the memo when `v` was asked about recently. The map is keyed by the
/// value alone and holds only values that passed the gate; the gate depends on whether the value
/// is a header's, as the last value's entry does.
pub(crate) fn sqli(
    v: &str,
    header: bool,
    gate: impl FnOnce() -> bool,
    detect: impl Fn() -> Option<Fingerprint>,
) -> Option<Fingerprint> {
    SQLI_MEMO.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return gate().then(&detect).flatten();
        };
        // Rules 2001 and 2003 ask about the same value one after the other: the second one
        // neither gates nor hashes again.
        if m.last_header == header && m.last == v {
            return m.last_fp.clone();
        }
        let fp = if !gate() {
            None
        } else if v.len() > MEMO_VALUE_LEN {
            detect()
        } else if let Some(fp) = m.map.get(v) {
            fp.clone()
        } else {
            let fp = detect();
            if m.map.len() >= MEMO_ENTRIES {
                m.map.clear();
            }
            m.map.insert(v.into(), fp.clone());
            fp
        };
        m.last.clear();
        m.last.push_str(v);
        m.last_header = header;
        m.last_fp = fp.clone();
        fp
    })
}

/// libinjection's XSS verdict on `v` (`detect`'s), from the memo when `v` was asked about
/// recently.
pub(crate) fn xss(v: &str, detect: impl Fn() -> bool) -> bool {
    if v.len() > MEMO_VALUE_LEN {
        return detect();
    }
    XSS_MEMO.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return detect();
        };
        if let Some(&r) = m.get(v) {
            return r;
        }
        let r = detect();
        if m.len() >= MEMO_ENTRIES {
            m.clear();
        }
        m.insert(v.into(), r);
        r
    })
}

/// Runs `f` with both memos of this thread passed by (every verdict computed directly).
#[cfg(test)]
pub(crate) fn bypass<R>(f: impl FnOnce() -> R) -> R {
    SQLI_MEMO.with(|s| {
        XSS_MEMO.with(|x| {
            let (_s, _x) = (s.borrow_mut(), x.borrow_mut());
            f()
        })
    })
}
