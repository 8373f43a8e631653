//! Event-handler attributes read the way an HTML tokenizer reads a start tag (rule 3018).
//!
//! A start tag is `<` and a letter, then attributes separated by whitespace or `/`. An attribute
//! whose name is `on` and letters (`onload`, `ontoggle`, `onpointerenter`) given a value is an
//! event handler: the browser runs the value as JavaScript. Form decoding turns `+` into a
//! space and applications decode values again, so `+` is read as a separator too
//! (`<details/+/ontoggle+=+(confirm)()>`). A handler with an empty value, or a word starting
//! with `on` outside a tag (`online = yes`), is not one.

use crate::request::Location;

/// Longest prefix of a value that is examined.
const MAX_SCAN: usize = 4096;

/// Rule 3018: a start tag holding an event-handler attribute with a value.
pub(crate) fn event_attribute(v: &str, _loc: Location) -> bool {
    let b = &v.as_bytes()[..v.len().min(MAX_SCAN)];
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let start = i + off + 1;
        i = start;
        if !b.get(start).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        // The tag name, then its attributes up to `>` (or the end of the value: the page's own
        // markup may close the tag).
        let mut j = start;
        while j < b.len() && !separator(b[j]) && b[j] != b'>' {
            j += 1;
        }
        let end = b[j..]
            .iter()
            .position(|&c| c == b'>' || c == b'<')
            .map_or(b.len(), |e| j + e);
        if handler_in(&b[j..end]) {
            return true;
        }
    }
    false
}

/// What separates attributes: whitespace, `/`, and `+` read as a space.
fn separator(c: u8) -> bool {
    c.is_ascii_whitespace() || c == b'/' || c == b'+'
}

/// Whether the attribute text of a tag holds `on<letters>` given a non-empty value.
fn handler_in(a: &[u8]) -> bool {
    let mut k = 0;
    while k < a.len() {
        // At the start of an attribute name.
        if (k == 0 || separator(a[k - 1]) || a[k - 1] == b'"' || a[k - 1] == b'\'')
            && a[k..].len() > 4
            && a[k].eq_ignore_ascii_case(&b'o')
            && a[k + 1].eq_ignore_ascii_case(&b'n')
        {
            let mut m = k + 2;
            while m < a.len() && a[m].is_ascii_alphabetic() {
                m += 1;
            }
            if m - k >= 5 {
                while m < a.len() && separator(a[m]) && a[m] != b'/' {
                    m += 1;
                }
                if a.get(m) == Some(&b'=') {
                    let val = &a[m + 1..];
                    let val = val
                        .iter()
                        .position(|&c| !separator(c) || c == b'/')
                        .map_or(&[][..], |p| &val[p..]);
                    let empty =
                        val.is_empty() || val.starts_with(b"\"\"") || val.starts_with(b"''");
                    if !empty {
                        return true;
                    }
                }
            }
            k = m.max(k + 1);
            continue;
        }
        k += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Location = Location::QueryArg;

    #[test]
    fn handlers_in_tags_fire() {
        for v in [
            "<DEtAiLs/+/oNTogglE+=+(confirm)()>",
            "\"><D3V\noNPOinTERenTEr+=+(confirm)()>v3dm0s",
            "\"><HtmL\nOnmouSeOVEr+=+a=prompt,a()\rx//",
            "<img src=x onerror=alert(1)>",
            "<svg/onload=alert(1)",
            "<a href=\"#\" onclick=\"go()\">x</a>",
        ] {
            assert!(event_attribute(v, Q), "{v}");
        }
    }

    #[test]
    fn words_outside_tags_and_empty_handlers_pass() {
        for v in [
            "online = yes",
            "x < 5 and onload = 3",
            "<b>bold</b> then online=true",
            "<input onclick=\"\">",
            "a <= b; once=1",
            "<p>Set the onload handler in JS: window.onload = init;</p>",
            "Use <div> and <span> for layout",
        ] {
            assert!(!event_attribute(v, Q), "{v}");
        }
    }
}
