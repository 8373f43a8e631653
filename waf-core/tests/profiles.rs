//! App profiles (`profiles:` on a site): the editor's code passes where the application takes
//! code by design, and nothing else moves: the same attack in another parameter of the same
//! path, on a path outside the profile, without the application's login cookie, of a class the
//! profile does not lift, or on a site without the profile, is still blocked.

use waf_core::{Action, Policy, Request, Scratch, SourceFile};

const SITES: &str = "
sites:
  - id: 1
    name: apps
    domain: apps.example.com
    target_url: http://127.0.0.1:9
    profiles:
      - {name: wordpress, path: /wordpress}
      - {name: mediawiki, path: /mediawiki}
      - {name: phpmyadmin, path: /phpmyadmin}
  - id: 2
    name: blog at the root
    domain: blog.example.com
    target_url: http://127.0.0.1:9
    profiles: [wordpress]
  - id: 3
    name: no profile
    domain: plain.example.com
    target_url: http://127.0.0.1:9
";

fn policy() -> Policy {
    let mut sources: Vec<SourceFile> = waf_core::DEFAULT_RULES
        .iter()
        .filter(|(n, _)| *n != "sites.yaml")
        .map(|(n, t)| SourceFile::new(*n, *t))
        .collect();
    sources.push(SourceFile::new("sites.yaml", SITES));
    match Policy::from_sources(&sources) {
        Ok(p) => p,
        Err(e) => panic!("policy does not compile: {e:?}"),
    }
}

const WP_LOGGED_IN: &str =
    "wordpress_test_cookie=WP%20Cookie%20check; wordpress_logged_in_7e76b316=admin%7C1764";
const PMA_LOGGED_IN: &str = "phpMyAdmin=8a1f; pmaUser-1=x; pmaAuth-1=y";

/// A post body with the code an author quotes: SQL, HTML with a script, shell.
const POST: &str = "<!-- wp:paragraph --><p>The query below lists customers:</p><!-- /wp:paragraph --><!-- wp:code --><pre class=\"wp-block-code\"><code>SELECT name FROM customers WHERE id = 1; DROP TABLE tmp_orders; SELECT * FROM users UNION SELECT user, password FROM mysql.user;</code></pre><!-- /wp:code --><!-- wp:html --><script>document.cookie = 'x=1'; alert(document.cookie)</script><!-- /wp:html --><p>and */5 * * * * cat /etc/passwd | mail root</p>";
/// An attack payload for a parameter that takes no code.
const SQLI: &str = "1 UNION SELECT user, password FROM mysql.user--";
const XSS: &str = "<script>alert(document.cookie)</script>";

/// Whether the request is blocked.
fn blocked(
    p: &Policy,
    host: &str,
    method: &str,
    uri: &str,
    cookie: &str,
    ctype: &str,
    body: &str,
) -> bool {
    let mut headers: Vec<(&str, &[u8])> = vec![("host", host.as_bytes())];
    if !cookie.is_empty() {
        headers.push(("cookie", cookie.as_bytes()));
    }
    if !ctype.is_empty() {
        headers.push(("content-type", ctype.as_bytes()));
    }
    let req = Request {
        method,
        host,
        uri,
        headers: &headers,
        body: body.as_bytes(),
        body_truncated: false,
        client_ip: None,
        country: None,
    };
    let v = p.inspect(&req, &mut Scratch::new());
    matches!(v.action, Action::Block | Action::Challenge)
}

fn json_field(name: &str, value: &str) -> String {
    serde_json::json!({ "id": 10, name: value }).to_string()
}

