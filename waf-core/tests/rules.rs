//! Rule profiles: rule set + request -> expected verdict, and loader errors naming file, line,
//! rule id and field.

use std::net::IpAddr;

use waf_core::{Action, Policy, Request, RuleErrors, Scratch, SourceFile};

fn policy(files: &[(&str, &str)]) -> Result<Policy, RuleErrors> {
    let mut sources = waf_core::default_sources();
    for (name, text) in files {
        sources.retain(|s| s.name != *name);
        sources.push(SourceFile::new(*name, *text));
    }
    Policy::from_sources(&sources)
}

fn compiled(files: &[(&str, &str)]) -> Policy {
    match policy(files) {
        Ok(p) => p,
        Err(e) => panic!("rules should compile: {e}"),
    }
}

fn one_error(files: &[(&str, &str)]) -> waf_core::RuleError {
    match policy(files) {
        Ok(_) => panic!("rules should be rejected"),
        Err(e) => {
            assert_eq!(e.0.len(), 1, "{e}");
            e.0[0].clone()
        }
    }
}

#[test]
fn shipped_rules_compile() {
    let p = compiled(&[]);
    assert!(p.counts().managed > 20);
    assert_eq!(p.counts().acl + p.counts().cc + p.counts().custom, 0);
}

#[test]
fn bad_regex_names_rule_judge_and_line() {
    let text = "custom_rules:\n  - id: r1\n    name: ok\n    action: block\n    judges:\n      - position: uri\n        content: /x\n  - id: bad-one\n    name: broken\n    action: block\n    judges:\n      - position: uri\n        content: /a\n      - position: uri\n        rix: 'ab(c'\n";
    let e = one_error(&[("custom.yaml", text)]);
    assert_eq!(e.file, "custom.yaml");
    assert_eq!(e.rule_id.as_deref(), Some("bad-one"));
    assert_eq!(e.field.as_deref(), Some("judges[1].rix"));
    assert_eq!(e.line, Some(15));
    assert!(e.reason.contains("regex"), "{}", e.reason);
}

#[test]
fn bad_cidr_names_rule_and_line() {
    let text = "acl:\n  - id: 7\n    type: global\n    rule_type: ip\n    pattern: 10.0.0.0/33\n    action: block\n";
    let e = one_error(&[("acl.yaml", text)]);
    assert_eq!(
        (e.rule_id.as_deref(), e.field.as_deref(), e.line),
        (Some("7"), Some("pattern"), Some(5))
    );
}

#[test]
fn unknown_field_names_line_and_rule() {
    let text = "acl:\n  - id: 3\n    type: global\n    rule_type: ua\n    patern: sqlmap\n    action: block\n";
    let e = one_error(&[("acl.yaml", text)]);
    assert_eq!(e.line, Some(5), "{e}");
    assert_eq!(e.rule_id.as_deref(), Some("3"));
    assert!(e.reason.contains("patern"), "{e}");
}

#[test]
fn duplicate_ids_and_unknown_position_rejected() {
    let dup = "acl:\n  - {id: 1, type: global, rule_type: ip, pattern: 1.2.3.4, action: block}\n  - {id: 1, type: global, rule_type: ip, pattern: 1.2.3.5, action: block}\n";
    assert!(one_error(&[("acl.yaml", dup)]).reason.contains("duplicate"));
    let pos = "custom_rules:\n  - id: p\n    name: n\n    action: block\n    judges:\n      - position: cookie_jar\n        content: x\n";
    let e = one_error(&[("custom.yaml", pos)]);
    assert!(e.reason.contains("cookie_jar"), "{e}");
    assert_eq!(e.line, Some(6));
}

/// Every managed rule that blocks `uri`, found by disabling them one after the other, and the
/// policy with all of them disabled.
fn disable_what_fires(uri: &str) -> (Vec<String>, Policy) {
    let mut ids = Vec::new();
    let mut cur = compiled(&[]);
    for _ in 0..20 {
        let v = cur.inspect(&Request::get(uri), &mut Scratch::new());
        match v.matched {
            Some(m) if v.action == Action::Block => ids.push(m.rule_id),
            _ => break,
        }
        let text = format!("managed:\n  disabled_rules: [{}]\n", ids.join(", "));
        cur = compiled(&[("managed.yaml", &text)]);
    }
    (ids, cur)
}

