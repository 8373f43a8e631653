//! The slider captcha end to end: a client over a CC `captcha` rule gets waf-proxy's captcha
//! page; the test solves it the way a person does (finds the gap in the picture by the piece,
//! drags with a hand-like trail) and posts the answer the page's script posts; the clearance
//! cookie then lets it through to the origin. A replayed answer, a machine's straight constant
//! speed drag and an unknown id are refused. The public API pair `/captcha/challenge` and
//! `/captcha/verify` works the same way.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::Duration;

use base64::Engine;
use procs::{spawn_origin, stack};
use serde_json::{json, Value};

/// RGBA pixels and width of a `data:image/png;base64,` URI.
fn decode(uri: &str) -> (Vec<u8>, usize) {
    let b64 = uri
        .strip_prefix("data:image/png;base64,")
        .expect("png data uri");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    let mut r = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("png");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("frame");
    buf.truncate(info.buffer_size());
    (buf, info.width as usize)
}

/// The x of the gap: where the background under the piece is closest to the piece's picture
/// darkened (which is how the gap is drawn).
fn find_gap(background: &str, piece: &str, piece_y: usize) -> f64 {
    let (bg, w) = decode(background);
    let (pc, p) = decode(piece);
    let h = bg.len() / 4 / w;
    let mut best = (f64::MAX, 0);
    for x in 0..=w - p {
        let mut err = 0.0;
        for py in 0..p {
            for px in 0..p {
                let pi = (py * p + px) * 4;
                // Transparent, or the piece's light outline: only its picture is compared.
                if pc[pi + 3] == 0 || pc[pi..pi + 3] == [250, 250, 250] || py + piece_y >= h {
                    continue;
                }
                let bi = ((py + piece_y) * w + x + px) * 4;
                for c in 0..3 {
                    err += (f64::from(bg[bi + c]) - f64::from(pc[pi + c]) * 0.4).abs();
                }
            }
        }
        if err < best.0 {
            best = (err, x);
        }
    }
    best.1 as f64
}

/// A hand-like drag to `to`: eases in and out, uneven in time and height.
fn hand(to: f64) -> (Value, u64) {
    let mut t = 0.0;
    let mut pts = Vec::new();
    for i in 0..=30 {
        let f = f64::from(i) / 30.0;
        let ease = 0.5 - (std::f64::consts::PI * f).cos() / 2.0;
        pts.push(json!({"x": to * ease, "y": f64::from(i % 3) - 1.0, "t": t}));
        t += 12.0 + f64::from((i * 7) % 11);
    }
    (Value::Array(pts), t as u64 + 10)
}

/// A machine's drag: a straight line at one speed.
fn robot(to: f64) -> (Value, u64) {
    let pts = (0..=30)
        .map(|i| json!({"x": to * f64::from(i) / 30.0, "y": 0.0, "t": f64::from(i) * 16.0}))
        .collect();
    (Value::Array(pts), 490)
}

fn attr<'a>(html: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    let start = html.find(&key).expect(name) + key.len();
    let len = html[start..].find('"').expect("closing quote");
    &html[start..start + len]
}

fn answer(id: &str, gap: f64, track: f64, drag: (Value, u64)) -> Value {
    json!({"challenge_id": id, "user_ratio": gap / track, "trail": drag.0, "duration_ms": drag.1})
}

