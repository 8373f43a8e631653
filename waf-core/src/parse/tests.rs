//! Tests of request parsing: pairs, cookies, JSON paths, multipart, XML, limits, and the
//! visitor's shortcuts (known pairs, runs, cookie headers).

use super::*;

fn fields(req: &Request) -> Vec<(Location, String, String)> {
    let mut out = Vec::new();
    extract(req, Limits { max_args: 100 }, &mut out);
    out.into_iter()
        .map(|f| (f.location, f.name.into_owned(), f.value.into_owned()))
        .collect()
}

#[test]
fn form_pairs_decode_like_url_decode_with_reused_buffers() {
    let forms = [
        "a=1&b=x+y&&c=%27+or+%271&d&=e&f=%zz+%u003c&g=caf%C3%A9+au+lait&h=+&",
        "",
        "&&&",
        "k=v=w&x",
        "na%2Bme=v%26al+ue&utf=\u{e9}t\u{e9}+ok",
    ];
    for form in forms {
        let expected: Vec<(String, String)> = form
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (
                    url_decode(k, true).into_owned(),
                    url_decode(v, true).into_owned(),
                )
            })
            .collect();
        // Two buffers reused from pair to pair, as `form_fields` does.
        let (mut kb, mut vb) = (String::new(), String::new());
        let got: Vec<(String, String)> = raw_pairs(form)
            .map(|(k, v)| {
                let k = decode_form_into(k, &mut kb).to_string();
                (k, decode_form_into(v, &mut vb).to_string())
            })
            .collect();
        assert_eq!(got, expected, "{form}");
        let via_iter: Vec<(String, String)> = form_pairs(form)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(via_iter, expected, "{form}");
    }
    // Stops when asked.
    let mut n = 0;
    let r = Request::get("/?a=1&b=2&c=3");
    let lim = Limits { max_args: 100 };
    visit(&r, lim, Parts::All, &mut |f: FieldRef<'_>| {
        n += usize::from(f.location == Location::QueryArg);
        n == 2
    });
    assert_eq!(n, 2);
}

/// A visitor that knows some raw pairs and records what it is told; with `runs`, it also
/// takes the leading known pairs of a remainder at once.
#[derive(Default)]
struct PairLog {
    known: Vec<&'static str>,
    runs: bool,
    stop_at: Option<&'static str>,
    fields: Vec<(Location, String)>,
    passed: Vec<(Location, String)>,
    run_calls: usize,
}

impl Visitor for PairLog {
    fn field(&mut self, location: Location, _name: &str, value: &str) -> bool {
        self.fields.push((location, value.to_string()));
        self.stop_at == Some(value)
    }
    fn known_pair(&mut self, _loc: Location, raw: &str) -> bool {
        self.known.contains(&raw)
    }
    fn pair_passed(&mut self, loc: Location, raw: &str) {
        self.passed.push((loc, raw.to_string()));
    }
    fn known_run(&mut self, _loc: Location, rest: &str) -> (usize, usize) {
        if !self.runs {
            return (0, 0);
        }
        self.run_calls += 1;
        let (mut at, mut end, mut n) = (0, 0, 0);
        for piece in rest.split('&') {
            if !piece.is_empty() {
                if !self.known.contains(&piece) {
                    break;
                }
                n += 1;
                end = at + piece.len();
            }
            at += piece.len() + 1;
        }
        (end, n)
    }
}

