//! Tests of the managed rules: ids, trigger boundaries and coverage, candidates, plain numbers.

use super::*;
use crate::rules::{self, Detect, Gate};

#[test]
fn builtins_compile_with_unique_ids_and_triggers() {
    let e = Engine::new().expect("compile");
    let mut ids: Vec<u32> = catalog().iter().map(|r| r.id).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate managed rule ids");
    assert_eq!(e.sigs.len(), regex_rules().count());
    for (r, triggers, _) in regex_rules() {
        assert!(!triggers.is_empty(), "signature {} has no trigger", r.id);
    }
}

#[test]
fn trigger_boundaries_sit_on_word_edges() {
    for (r, triggers, _) in regex_rules() {
        for t in triggers {
            let (lit, left, right) = parse_trigger(t);
            assert!(!lit.is_empty() && !lit.contains(r"\b"), "{}: {t}", r.id);
            let b = lit.as_bytes();
            assert!(!left || word_byte(b[0]), "{}: {t}", r.id);
            assert!(!right || word_byte(b[b.len() - 1]), "{}: {t}", r.id);
        }
    }
    assert_eq!(parse_trigger(r"\bor\b"), ("or", true, true));
    assert_eq!(parse_trigger(r"or\b"), ("or", false, true));
    assert_eq!(parse_trigger("or"), ("or", false, false));
}

#[test]
fn bounded_triggers_skip_words_that_merely_contain_them() {
    let e = Engine::new().expect("compile");
    let mut set = e.candidates();
    let cands = |v: &str, set: &mut Candidates| -> Vec<u32> {
        let ids = std::cell::RefCell::new(Vec::new());
        if !e.mark(v.as_bytes(), set) {
            return Vec::new();
        }
        // Every candidate is refused by `active`, which records what it was asked about.
        e.signatures(v, Location::QueryArg, "", set, &|id, _| {
            ids.borrow_mut().push(id);
            false
        });
        ids.into_inner()
    };
    for v in ["color", "sort", "https://shop.example.com/category/shoes"] {
        let c = cands(v, &mut set);
        assert!(!c.iter().any(|id| [2015, 2018].contains(id)), "{v}: {c:?}");
    }
    // 2020 wants a boundary after the operator only (`1or-1`): `color` at the end of a value
    // is still a candidate, `colors` is not.
    for v in [
        "colors",
        "sorted",
        "https://shop.example.com/category/shoes",
    ] {
        let c = cands(v, &mut set);
        assert!(!c.contains(&2020), "{v}: {c:?}");
    }
    assert!(cands("x' or 'a'='a", &mut set).contains(&2015));
    assert!(cands("1' xor sleep(5)", &mut set).contains(&2018));
    assert!(cands(" 1or-1", &mut set).contains(&2020));
    assert!(cands(" 1xor(1)", &mut set).contains(&2020));
}

