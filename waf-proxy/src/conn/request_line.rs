//! The HTTP/1 request line as it is read, with the bytes the `http` crate's URI parser refuses
//! percent-encoded (see [`RequestLine`]).

/// The HTTP/1 request line being read, as far as it has come: the bytes that httparse lets
/// through but the `http` crate's URI parser refuses, after which Pingora answers a bare 400
/// before any proxy phase (`<` and `>`, `"` in the query, `` ` `` in the path), are
/// percent-encoded, so that the request is inspected, and blocked and logged if it is an
/// attack, like any other. Every origin decodes the escapes to the same bytes. Method and
/// version never hold these bytes; a line without them is handed on unchanged. (Controls and
/// spaces inside the target Pingora escapes itself.)
#[derive(Debug, Default)]
pub(super) struct RequestLine {
    /// A `?` has been seen.
    query: bool,
}

impl RequestLine {
    fn refused(&mut self, b: u8) -> bool {
        match b {
            b'?' => {
                self.query = true;
                false
            }
            b'<' | b'>' => true,
            b'"' => self.query,
            b'`' => !self.query,
            _ => false,
        }
    }

    /// Takes the next bytes read (the line's, and perhaps what follows its end): the bytes to
    /// hand on instead when some had to be escaped, and whether the line ended in them.
    pub(super) fn escape(&mut self, input: &[u8]) -> (Option<Vec<u8>>, bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let end = input.iter().position(|&b| b == b'\n');
        let line = &input[..end.unwrap_or(input.len())];
        let mut out: Option<Vec<u8>> = None;
        for (i, &b) in line.iter().enumerate() {
            if self.refused(b) {
                let o = out.get_or_insert_with(|| {
                    let mut o = Vec::with_capacity(input.len() + 32);
                    o.extend_from_slice(&line[..i]);
                    o
                });
                o.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            } else if let Some(o) = out.as_mut() {
                o.push(b);
            }
        }
        if let Some(o) = out.as_mut() {
            o.extend_from_slice(&input[line.len()..]);
        }
        (out, end.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::RequestLine;

    fn escape_all(chunks: &[&[u8]]) -> (Vec<u8>, bool) {
        let mut line = RequestLine::default();
        let mut out = Vec::new();
        let mut ended = false;
        for c in chunks {
            assert!(!ended, "bytes after the end of the line");
            let (e, end) = line.escape(c);
            out.extend_from_slice(e.as_deref().unwrap_or(c));
            ended = end;
        }
        (out, ended)
    }

    /// Only the bytes the URI parser refuses change, wherever the reads split the line, and
    /// nothing after the line's end.
    #[test]
    fn refused_bytes_of_the_line_are_escaped_in_any_split() {
        let cases: [(&[u8], &[u8]); 4] = [
            (
                b"GET /?q=<script>\"x\"</script> HTTP/1.1\r\nX: <\"`>\r\n\r\n",
                b"GET /?q=%3Cscript%3E%22x%22%3C/script%3E HTTP/1.1\r\nX: <\"`>\r\n\r\n",
            ),
            (
                b"GET /a`b\"c?d`e\"f HTTP/1.1\r\n",
                b"GET /a%60b\"c?d`e%22f HTTP/1.1\r\n",
            ),
            (
                b"GET /p{q}|^?x=`{y} HTTP/1.1\r\n",
                b"GET /p{q}|^?x=`{y} HTTP/1.1\r\n",
            ),
            (
                b"GET http://h/<a> HTTP/1.0\n<b>",
                b"GET http://h/%3Ca%3E HTTP/1.0\n<b>",
            ),
        ];
        for (sent, want) in cases {
            assert_eq!(escape_all(&[sent]), (want.to_vec(), true));
            for at in 1..sent.len() {
                let (a, b) = sent.split_at(at);
                let line_end = a.contains(&b'\n');
                if line_end {
                    continue;
                }
                assert_eq!(escape_all(&[a, b]), (want.to_vec(), true), "split at {at}");
            }
        }
        let (out, ended) = escape_all(&[b"GET /<"]);
        assert_eq!((out.as_slice(), ended), (&b"GET /%3C"[..], false));
        assert_eq!(RequestLine::default().escape(b"GET / HTTP/1.1\r\n").0, None);
    }
}