fn inspect(p: &Policy, req: &Request) -> (Action, Option<String>) {
    let v = p.inspect(req, &mut Scratch::new());
    (v.action, v.matched.map(|m| m.rule_id))
}

#[test]
fn acl_allow_beats_block_and_host_scope_applies() {
    let acl = r#"
acl:
  - { id: 1, type: global, rule_type: ip, pattern: 203.0.113.0/24, action: block }
  - { id: 2, type: global, rule_type: ip, pattern: 203.0.113.7, action: allow }
  - { id: 3, type: host, host: shop.example, rule_type: ua, pattern: curl/, action: block }
  - { id: 4, type: global, rule_type: url, pattern: /admin, action: block }
  - { id: 5, type: global, rule_type: header, pattern: "X-Debug: re:^on$", action: block }
  - { id: 6, type: global, rule_type: method, pattern: "TRACE, TRACK", action: block }
  - { id: 7, type: global, rule_type: country, pattern: kp, action: block }
  - { id: 8, type: global, rule_type: referer, pattern: spam.example, action: log }
"#;
    let p = compiled(&[("acl.yaml", acl)]);
    let ip = |s: &str| -> Option<IpAddr> { s.parse().ok() };
    let base = Request::get("/");
    assert_eq!(
        inspect(
            &p,
            &Request {
                client_ip: ip("203.0.113.9"),
                ..base
            }
        ),
        (Action::Block, Some("acl_1".into()))
    );
    assert_eq!(
        inspect(
            &p,
            &Request {
                client_ip: ip("203.0.113.7"),
                ..Request::get("/admin")
            }
        ),
        (Action::Allow, Some("acl_2".into()))
    );
    let ua = [("User-Agent", &b"curl/8.0"[..])];
    assert_eq!(
        inspect(
            &p,
            &Request {
                host: "shop.example",
                headers: &ua,
                ..base
            }
        )
        .0,
        Action::Block
    );
    assert_eq!(
        inspect(
            &p,
            &Request {
                host: "blog.example",
                headers: &ua,
                ..base
            }
        )
        .0,
        Action::Allow
    );
    assert_eq!(
        inspect(&p, &Request::get("/admin/users")).1.as_deref(),
        Some("acl_4")
    );
    assert_eq!(
        inspect(&p, &Request::get("/Admin")).0,
        Action::Allow,
        "url prefixes are case-sensitive"
    );
    assert_eq!(
        inspect(&p, &Request::get("/x/../admin")).1.as_deref(),
        Some("acl_4"),
        "paths are canonicalised"
    );
    let dbg = [("x-debug", &b"on"[..])];
    assert_eq!(
        inspect(
            &p,
            &Request {
                headers: &dbg,
                ..base
            }
        )
        .1
        .as_deref(),
        Some("acl_5")
    );
    assert_eq!(
        inspect(
            &p,
            &Request {
                method: "TRACE",
                ..base
            }
        )
        .1
        .as_deref(),
        Some("acl_6")
    );
    assert_eq!(
        inspect(
            &p,
            &Request {
                country: Some("KP"),
                ..base
            }
        )
        .1
        .as_deref(),
        Some("acl_7")
    );
    let refr = [("Referer", &b"https://spam.example/x"[..])];
    assert_eq!(
        inspect(
            &p,
            &Request {
                headers: &refr,
                ..base
            }
        ),
        (Action::Log, Some("acl_8".into()))
    );
}