#[test]
fn narrowed_triggers_still_cover_their_regexes() {
    let e = Engine::new().expect("compile");
    let mut set = e.candidates();
    let mut cands = |v: &str, loc: Location, header: &str| -> Vec<u32> {
        let ids = std::cell::RefCell::new(Vec::new());
        if !e.mark(v.as_bytes(), &mut set) {
            return Vec::new();
        }
        e.signatures(v, loc, header, &set, &|id, _| {
            ids.borrow_mut().push(id);
            false
        });
        ids.into_inner()
    };
    // One value per branch: the regex matches it, and a trigger makes the signature a
    // candidate. The 2014 and 4001 cases cover the narrowed triggers; from the IIS paths on,
    // each case is a branch that had no trigger of its own.
    let cases: &[(u32, &str)] = &[
        (2014, "1; DROP TABLE users"),
        (2014, "x'; delete from users"),
        (2014, "1;insert into t values(1)"),
        (2014, "1; update users set role=1"),
        (2014, "1; SHUTDOWN WITH NOWAIT"),
        (2014, "1;shutdown--"),
        (2014, "x'; truncate table logs"),
        (2014, "1; alter user sa"),
        (2014, "1; create login x"),
        (2014, "1;exec master..xp_cmdshell 'dir'"),
        (2014, "1; execute('x')"),
        (2014, "1; declare @a int"),
        (2014, "1; select * from users"),
        (4001, "c:/windows/win.ini"),
        (4001, r"C:\Windows\system32\drivers"),
        (4001, r"..\windows\win.ini"),
        (4001, "d://WINDOWS"),
        (4001, "c:/winnt/repair/sam"),
        (4001, r"c:\inetpub\wwwroot\web.config"),
        (4001, "C:/inetpub/logs"),
        (1201, "/config.php.swo"),
        (7001, "ldaps://ldap.internal/o=corp"),
        (6002, r#"C:11:"ArrayObject":0:{}"#),
        (8400, "<!--\t#exec cmd=\"id\" -->"),
        // Reviewed by hand after `every_regex_branch_has_a_trigger` listed these signatures.
        (1202, "/server-info"),
        (1202, "/home/u/.ssh/id_dsa"),
        (2016, "1 and linestring((select * from(select user())a))"),
        (2016, "1 and floor (rand(0)*2)"),
        (3011, "javascript\r:alert(1)"),
        (3015, "prompt`1`"),
        (3015, "confirm?.(1)"),
        (4001, "c:/windows/system.ini"),
        (4002, "compress.bzip2:///etc/passwd"),
        (5001, "/sbin/sh -c id"),
        (5001, "cmd/c whoami"),
        (5004, "on error  resume next"),
        (5004, "\"exe\"&\"cute(x)\""),
        (6001, "gzuncompress(base64_decode($x))"),
        (
            6101,
            "#context['xwork.MethodAccessor.denyMethodExecution']=false",
        ),
        (6200, "{{config.items()}}"),
        (
            6200,
            "${\"freemarker.template.utility.Execute\"?new()(\"id\")}",
        ),
        (6200, "#set($x=1)"),
        (6200, "$class.inspect(\"java.lang.Runtime\")"),
        (7101, "<xi:include href=\"file:///etc/passwd\"/>"),
        (7101, "<xs:redefine schemaLocation=\"http://x/\">"),
        (8001, "{\"$nor\": [{\"a\": 1}]}"),
        (8001, "{\"$function\": {\"body\": \"x\"}}"),
        (8001, "1; return true"),
        (8001, "; sleep 5000"),
    ];
    for &(id, v) in cases {
        let i = e.sigs.iter().position(|s| s.id == id).expect("signature");
        assert!(e.regexes[i].is_match(Input::new(v)), "{id} regex: {v}");
        let loc = if v.starts_with('/') {
            Location::Path
        } else {
            Location::QueryArg
        };
        assert!(cands(v, loc, "").contains(&id), "{id}: {v}");
    }
    // A browser User-Agent runs neither regex.
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    let c = cands(ua, Location::Header, "user-agent");
    assert!(!c.contains(&2014) && !c.contains(&4001), "{c:?}");
}

/// Whether every string `hir` matches holds one of `triggers` (lower case), as far as its
/// structure shows: a literal that holds one; a group or repetition (at least once) of a
/// covered part; an alternation of covered branches; a concatenation with a covered part, or
/// whose parts from some point on (up to some point) start (end) with literals that each hold
/// a trigger, by regex-syntax's literal extractor. `false` means "not shown", not "uncovered".
fn covered(hir: &regex_syntax::hir::Hir, triggers: &[Vec<u8>]) -> bool {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    use regex_syntax::hir::{Hir, HirKind};
    let holds = |lit: &[u8]| {
        let lit = lit.to_ascii_lowercase();
        triggers
            .iter()
            .any(|t| lit.windows(t.len()).any(|w| w == t.as_slice()))
    };
    let literals_hold = |kind: ExtractKind, h: &Hir| {
        let mut ex = Extractor::new();
        ex.kind(kind).limit_total(4000).limit_class(30);
        ex.extract(h)
            .literals()
            .is_some_and(|lits| !lits.is_empty() && lits.iter().all(|l| holds(l.as_bytes())))
    };
    if literals_hold(ExtractKind::Prefix, hir) || literals_hold(ExtractKind::Suffix, hir) {
        return true;
    }
    match hir.kind() {
        HirKind::Literal(l) => holds(&l.0),
        HirKind::Capture(c) => covered(&c.sub, triggers),
        HirKind::Repetition(r) => r.min >= 1 && covered(&r.sub, triggers),
        HirKind::Alternation(subs) => subs.iter().all(|h| covered(h, triggers)),
        HirKind::Concat(subs) => {
            subs.iter().any(|h| covered(h, triggers))
                || (0..subs.len()).any(|i| {
                    literals_hold(ExtractKind::Prefix, &Hir::concat(subs[i..].to_vec()))
                        || literals_hold(ExtractKind::Suffix, &Hir::concat(subs[..=i].to_vec()))
                })
        }
        _ => false,
    }
}

/// Every branch of a signature's regex needs one of the signature's triggers: a branch
/// without one never runs, and what it matches passes. Shown from the regex's structure
/// ([`covered`]); the regex is parsed case-sensitively and its literals compared in lower case,
/// which is how the triggers match.
///
/// A few gaps are kept on purpose, each with a value the regex matches that holds no trigger
/// (asserted): they are spellings browsers and shells do not act on, or prose.
#[test]
fn every_regex_branch_has_a_trigger() {
    const DELIBERATE: &[(u32, &str)] = &[
        // `< script>` is text to an HTML parser, not a tag.
        (3010, "< script>"),
        // A blank before the scheme's colon is not a URL scheme.
        (3011, "javascript :alert(1)"),
        // Prose in a form: "confirm (required)".
        (3015, "confirm (1)"),
        // Bash imports a function only from a value starting with `() {`.
        (5100, "( ) { :; }"),
    ];
    let e = Engine::new().expect("compile");
    let mut set = e.candidates();
    for &(id, v) in DELIBERATE {
        let i = e.sigs.iter().position(|s| s.id == id).expect("signature");
        assert!(e.regexes[i].is_match(Input::new(v)), "{id} regex: {v}");
        let marked = e.mark(v.as_bytes(), &mut set) && set.iter().any(|k| k == i);
        assert!(!marked, "{id} triggers on {v}: no longer a gap");
    }
    let mut uncovered = Vec::new();
    for (r, triggers, pattern) in regex_rules() {
        if DELIBERATE.iter().any(|&(id, _)| id == r.id) {
            continue;
        }
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .expect("the engine compiles it");
        let triggers: Vec<Vec<u8>> = triggers
            .iter()
            .map(|t| parse_trigger(t).0.to_ascii_lowercase().into_bytes())
            .collect();
        if !covered(&hir, &triggers) {
            uncovered.push(r.id);
        }
    }
    assert!(
        uncovered.is_empty(),
        "regex branches without a trigger: {uncovered:?}"
    );
}

#[test]
fn candidates_iterate_in_signature_order() {
    let mut c = Candidates::default();
    c.reset(130);
    for i in [129, 3, 64, 3, 0, 63] {
        c.insert(i);
    }
    c.insert(500); // out of range: ignored
    assert_eq!(c.iter().collect::<Vec<_>>(), [0, 3, 63, 64, 129]);
    c.reset(130);
    assert_eq!(c.iter().count(), 0);
}
#[test]
fn plain_numbers_are_numbers_only() {
    for n in [
        "0", "42", "-7", "3.99", "6.02e23", "1E-9", "-0.5e+3", "00012",
    ] {
        assert!(plain_number(n), "{n}");
    }
    for n in [
        "", "-", "1.", ".5", "1e", "1e+", "--1", "1-", "1.2.3", "1--", "1 ", " 1", "1;", "0x1f",
        "1e5e5", "+1", "1,5", "１２",
    ] {
        assert!(!plain_number(n), "{n}");
    }
}

/// The ground for skipping plain numbers: no signature or check fires on one, at any level
/// and location. Scanned: every plain number that holds a signature's trigger (the only
/// ones whose regex runs at all), and thousands of random ones for the checks.
#[test]
fn no_rule_fires_on_a_plain_number() {
    let mut numbers: Vec<String> = Vec::new();
    for (_, triggers, _) in regex_rules() {
        for t in triggers {
            let (lit, _, _) = parse_trigger(t);
            // Every completion of the literal into a number by a head and a tail (a sign,
            // digits, a point, an exponent); those short enough to be skipped get scanned.
            for head in ["", "1", "-", "-1", "1.", "1e", "1e-", "1.1e", "12"] {
                for tail in ["", "1", ".1", "e1", "1e1", ".1e1", "12"] {
                    let n = format!("{head}{lit}{tail}");
                    if plain_number(&n) {
                        numbers.push(n);
                    }
                }
            }
        }
    }
    // The decimal metadata address (signature 7000's trigger) is too long to be skipped.
    for decimal_ip in ["2852039166", "2130706433", "12852039166"] {
        assert!(!plain_number(decimal_ip), "{decimal_ip}");
    }
    let e = Engine::new().expect("compile");
    let mut set = e.candidates();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in 1..=PLAIN_NUMBER_MAX {
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits: String = (0..len)
                .map(|i| char::from(b'0' + ((x >> (i * 6 % 60)) % 10) as u8))
                .collect();
            let short = &digits[..len.min(3)];
            numbers.push(digits.clone());
            numbers.push(format!("-{short}.{}", x % 1000));
            numbers.push(format!("{short}e-{}", x % 400));
        }
    }
    numbers.retain(|n| n.len() <= PLAIN_NUMBER_MAX);
    let all = |_: u32, _: u8| true;
    for n in &numbers {
        assert!(plain_number(n), "{n}");
        for loc in [
            Location::QueryArg,
            Location::BodyArg,
            Location::Cookie,
            Location::Path,
            Location::Query,
            Location::Body,
        ] {
            let mut hit = None;
            crate::normalize::variants(
                n,
                crate::normalize::Depths {
                    url: 3,
                    unicode: 3,
                    base64: 3,
                },
                &mut |v| {
                    hit = e.scan(v, loc, "", &mut set, &all);
                    hit.is_some()
                },
            );
            assert!(hit.is_none(), "{n} at {loc:?}: {hit:?}");
        }
    }
}