/// Taking known pairs in runs changes nothing of what is visited, passed or counted.
#[test]
fn runs_of_known_pairs_are_the_known_pairs_one_by_one() {
    let known = vec!["a=1", "b=2", "c=3", "z=%27"];
    let bodies: &[&[u8]] = &[
        b"a=1&b=2&c=3",
        b"a=1&&b=2&x=9&c=3&&",
        b"&a=1&b=2%20&c=3&z=%27",
        b"x=1&a=1&b=2&c=3&y=2&a=1",
        b"z=%27&y=%27+or+1=1&a=1",
        b"",
        b"&&&",
    ];
    for body in bodies {
        for max_args in [0, 1, 2, 3, 4, 100] {
            let headers = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
            let r = Request {
                method: "POST",
                headers: &headers,
                body,
                ..Request::get("/p?a=1&b=2&q=3")
            };
            let lim = Limits { max_args };
            let mut one = PairLog {
                known: known.clone(),
                ..PairLog::default()
            };
            let mut runs = PairLog {
                known: known.clone(),
                runs: true,
                ..PairLog::default()
            };
            let n1 = visit(&r, lim, Parts::All, &mut one);
            let n2 = visit(&r, lim, Parts::All, &mut runs);
            let what = String::from_utf8_lossy(body);
            assert_eq!(n1.too_many_args, n2.too_many_args, "{what} {max_args}");
            assert_eq!(one.fields, runs.fields, "{what} {max_args}");
            assert_eq!(one.passed, runs.passed, "{what} {max_args}");
            if max_args == 100 && !body.is_empty() && body != b"&&&" {
                assert!(runs.run_calls > 0, "{what}");
            }
        }
    }
}

#[test]
fn known_pairs_are_counted_but_not_decoded_or_visited() {
    let headers = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
    let r = Request {
        method: "POST",
        headers: &headers,
        body: b"a=x+y&b=%27&&c=3",
        ..Request::get("/p?q=1&r=2")
    };
    let lim = |max_args| Limits { max_args };
    let mut v = PairLog {
        known: vec!["r=2", "b=%27"],
        ..PairLog::default()
    };
    let notes = visit(&r, lim(100), Parts::All, &mut v);
    assert!(!notes.too_many_args);
    let values: Vec<&str> = v.fields.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(values, ["/p", "q", "1", "a", "x y", "c", "3"]);
    let passed: Vec<(Location, &str)> = v.passed.iter().map(|(l, s)| (*l, s.as_str())).collect();
    assert_eq!(
        passed,
        [
            (Location::QueryArg, "q=1"),
            (Location::BodyArg, "a=x+y"),
            (Location::BodyArg, "c=3")
        ]
    );
    // Known pairs still count: five parameters are over a limit of four.
    let mut v = PairLog {
        known: vec!["r=2", "b=%27"],
        ..PairLog::default()
    };
    assert!(visit(&r, lim(4), Parts::All, &mut v).too_many_args);
    assert!(!v.fields.iter().any(|(_, s)| s == "3"));
    // A pair whose value stops extraction is not reported as passed.
    let mut v = PairLog {
        stop_at: Some("x y"),
        ..PairLog::default()
    };
    visit(&r, lim(100), Parts::All, &mut v);
    assert!(!v.passed.iter().any(|(_, s)| s == "a=x+y"));
    assert_eq!(v.fields.last().map(|(_, s)| s.as_str()), Some("x y"));
}

/// A Cookie header the visitor knows is skipped whole; one whose cookies all passed is
/// reported, one with a cookie that stopped extraction is not.
#[test]
fn known_cookie_headers_are_skipped_whole() {
    let h = [
        ("Cookie", &b"sid=abc; theme=dark%20mode"[..]),
        ("Cookie", &b"lang=en"[..]),
    ];
    let r = Request {
        headers: &h,
        ..Request::get("/")
    };
    let lim = Limits { max_args: 100 };
    let mut v = PairLog::default();
    visit(&r, lim, Parts::All, &mut v);
    let cookies: Vec<&str> = v
        .fields
        .iter()
        .filter(|(l, _)| *l == Location::Cookie)
        .map(|(_, s)| s.as_str())
        .collect();
    assert_eq!(cookies, ["abc", "dark mode", "en"]);
    let passed: Vec<&str> = v.passed.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(passed, ["sid=abc; theme=dark%20mode", "lang=en"]);
    let mut v = PairLog {
        known: vec!["sid=abc; theme=dark%20mode"],
        ..PairLog::default()
    };
    visit(&r, lim, Parts::All, &mut v);
    assert!(!v.fields.iter().any(|(_, s)| s == "abc" || s == "dark mode"));
    assert!(v.fields.iter().any(|(_, s)| s == "en"));
    let mut v = PairLog {
        stop_at: Some("dark mode"),
        ..PairLog::default()
    };
    visit(&r, lim, Parts::All, &mut v);
    assert!(v.passed.is_empty(), "{:?}", v.passed);
}