#[test]
fn custom_rules_relations_negation_and_order() {
    let custom = r#"
custom_rules:
  - id: env
    name: Block sensitive file probes
    method: any
    action: block
    relation: or
    judges:
      - { position: uri, keyword: /.env }
      - { position: uri, keyword: /.git/config }
  - id: api-key
    name: API needs a key
    method: POST
    action: challenge
    relation: and
    judges:
      - { position: uri, content: /api/ }
      - { position: request_header, header: x-api-key, rix: ".+", negate: true }
  - id: log-beta
    name: Log beta param
    action: log
    judges:
      - { position: parameter_key, content: [beta, preview] }
  - id: body-word
    name: Body word
    action: block
    judges:
      - { position: request_body, rix: "(?i)forbidden-\\d+" }
"#;
    let p = compiled(&[("custom.yaml", custom)]);
    assert_eq!(
        inspect(&p, &Request::get("/app/.ENV")).1.as_deref(),
        Some("custom_env")
    );
    assert_eq!(
        inspect(
            &p,
            &Request {
                method: "POST",
                ..Request::get("/api/x")
            }
        ),
        (Action::Challenge, Some("custom_api-key".into()))
    );
    let key = [("X-Api-Key", &b"k"[..])];
    assert_eq!(
        inspect(
            &p,
            &Request {
                method: "POST",
                headers: &key,
                ..Request::get("/api/x")
            }
        )
        .0,
        Action::Allow
    );
    assert_eq!(
        inspect(&p, &Request::get("/api/x")).0,
        Action::Allow,
        "method filter"
    );
    assert_eq!(
        inspect(&p, &Request::get("/p?Preview=1")),
        (Action::Log, Some("custom_log-beta".into()))
    );
    let ct = [("Content-Type", &b"text/plain"[..])];
    assert_eq!(
        inspect(
            &p,
            &Request {
                method: "POST",
                headers: &ct,
                body: b"this is Forbidden-42",
                ..Request::get("/")
            }
        )
        .1
        .as_deref(),
        Some("custom_body-word")
    );
}

#[test]
fn log_only_mode_and_disabled_rules_and_exclusions() {
    let attack = "/search?q=1'%20or%20'1'='1";
    let p = compiled(&[("settings.yaml", "settings:\n  mode: log_only\n")]);
    let v = p.inspect(&Request::get(attack), &mut Scratch::new());
    assert_eq!(v.action, Action::Log);
    let blocked = compiled(&[]).inspect(&Request::get(attack), &mut Scratch::new());
    assert_eq!(blocked.action, Action::Block);
    let m = blocked.matched.expect("match");
    assert_eq!(m.parameter.as_deref(), Some("q"));
    // Excluding the parameter on that path lets it through; elsewhere it still blocks.
    let excl = "managed:\n  exclusions:\n    - { path: /search, parameter: q }\n";
    let p = compiled(&[("managed.yaml", excl)]);
    assert_eq!(
        p.inspect(&Request::get(attack), &mut Scratch::new()).action,
        Action::Allow
    );
    assert_eq!(
        p.inspect(
            &Request::get("/other?q=1'%20or%20'1'='1"),
            &mut Scratch::new()
        )
        .action,
        Action::Block
    );
    // Disabling every rule that fired lets it through too.
    let (_, cur) = disable_what_fires(attack);
    assert_eq!(
        cur.inspect(&Request::get(attack), &mut Scratch::new())
            .action,
        Action::Allow
    );
}

#[test]
fn sites_route_by_host_with_wildcards() {
    let sites = r#"
sites:
  - { id: 1, name: Main, domain: "example.com, www.example.com", target_url: "http://127.0.0.1:9000" }
  - { id: 2, name: Apps, domain: "*.apps.example.com", target_url: "http://127.0.0.1:9001", mode: log_only }
"#;
    let p = compiled(&[("sites.yaml", sites)]);
    assert_eq!(
        p.site_for_host("WWW.example.com:443").map(|s| s.id),
        Some(1)
    );
    assert_eq!(p.site_for_host("a.apps.example.com").map(|s| s.id), Some(2));
    assert_eq!(p.site_for_host("apps.example.com").map(|s| s.id), None);
    let v = p.inspect(
        &Request {
            host: "x.apps.example.com",
            ..Request::get("/?q=<script>alert(1)</script>")
        },
        &mut Scratch::new(),
    );
    assert_eq!(v.action, Action::Log, "per-site log_only");
}