fn form_field(name: &str, value: &str) -> String {
    let enc: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{name}={enc}&wpSave=Save")
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

#[test]
fn wordpress_post_content_passes_for_a_logged_in_author_only() {
    let p = policy();
    let host = "apps.example.com";
    let save = "/wordpress/wp-json/wp/v2/posts/10?_locale=user";
    let body = json_field("content", POST);
    assert!(
        blocked(
            &p,
            "plain.example.com",
            "POST",
            save,
            WP_LOGGED_IN,
            JSON,
            &body
        ),
        "the post body is code: without the profile it is blocked"
    );
    assert!(!blocked(&p, host, "POST", save, WP_LOGGED_IN, JSON, &body));
    assert!(!blocked(
        &p,
        "blog.example.com",
        "POST",
        "/wp-json/wp/v2/posts/10",
        WP_LOGGED_IN,
        JSON,
        &body
    ));
    // Without the login cookie (an anonymous request): blocked.
    assert!(blocked(
        &p,
        host,
        "POST",
        save,
        "wordpress_test_cookie=WP",
        JSON,
        &body
    ));
    // Another parameter of the same path.
    for attack in [SQLI, XSS] {
        let title = json_field("title", attack);
        assert!(
            blocked(&p, host, "POST", save, WP_LOGGED_IN, JSON, &title),
            "{attack}"
        );
    }
    // The same body on paths outside the profile: comments, search, another install path.
    for uri in [
        "/wordpress/wp-json/wp/v2/comments",
        "/wordpress/wp-comments-post.php",
        "/blog/wp-json/wp/v2/posts/10",
    ] {
        assert!(
            blocked(&p, host, "POST", uri, WP_LOGGED_IN, JSON, &body),
            "{uri}"
        );
    }
    assert!(blocked(
        &p,
        host,
        "GET",
        "/wordpress/?s=1%20UNION%20SELECT%20user,password%20FROM%20mysql.user--",
        WP_LOGGED_IN,
        "",
        ""
    ));
    // A class the profile does not lift, in the lifted parameter: a cloud metadata URL (SSRF).
    let ssrf = json_field(
        "content",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    );
    assert!(blocked(&p, host, "POST", save, WP_LOGGED_IN, JSON, &ssrf));
}

#[test]
fn mediawiki_page_source_passes_in_the_edit_form_and_the_api_only() {
    let p = policy();
    let host = "apps.example.com";
    let source = "{{Infobox software|name=SQL cheat sheet|language=SQL}}\n== Query ==\n<syntaxhighlight lang=\"sql\">SELECT * FROM users UNION SELECT user, password FROM mysql.user; DROP TABLE t;</syntaxhighlight>\n<includeonly><script>alert(document.cookie)</script></includeonly>";
    let edit = "/mediawiki/index.php?title=SQL&action=submit";
    let form = form_field("wpTextbox1", source);
    assert!(blocked(
        &p,
        "plain.example.com",
        "POST",
        edit,
        "",
        FORM,
        &form
    ));
    assert!(!blocked(&p, host, "POST", edit, "", FORM, &form));
    let api = form_field("text", source).replace("&wpSave=Save", "&action=parse&format=json");
    assert!(!blocked(
        &p,
        host,
        "POST",
        "/mediawiki/api.php",
        "",
        FORM,
        &api
    ));
    // The summary of the same edit, and the source on another script.
    for attack in [SQLI, XSS] {
        let summary = format!("{form}&{}", form_field("wpSummary", attack));
        assert!(
            blocked(&p, host, "POST", edit, "", FORM, &summary),
            "{attack}"
        );
    }
    assert!(blocked(
        &p,
        host,
        "POST",
        "/mediawiki/load.php",
        "",
        FORM,
        &form
    ));
    assert!(blocked(&p, host, "POST", "/index.php", "", FORM, &form));
}

#[test]
fn phpmyadmin_sql_box_takes_sql_but_not_scripts() {
    let p = policy();
    let host = "apps.example.com";
    let import = "/phpmyadmin/index.php?route=/import";
    let sql = form_field(
        "sql_query",
        "SELECT user, password FROM mysql.user UNION SELECT 1, 2; DROP TABLE t",
    );
    assert!(blocked(
        &p,
        "plain.example.com",
        "POST",
        import,
        PMA_LOGGED_IN,
        FORM,
        &sql
    ));
    assert!(!blocked(
        &p,
        host,
        "POST",
        import,
        PMA_LOGGED_IN,
        FORM,
        &sql
    ));
    // Not logged in, another parameter, another class in the SQL box.
    assert!(blocked(
        &p,
        host,
        "POST",
        import,
        "phpMyAdmin=8a1f",
        FORM,
        &sql
    ));
    let db = format!("{sql}&{}", form_field("db", SQLI));
    assert!(blocked(&p, host, "POST", import, PMA_LOGGED_IN, FORM, &db));
    let xss = form_field("sql_query", XSS);
    assert!(blocked(&p, host, "POST", import, PMA_LOGGED_IN, FORM, &xss));
}

#[test]
fn unknown_profiles_are_validation_errors() {
    for bad in [
        "sites:\n  - {id: 1, name: a, domain: a.example.com, target_url: 'http://127.0.0.1:9', profiles: [drupal]}\n",
        "sites:\n  - {id: 1, name: a, domain: a.example.com, target_url: 'http://127.0.0.1:9', profiles: [{name: wordpress, path: blog}]}\n",
        "sites:\n  - {id: 1, name: a, domain: a.example.com, target_url: 'http://127.0.0.1:9', profiles: [{name: wordpress, base: /blog}]}\n",
    ] {
        let errs = match Policy::from_sources(&[SourceFile::new("sites.yaml", bad)]) {
            Ok(_) => panic!("accepted: {bad}"),
            Err(e) => e,
        };
        let text = format!("{errs:?}");
        assert!(text.contains("profile"), "{text}");
    }
}
