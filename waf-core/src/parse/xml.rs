//! XML bodies: text nodes and attribute values.

use super::visit::Sink;
use crate::request::Location;

/// Emits XML text nodes and attribute values (entity references left for the decoders).
pub(super) fn xml(text: &str, sink: &mut Sink<'_>) {
    let mut rest = text;
    let mut elem = String::new();
    while let Some(lt) = rest.find('<') {
        let t = rest[..lt].trim();
        if !t.is_empty() {
            sink.arg(Location::BodyArgName, Location::BodyArg, &elem, t);
        }
        let after = &rest[lt + 1..];
        let gt = match after.find('>') {
            Some(g) => g,
            None => break,
        };
        let tag = &after[..gt];
        if let Some(cdata) = tag.strip_prefix("![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            let c = &after[8.min(end)..end];
            sink.arg(Location::BodyArgName, Location::BodyArg, &elem, c);
            let _ = cdata;
            rest = after.get(end + 3..).unwrap_or("");
            continue;
        }
        if !tag.starts_with(['/', '?', '!']) {
            let (name, attrs) = tag
                .trim_start()
                .split_once(char::is_whitespace)
                .unwrap_or((tag.trim_start(), ""));
            elem = name.trim_end_matches('/').to_string();
            let attrs = attrs.to_string();
            for a in attrs.split(['"', '\'']).collect::<Vec<_>>().chunks(2) {
                if let [k, v] = a {
                    let k = k.trim().trim_end_matches('=').trim();
                    sink.arg(Location::BodyArgName, Location::BodyArg, k, v);
                }
            }
        }
        rest = &after[gt + 1..];
        if sink.done() {
            break;
        }
    }
}