#[actix_web::test]
async fn a_solved_captcha_lets_a_rate_limited_client_through() {
    let Some(st) = stack("captcha", spawn_origin()).await else {
        return;
    };
    let (e, api, port) = (&st.env, &st.api, st.port);
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/app/data");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let key = e.key(&["cc:write"]);
    let r: Value = client
        .post(format!("{api}/cc/rules"))
        .bearer_auth(&key)
        .json(
            &json!({"host": "*", "path": "/app", "threshold": 1, "window": 60,
            "ban_duration": 600, "action": "captcha", "enabled": true}),
        )
        .send()
        .await
        .expect("cc rule")
        .json()
        .await
        .expect("json");
    assert_eq!(r["reload"]["applied"], true, "{r}");

    // Over the threshold: the captcha page.
    let mut page = None;
    for _ in 0..5 {
        let r = client.get(&url).send().await.expect("get");
        let status = r.status().as_u16();
        let body = r.text().await.expect("text");
        if status == 403 && body.contains("id=\"waf-captcha\"") {
            page = Some(body);
            break;
        }
    }
    let page = page.expect("the CC captcha rule never served the captcha");
    let captcha = |html: &str| {
        let id = attr(html, "data-id").to_string();
        let piece_at = html.find("id=\"waf-piece\"").expect("piece img");
        let bg = attr(html, "src").to_string();
        let piece = attr(&html[piece_at..], "src").to_string();
        let w: f64 = attr(html, "data-width").parse().expect("width");
        let p: f64 = attr(html, "data-piece").parse().expect("piece size");
        let style_at = html.find("#waf-piece{").expect("piece style");
        let y: usize = html[style_at..]
            .split("top:")
            .nth(1)
            .and_then(|s| s.split("px").next())
            .and_then(|s| s.parse().ok())
            .expect("piece top");
        (id, find_gap(&bg, &piece, y), w - p)
    };
    let post = |body: Value| {
        client
            .post(format!("{base}/.well-known/waf-captcha"))
            .json(&body)
            .send()
    };

    // A machine's drag to the right spot is refused, and uses the captcha up.
    let (id, gap, track) = captcha(&page);
    let r = post(answer(&id, gap, track, robot(gap)))
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 403);
    let r = post(answer(&id, gap, track, hand(gap)))
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 403, "one attempt per captcha");

    // A fresh captcha, solved by hand.
    let page = client
        .get(&url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let (id, gap, track) = captcha(&page);
    let good = answer(&id, gap + 1.0, track, hand(gap + 1.0));
    let r = post(good.clone()).await.expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("clearance cookie")
        .to_string();
    assert!(cookie.starts_with("waf_clearance="), "{cookie}");
    let r = client
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("cleared");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.expect("text"), "origin");
    let r = client.get(&url).send().await.expect("uncleared");
    assert_eq!(
        r.status().as_u16(),
        403,
        "without the cookie the captcha stays"
    );
    let r = post(good).await.expect("replay");
    assert_eq!(r.status().as_u16(), 403, "a replayed answer is refused");
    let r = post(json!({"challenge_id": "00", "user_ratio": 0.5, "trail": [], "duration_ms": 500}))
        .await
        .expect("unknown");
    assert_eq!(r.status().as_u16(), 403);
    let r = post(json!({"challenge_id": "00", "extra": 1}))
        .await
        .expect("malformed");
    assert_eq!(r.status().as_u16(), 400);

    // The public API pair: no key.
    let c: Value = client
        .get(format!("{api}/captcha/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let id = c["challenge_id"].as_str().expect("id");
    let y = c["piece_y"].as_u64().expect("piece_y") as usize;
    let track = (c["width"].as_u64().expect("w") - c["piece_size"].as_u64().expect("p")) as f64;
    let gap = find_gap(
        c["background"].as_str().expect("bg"),
        c["piece"].as_str().expect("piece"),
        y,
    );
    let verify = |body: Value| {
        client
            .post(format!("{api}/captcha/verify"))
            .json(&body)
            .send()
    };
    let r = verify(answer(id, gap + 30.0, track, hand(gap + 30.0)))
        .await
        .expect("verify");
    assert_eq!(r.status().as_u16(), 400, "off the gap");
    let c: Value = client
        .get(format!("{api}/captcha/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let id = c["challenge_id"].as_str().expect("id");
    let y = c["piece_y"].as_u64().expect("piece_y") as usize;
    let gap = find_gap(
        c["background"].as_str().expect("bg"),
        c["piece"].as_str().expect("piece"),
        y,
    );
    let v: Value = verify(answer(id, gap, track, hand(gap)))
        .await
        .expect("verify")
        .json()
        .await
        .expect("json");
    assert_eq!(v["valid"], true, "{v}");
    let cookie = v["cookie"].as_str().expect("cookie");
    let r = client
        .get(&url)
        .header("Cookie", cookie)
        .send()
        .await
        .expect("cleared by the API's captcha");
    assert_eq!(r.status().as_u16(), 200);
    let r = verify(answer(id, gap, track, hand(gap)))
        .await
        .expect("again");
    assert_eq!(r.status().as_u16(), 400, "single use through the API too");

    // Unanswered captchas are bounded per client: past the bound, 429 until some expire.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = client
            .get(format!("{api}/captcha/challenge"))
            .send()
            .await
            .expect("challenge");
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}
