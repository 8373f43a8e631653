//! multipart/form-data bodies: fields and file parts.

use super::Sink;
use crate::request::Location;

pub(super) fn boundary(ct: &str) -> Option<String> {
    let i = ct.to_ascii_lowercase().find("boundary=")?;
    let b = ct[i + 9..].split(';').next()?.trim().trim_matches('"');
    if b.is_empty() || b.len() > 200 {
        None
    } else {
        Some(b.to_string())
    }
}

pub(super) fn multipart(body: &[u8], boundary: &str, sink: &mut Sink<'_>) {
    let delim = format!("--{boundary}");
    let finder = memchr_find_all(body, delim.as_bytes());
    if finder.is_empty() {
        sink.notes.bad_multipart = true;
        sink.push(Location::Body, "", &String::from_utf8_lossy(body));
        return;
    }
    for w in finder.windows(2) {
        let part = &body[w[0] + delim.len()..w[1]];
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| find(part, b"\n\n").map(|i| (i, 2)))
        {
            Some((i, n)) => (&part[..i], &part[i + n..]),
            None => continue,
        };
        let content = content
            .strip_suffix(b"\r\n")
            .or_else(|| content.strip_suffix(b"\n"))
            .unwrap_or(content);
        let head = String::from_utf8_lossy(head);
        let mut name = "";
        let mut filename: Option<&str> = None;
        let mut part_ct = String::new();
        for line in head.lines() {
            let (k, v) = match line.split_once(':') {
                Some(kv) => kv,
                None => continue,
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                for attr in v.split(';') {
                    let attr = attr.trim();
                    if let Some(n) = attr.strip_prefix("name=") {
                        name = n.trim_matches('"');
                    } else if let Some(f) = attr.strip_prefix("filename=") {
                        filename = Some(f.trim_matches('"'));
                    }
                }
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part_ct = v.trim().to_ascii_lowercase();
            }
        }
        let value = || String::from_utf8_lossy(content);
        match filename {
            Some(f) => {
                sink.push(Location::Filename, name, f);
                // File contents are inspected when they are text (scripts, HTML, XML uploads).
                if part_ct.starts_with("text/")
                    || part_ct.contains("xml")
                    || part_ct.contains("json")
                    || part_ct.contains("php")
                    || part_ct.contains("javascript")
                {
                    sink.push(Location::Body, name, &value());
                }
            }
            None => {
                sink.arg(Location::BodyArgName, Location::BodyArg, name, &value());
            }
        }
        if sink.done() {
            break;
        }
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn memchr_find_all(h: &[u8], n: &[u8]) -> Vec<usize> {
    let finder = aho_corasick::AhoCorasick::new([n]);
    match finder {
        Ok(f) => f.find_iter(h).map(|m| m.start()).collect(),
        Err(_) => Vec::new(),
    }
}
