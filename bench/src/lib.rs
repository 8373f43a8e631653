//! Request fixtures and rule-set generators shared by the criterion benchmarks.

use waf_core::{Policy, SourceFile};

/// Headers of a typical browser GET (10 headers).
pub const TYPICAL_HEADERS: &[(&str, &[u8])] = &[
    ("Host", b"shop.example.com"),
    ("User-Agent", b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"),
    ("Accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
    ("Accept-Language", b"en-US,en;q=0.9,de;q=0.8"),
    ("Accept-Encoding", b"gzip, deflate, br"),
    ("Referer", b"https://shop.example.com/category/shoes?page=2"),
    ("Cookie", b"session=3f9a1c2e8b7d4f60a1b2c3d4e5f60718; cart=12%2C44%2C91; theme=dark; _ga=GA1.2.1234567890.1700000000"),
    ("Connection", b"keep-alive"),
    ("Upgrade-Insecure-Requests", b"1"),
    ("Sec-Fetch-Mode", b"navigate"),
];

/// A typical GET target with 5 query arguments.
pub const TYPICAL_URI: &str =
    "/products/search?q=running+shoes&size=42&color=blue&sort=price_asc&page=3";

/// An attack GET target.
pub const ATTACK_URI: &str =
    "/products/search?q=1%27%20UNION%20SELECT%20username%2C%20password%20FROM%20users--%20&size=42";

/// A JSON body of about `size` bytes: an array of realistic nested objects.
pub fn json_body(size: usize) -> String {
    let mut s = String::from("{\"items\":[");
    let mut i = 0;
    while s.len() < size.saturating_sub(200) {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"id\":{i},\"name\":\"Item number {i}\",\"author\":{{\"name\":\"Seán O'Brien\",\"email\":\"sean.obrien{i}@example.org\"}},\"tags\":[\"blue\",\"sale\",\"2024\"],\"comment\":\"Works well; select the right size and you're done. 5/5 would buy again.\",\"price\":{}.99}}",
            i % 97
        ));
        i += 1;
    }
    s.push_str("]}");
    s
}

/// The urlencoded form of `bench/load/post4k.lua`, `size` bytes: `field1=...&field2=...` with
/// three words per value.
pub fn form_body(size: usize) -> String {
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    ];
    let mut body = String::new();
    let mut i = 0;
    while body.len() < size {
        i += 1;
        if i > 1 {
            body.push('&');
        }
        body.push_str(&format!(
            "field{i}={}+{}+text",
            words[i % 10],
            words[(i * 3) % 10]
        ));
    }
    body.truncate(size);
    body
}

/// A multipart body of about `size` bytes: three text fields and one binary file.
pub fn multipart_body(size: usize, boundary: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(size + 512);
    for (name, value) in [
        ("title", "Holiday photos"),
        ("album", "Summer 2024"),
        ("description", "Pictures from the trip to Lisbon & Porto"),
    ] {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_2041.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
    let mut x: u32 = 0x1234_5678;
    while b.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b.push((x & 0xff) as u8);
    }
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b
}

/// YAML for `n` custom rules, each with a literal URI judge and a parameter-value regex judge.
pub fn custom_rules_yaml(n: usize) -> String {
    let mut text = String::from("custom_rules:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - {{ id: r{i}, name: rule {i}, action: block, relation: or, judges: [{{ position: uri, content: /blocked-{i}/ }}, {{ position: parameter_value, rix: 'tok{i}-[0-9]+x' }}] }}\n"
        ));
    }
    text
}

/// The default policy with `n` custom rules added.
pub fn policy_with_custom_rules(n: usize) -> Result<Policy, waf_core::RuleErrors> {
    Policy::from_sources(&sources_with_custom_rules(n))
}

/// The default rule sources with `n` custom rules.
pub fn sources_with_custom_rules(n: usize) -> Vec<SourceFile> {
    let mut s = waf_core::default_sources();
    s.retain(|f| f.name != "custom.yaml");
    s.push(SourceFile::new("custom.yaml", custom_rules_yaml(n)));
    s
}