#[test]
fn ten_thousand_custom_rules_compile() {
    let mut text = String::from("custom_rules:\n");
    for i in 0..10_000 {
        text.push_str(&format!("  - {{ id: r{i}, name: rule {i}, action: block, judges: [{{ position: uri, content: /blocked-{i}/ }}, {{ position: parameter_value, rix: 'tok{i}-[0-9]+x' }}], relation: or }}\n"));
    }
    let p = compiled(&[("custom.yaml", &text)]);
    assert_eq!(p.counts().custom, 10_000);
    assert_eq!(
        inspect(&p, &Request::get("/blocked-9999/x")).1.as_deref(),
        Some("custom_r9999")
    );
    assert_eq!(
        inspect(&p, &Request::get("/q?a=tok42-123x")).1.as_deref(),
        Some("custom_r42")
    );
    assert_eq!(inspect(&p, &Request::get("/blocked-x/")).0, Action::Allow);
}

#[test]
fn every_error_of_a_file_is_reported() {
    let text = "acl:\n  - id: 1\n    type: global\n    rule_type: ip\n    pattern: 10.0.0.0/33\n    action: block\n  - id: 2\n    type: global\n    rule_type: ua\n    patern: sqlmap\n    action: block\n";
    let e = match policy(&[("acl.yaml", text)]) {
        Ok(_) => panic!("rules should be rejected"),
        Err(e) => e,
    };
    let mut got: Vec<(Option<String>, Option<usize>)> =
        e.0.iter().map(|e| (e.rule_id.clone(), e.line)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![(Some("1".into()), Some(5)), (Some("2".into()), Some(10))],
        "{e}"
    );
}

/// The worker's cache of clean values (one `Scratch` across requests) never carries a pass from
/// one site, path, header or policy to another: every request below shares one scratch, and each
/// gets the verdict a fresh scratch gives.
#[test]
fn value_cache_never_carries_a_pass_across_sites_paths_or_policies() {
    let attack = "/search?q=1'%20or%20'1'='1";
    let with_host = |uri: &'static str, host: &'static str| Request {
        host,
        ..Request::get(uri)
    };
    let (ids, cur) = disable_what_fires(attack);
    let mut shared = Scratch::new();
    // Per site: site 1 disables those rules, site 2 does not.
    let sites = format!(
        "sites:\n  - {{ id: 1, name: A, domain: a.example, target_url: \"http://127.0.0.1:9000\", disabled_rules: [{ids}] }}\n  - {{ id: 2, name: B, domain: b.example, target_url: \"http://127.0.0.1:9000\" }}\n",
        ids = ids.join(", ")
    );
    let p = compiled(&[("sites.yaml", &sites)]);
    for _ in 0..2 {
        let a = p
            .inspect(&with_host(attack, "a.example"), &mut shared)
            .action;
        assert_eq!(a, Action::Allow);
        let b = p
            .inspect(&with_host(attack, "b.example"), &mut shared)
            .action;
        assert_eq!(b, Action::Block);
    }
    // The same for a form body, whose pairs the cache keeps undecoded (`q=1'%20or...`): passed
    // in site 1, the pair is still judged in site 2, in the body pass as in the whole request.
    const FORM: &[(&str, &[u8])] = &[("Content-Type", b"application/x-www-form-urlencoded")];
    let post = |host: &'static str| Request {
        method: "POST",
        host,
        headers: FORM,
        body: b"name=x&q=1'%20or%20'1'='1",
        ..Request::get("/form")
    };
    for _ in 0..2 {
        assert_eq!(
            p.inspect(&post("a.example"), &mut shared).action,
            Action::Allow
        );
        assert_eq!(
            p.inspect(&post("b.example"), &mut shared).action,
            Action::Block
        );
        assert_eq!(
            p.inspect_body(&post("b.example"), &mut shared).action,
            Action::Block
        );
    }
    // Per path: an exclusion on /search, none on /other.
    let excl = "managed:\n  exclusions:\n    - { path: /search, parameter: q }\n";
    let p = compiled(&[("managed.yaml", excl)]);
    for _ in 0..2 {
        let a = p.inspect(&Request::get(attack), &mut shared).action;
        assert_eq!(a, Action::Allow);
        let other = Request::get("/other?q=1'%20or%20'1'='1");
        assert_eq!(p.inspect(&other, &mut shared).action, Action::Block);
    }
    // Per policy: passed with the rules disabled, blocked after the reload that enables them.
    assert_eq!(
        cur.inspect(&Request::get(attack), &mut shared).action,
        Action::Allow
    );
    let p = compiled(&[]);
    assert_eq!(
        p.inspect(&Request::get(attack), &mut shared).action,
        Action::Block
    );
    // Per header: a value clean in one header is still judged in another. The scanner rule
    // looks at User-Agent only.
    const UA: &[(&str, &[u8])] = &[("User-Agent", b"sqlmap/1.7")];
    const OTHER: &[(&str, &[u8])] = &[("X-Client", b"sqlmap/1.7")];
    let get = |h: &'static [(&'static str, &'static [u8])]| Request {
        headers: h,
        ..Request::get("/")
    };
    for _ in 0..2 {
        assert_eq!(p.inspect(&get(OTHER), &mut shared).action, Action::Allow);
        assert_eq!(p.inspect(&get(UA), &mut shared).action, Action::Block);
    }
}