#[test]
fn query_and_cookies() {
    let h = [
        ("Cookie", &b"sid=abc; theme=dark%20mode"[..]),
        ("User-Agent", &b"ua"[..]),
        ("Accept", &b"*/*"[..]),
    ];
    let r = Request {
        headers: &h,
        ..Request::get("/p%61th?a=1&b=x+y&a=2")
    };
    let f = fields(&r);
    assert!(f.contains(&(Location::Path, "".into(), "/path".into())));
    assert!(f.contains(&(Location::QueryArg, "b".into(), "x y".into())));
    assert_eq!(
        f.iter()
            .filter(|x| x.0 == Location::QueryArg && x.1 == "a")
            .count(),
        2
    );
    assert!(f.contains(&(Location::Cookie, "theme".into(), "dark mode".into())));
    assert!(f.contains(&(Location::Header, "user-agent".into(), "ua".into())));
    assert!(!f.iter().any(|x| x.1 == "accept"));
}

#[test]
fn json_paths() {
    let h = [("Content-Type", &b"application/json"[..])];
    let r = Request {
        method: "POST",
        headers: &h,
        body: br#"{"user":{"name":"O'Brien","tags":["a","b"]},"n":5}"#,
        ..Request::get("/")
    };
    let f = fields(&r);
    assert!(
        f.contains(&(Location::BodyArg, "user.name".into(), "O'Brien".into())),
        "{f:?}"
    );
    assert!(f.contains(&(Location::BodyArg, "user.tags[1]".into(), "b".into())));
    assert!(f.contains(&(Location::BodyArgName, "user.name".into(), "name".into())));
    // Indexes of several digits, nested.
    let items: Vec<String> = (0..60).map(|i| format!("[\"v{i}\"]")).collect();
    let body = format!("{{\"a\":[{}]}}", items.join(","));
    let r = Request {
        body: body.as_bytes(),
        ..r
    };
    let f = fields(&r);
    for (path, v) in [
        ("a[0][0]", "v0"),
        ("a[9][0]", "v9"),
        ("a[10][0]", "v10"),
        ("a[59][0]", "v59"),
    ] {
        assert!(
            f.contains(&(Location::BodyArg, path.into(), v.into())),
            "{path}"
        );
    }
}

#[test]
fn multipart_fields_and_files() {
    let h = [("Content-Type", &b"multipart/form-data; boundary=XyZ"[..])];
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.php\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--XyZ--\r\n";
    let r = Request {
        method: "POST",
        headers: &h,
        body,
        ..Request::get("/")
    };
    let f = fields(&r);
    assert!(
        f.contains(&(Location::BodyArg, "field".into(), "hello".into())),
        "{f:?}"
    );
    assert!(f.contains(&(Location::Filename, "up".into(), "a.php".into())));
}