/// The `needs` and `gate` of each check only skip values it would not fire on: with every byte
/// of its needed classes taken out, no check fires on attack-shaped values (the regex rules'
/// triggers and patterns, and random mixes of their bytes), at any location; and a check behind
/// the SQLi gate never fires on a value the gate refuses.
#[test]
fn checks_fire_only_on_values_with_their_needs() {
    let mut seeds: Vec<String> = Vec::new();
    for (_, triggers, pattern) in regex_rules() {
        seeds.push(pattern.to_string());
        seeds.push(triggers.join(" "));
        seeds.extend(triggers.iter().map(|t| format!("1{}x", parse_trigger(t).0)));
    }
    seeds.extend(
        [
            "1; cat /etc/passwd",
            "a|id",
            "x && wget http://e/x",
            "`id`",
            "$(id)",
            "<img src=x onerror=alert(1)>",
            "\"><svg/onload=alert(1)>",
            "javascript:alert(1)",
            "1' or '1'='1",
            "1 union select 1,2--",
            "admin'--",
            "1 and 1=1",
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "..0x2f..0x2fetc",
            "0x5c0x2e.\0/",
            "\u{ff0e}\u{ff0e}\u{ff0f}etc",
            "c:/windows/win.ini",
            "WEB-INF/web.xml",
            "/bin/ls -al",
            "nohup ifconfig",
            "timeout 5 cat /etc/hosts",
            "cat$IFS/etc/passwd",
            "'i'fconfig",
            "id;",
            "whoami|",
            "{,echo,#test}",
            "{cat,/etc/passwd}",
            "() { :; }",
            "bin/visudo",
            "....etcpasswd",
            "c:windowswin.ini",
        ]
        .map(String::from),
    );
    let bytes: Vec<u8> = seeds.iter().flat_map(|s| s.bytes()).collect();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let len = 2 + (x % 40) as usize;
        let v: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes[(x % bytes.len() as u64) as usize]
            })
            .collect();
        seeds.push(String::from_utf8_lossy(&v).into_owned());
    }
    let locations = [
        Location::QueryArg,
        Location::BodyArg,
        Location::Cookie,
        Location::Header,
        Location::Path,
        Location::Body,
    ];
    let mut tried = 0;
    for r in rules::all() {
        let Detect::Check { test, needs, gate } = r.detect else {
            continue;
        };
        for seed in &seeds {
            for &loc in &locations {
                if gate == Gate::Sqli && !sqli_gate(seed, loc) {
                    assert!(!test(seed, loc), "{}: gate refuses {seed:?}", r.id);
                }
            }
            if needs == 0 {
                continue;
            }
            let v: String = seed
                .chars()
                .filter(|c| class::shape(c.encode_utf8(&mut [0; 4]).as_bytes()) & needs == 0)
                .collect();
            for &loc in &locations {
                tried += 1;
                assert!(!test(&v, loc), "{} fires on {v:?} without its needs", r.id);
            }
        }
    }
    assert!(tried > 10_000, "{tried}");
}

/// Rule 1201 takes an editor's backup of a file (`index.php~`), not a `~` that is a whole
/// segment: a home directory (`/~`, `/docs/~`) is a path a site may serve.
#[test]
fn backup_tilde_needs_a_file_name() {
    let e = Engine::new().expect("compile");
    let mut set = e.candidates();
    let all = |_: u32, _: u8| true;
    let mut id = |v: &str| e.scan(v, Location::Path, "", &mut set, &all).map(|h| h.id);
    for a in ["/index.php~", "/wp-config.php~", "/app/.env~", "/Makefile~"] {
        assert_eq!(id(a), Some(1201), "{a}");
    }
    for b in [
        "/~",
        "/docs/~",
        "/~/",
        "/~alice/",
        "/~alice/index.html",
        "/a~b",
    ] {
        assert_eq!(id(b), None, "{b}");
    }
}