/// A match in a JSON body names the field by its path, whether or not the engine built paths
/// while it walked (it does only when an exclusion names a parameter), for a key and for a
/// value, cached or not; and an exclusion by path lets exactly that field through.
#[test]
fn json_matches_are_named_by_path_and_excluded_by_path() {
    let ct = [("Content-Type", &b"application/json"[..])];
    let post = |body: &'static str| Request {
        method: "POST",
        headers: &ct,
        body: body.as_bytes(),
        ..Request::get("/api/items")
    };
    let value = r#"{"items":[{"id":1},{"id":2,"user":{"bio":"x","name":"1' or '1'='1"}}]}"#;
    let key = r#"{"a":{"list":["ok",{"<script>alert(1)</script>":1}]}}"#;
    let escaped = r#"{"a\u0062":{"n\u0061me":"1' or '1'='1"}}"#;
    let excl = "managed:\n  exclusions:\n    - { path: /api, parameter: 'items[1].user.bio' }\n";
    for policy in [compiled(&[]), compiled(&[("managed.yaml", excl)])] {
        for mut scratch in [Scratch::new(), Scratch::with_value_cache(0)] {
            for (body, param) in [
                (value, "items[1].user.name"),
                (key, "a.list[1].<script>alert(1)</script>"),
                (escaped, "ab.name"),
            ] {
                // Twice: the second time the clean fields before the match come from the cache.
                for _ in 0..2 {
                    let v = policy.inspect(&post(body), &mut scratch);
                    assert_eq!(v.action, Action::Block, "{body}");
                    let m = v.matched.expect("match");
                    assert_eq!(m.parameter.as_deref(), Some(param), "{body}");
                }
            }
        }
    }
    let attack_in_bio = r#"{"items":[{"id":1},{"id":2,"user":{"bio":"1' or '1'='1"}}]}"#;
    let attack_in_name = r#"{"items":[{"id":1},{"id":2,"user":{"name":"1' or '1'='1"}}]}"#;
    let p = compiled(&[("managed.yaml", excl)]);
    let mut scratch = Scratch::new();
    assert_eq!(
        p.inspect(&post(attack_in_bio), &mut scratch).action,
        Action::Allow
    );
    assert_eq!(
        p.inspect(&post(attack_in_name), &mut scratch).action,
        Action::Block
    );
}