#[test]
fn xml_text_and_attributes() {
    let h = [("Content-Type", &b"application/xml"[..])];
    let r = Request {
        method: "POST",
        headers: &h,
        body: b"<root a=\"x1\"><field>v1</field><![CDATA[c1]]></root>",
        ..Request::get("/")
    };
    let f = fields(&r);
    assert!(
        f.contains(&(Location::BodyArg, "field".into(), "v1".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&(Location::BodyArg, "a".into(), "x1".into())),
        "{f:?}"
    );
    assert!(f.iter().any(|x| x.2 == "c1"), "{f:?}");
}

#[test]
fn too_many_args_noted() {
    let q: String = (0..50).map(|i| format!("a{i}=1&")).collect();
    let uri = format!("/?{q}");
    let mut out = Vec::new();
    let n = extract(&Request::get(&uri), Limits { max_args: 10 }, &mut out);
    assert!(n.too_many_args);
}

/// The walker against a model built on `serde_json::Value`: on well-formed documents with
/// escapes, surrogate pairs, whitespace, nesting and empty containers, the same keys and leaves
/// under the same paths (as multisets: `Value` does not keep key order); and every strict
/// prefix of a document is refused as JSON.
#[test]
fn json_walk_agrees_with_serde_json() {
    fn model(v: &serde_json::Value, path: &str, out: &mut Vec<(Location, String, String)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    if !k.is_empty() {
                        out.push((Location::BodyArgName, p.clone(), k.clone()));
                    }
                    model(v, &p, out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    model(v, &format!("{path}[{i}]"), out);
                }
            }
            serde_json::Value::String(s) if !s.is_empty() => {
                out.push((Location::BodyArg, path.into(), s.clone()))
            }
            serde_json::Value::Number(n) => {
                out.push((Location::BodyArg, path.into(), n.to_string()))
            }
            _ => {}
        }
    }
    fn sorted(v: Vec<(Location, String, String)>) -> Vec<(&'static str, String, String)> {
        let mut v: Vec<_> = v.into_iter().map(|(l, n, x)| (l.as_str(), n, x)).collect();
        v.sort();
        v
    }
    let h = [("Content-Type", &b"application/json"[..])];
    let items: Vec<String> = (0..12)
        .map(|i| {
            format!(r#"{{"id":{i},"name":"Item {i}","t":["a","b\"{i}\""],"e":{{}},"n":null}}"#)
        })
        .collect();
    let docs = [
        r#"{"a":"x\"y\\\u00e9\ud83d\ude00z","b":[1,-25,true,false,null,{"c":"\u0041\n"}],"":"e","d":{}, "f":[] , "g" : [ [ "h" ] ] }"#.to_string(),
        "{\"k\":\n\t\"v\\/\\b\\f\\r\\t\" , \"x\" : [ 0.5 , 12 ] }".into(),
        r#"{"deep":{"er":{"est":[[["v"]]]}},"s\u0074r":"\u00e9t\u00e9"}"#.into(),
        format!(r#"{{"items":[{}]}}"#, items.join(",")),
        r#"["top",{"k":"v"},7]"#.into(),
        r#""only a string""#.into(),
    ];
    for d in &docs {
        let want = {
            let v: serde_json::Value = serde_json::from_str(d).expect("test document");
            let mut out = Vec::new();
            model(&v, "", &mut out);
            sorted(out)
        };
        let r = Request {
            method: "POST",
            headers: &h,
            body: d.as_bytes(),
            ..Request::get("/")
        };
        let mut got = fields(&r);
        got.retain(|f| matches!(f.0, Location::BodyArg | Location::BodyArgName));
        assert_eq!(sorted(got), want, "{d}");
        for cut in 0..d.len() {
            if let Some(prefix) = d.get(..cut) {
                let mut sink_args = Vec::new();
                let notes = extract(
                    &Request {
                        body: prefix.as_bytes(),
                        ..r
                    },
                    Limits { max_args: 10_000 },
                    &mut sink_args,
                );
                assert!(
                    notes.malformed_body || prefix.trim().is_empty(),
                    "{prefix:?} taken as JSON"
                );
            }
        }
    }
    for bad in [
        r#"{"a":"b"}x"#,
        r#"{"a" "b"}"#,
        "[1,]",
        r#"{"a":"\q"}"#,
        r#"{"a":"\u12"}"#,
        "{\"a\":\"\u{1}\"}",
        "{\"a\":tru}",
        "[1 2]",
    ] {
        let mut out = Vec::new();
        let notes = extract(
            &Request {
                method: "POST",
                headers: &h,
                body: bad.as_bytes(),
                ..Request::get("/")
            },
            Limits { max_args: 100 },
            &mut out,
        );
        assert!(notes.malformed_body, "{bad:?} taken as JSON");
    }
}