/// A host-scoped ACL rule sees the host as site matching does: without a numeric port only, so
/// a bracketed IPv6 host keeps its colons.
#[test]
fn acl_host_scope_strips_only_a_numeric_port() {
    let acl = r#"
acl:
  - { id: 1, type: host, host: "[::1]", rule_type: url, pattern: /admin, action: block }
  - { id: 2, type: host, host: shop.example, rule_type: url, pattern: /admin, action: block }
"#;
    let p = compiled(&[("acl.yaml", acl)]);
    let at = |host: &'static str| {
        inspect(
            &p,
            &Request {
                host,
                ..Request::get("/admin")
            },
        )
    };
    assert_eq!(at("[::1]"), (Action::Block, Some("acl_1".into())));
    assert_eq!(at("[::1]:8080"), (Action::Block, Some("acl_1".into())));
    assert_eq!(
        at("SHOP.example:8443"),
        (Action::Block, Some("acl_2".into()))
    );
    assert_eq!(at("shop.example"), (Action::Block, Some("acl_2".into())));
    assert_eq!(at("blog.example"), (Action::Allow, None));
}

#[test]
fn regexes_that_do_not_build_are_rejected_with_their_field() {
    // Both pass the syntax check; neither builds (the compiled program is over the size limit).
    // Accepted, they would never match: a rule that silently fails open.
    let text = r#"
acl:
  - { id: 1, type: global, rule_type: ua, pattern: 're:a{99999999}', action: block, enabled: true }
  - { id: 2, type: global, rule_type: header, pattern: 'X-A: re:zz\w{3000}', action: block, enabled: true }
custom_rules:
  - { id: big, name: big, action: block, relation: or, judges: [{ position: uri, content: /x }, { position: uri, rix: 'zz\w{3000}' }] }
"#;
    let e = match policy(&[("bad.yaml", text)]) {
        Ok(_) => panic!("regexes that do not build were accepted"),
        Err(e) => e,
    };
    let mut got: Vec<(Option<String>, Option<String>)> =
        e.0.iter()
            .map(|e| (e.rule_id.clone(), e.field.clone()))
            .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (Some("1".into()), Some("pattern".into())),
            (Some("2".into()), Some("pattern".into())),
            (Some("big".into()), Some("judges[1].rix".into())),
        ],
        "{e}"
    );
    for err in &e.0 {
        assert!(err.reason.contains("does not build"), "{err}");
        assert!(err.line.is_some(), "{err}");
    }
}

#[test]
fn a_multipart_body_without_a_usable_boundary_is_reported_as_malformed() {
    let listed = waf_core::catalog()
        .into_iter()
        .find(|r| r.id == 1003)
        .map(|r| r.level);
    assert_eq!(listed, Some(3));
    let form: &'static [u8] =
        b"--nothere\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--nothere--\r\n";
    let post = |ct: &'static str, body: &'static [u8]| {
        let headers: &'static [(&'static str, &'static [u8])] =
            Box::leak(vec![("content-type", ct.as_bytes())].into_boxed_slice());
        Request {
            method: "POST",
            headers,
            body,
            ..Request::get("/upload")
        }
    };
    let strict = compiled(&[("settings.yaml", "settings:\n  sensitivity: 3\n")]);
    let default = compiled(&[]);
    for ct in [
        "multipart/form-data",                     // no boundary parameter
        "multipart/form-data; boundary=",          // an empty one
        "multipart/form-data; boundary=elsewhere", // one the body never uses
    ] {
        let (action, rule) = inspect(&strict, &post(ct, b"name=value&x=1"));
        assert_eq!(
            (action, rule.as_deref()),
            (Action::Block, Some("1003")),
            "{ct}"
        );
        // Rule 1003 is a level-3 rule (so listed): not active by default.
        assert_eq!(
            inspect(&default, &post(ct, b"name=value&x=1")).0,
            Action::Allow,
            "{ct}"
        );
    }
    // A well-formed multipart body is not.
    assert_eq!(
        inspect(
            &strict,
            &post("multipart/form-data; boundary=nothere", form)
        )
        .0,
        Action::Allow
    );
}
