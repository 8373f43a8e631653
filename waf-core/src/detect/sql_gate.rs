//! The cheap gate before libinjection's SQLi tokeniser: does a value hold SQL structure or an
//! SQL keyword as a word. The SQL keyword list lives here, once.

use crate::request::Location;

/// How much an SQL keyword says about a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    /// Not an SQL keyword.
    No,
    /// An SQL keyword that is also common in prose and headers (`like`, `and`, `in`).
    Weak,
    /// An SQL keyword that signals SQL even in a header.
    Strong,
}

/// Words that can carry an SQL injection without any quote, comment or operator character,
/// sorted; *strong* ones also count in headers, where prose-like words (`like` in every browser
/// User-Agent) are common. The lookup tables of [`sql_word`] are derived from this list at
/// compile time.
const SQL_WORDS: &[(&str, Word)] = {
    use Word::{Strong, Weak};
    &[
        ("alter", Weak),
        ("and", Weak),
        ("benchmark", Strong),
        ("between", Weak),
        ("case", Weak),
        ("cast", Weak),
        ("char", Weak),
        ("concat", Weak),
        ("convert", Weak),
        ("create", Weak),
        ("database", Weak),
        ("dbms_pipe", Weak),
        ("declare", Weak),
        ("delete", Strong),
        ("div", Weak),
        ("drop", Strong),
        ("exec", Strong),
        ("execute", Weak),
        ("false", Weak),
        ("from", Weak),
        ("group", Weak),
        ("having", Weak),
        ("in", Weak),
        ("information_schema", Strong),
        ("insert", Strong),
        ("into", Weak),
        ("is", Weak),
        ("like", Weak),
        ("limit", Weak),
        ("load_file", Strong),
        ("mod", Weak),
        ("not", Weak),
        ("null", Weak),
        ("offset", Weak),
        ("or", Weak),
        ("order", Weak),
        ("outfile", Strong),
        ("pg_sleep", Strong),
        ("procedure", Weak),
        ("regexp", Weak),
        ("rlike", Weak),
        ("select", Strong),
        ("shutdown", Weak),
        ("sleep", Strong),
        ("table", Weak),
        ("true", Weak),
        ("truncate", Weak),
        ("union", Strong),
        ("update", Strong),
        ("user", Weak),
        ("version", Weak),
        ("waitfor", Strong),
        ("when", Weak),
        ("where", Weak),
        ("xor", Weak),
    ]
};

/// Longest keyword of [`SQL_WORDS`], plus one.
const SQL_LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < SQL_WORDS.len() {
        if SQL_WORDS[i].0.len() > n {
            n = SQL_WORDS[i].0.len();
        }
        i += 1;
    }
    n + 1
};

/// Per word length: the first letters (bit 0 = `a`) and the last letters of the keywords of
/// that length, to reject most words before comparing.
static SQL_SHAPES: [[u32; 2]; SQL_LEN] = {
    let mut t = [[0u32; 2]; SQL_LEN];
    let mut i = 0;
    while i < SQL_WORDS.len() {
        let w = SQL_WORDS[i].0.as_bytes();
        t[w.len()][0] |= 1 << (w[0] - b'a');
        t[w.len()][1] |= 1 << (w[w.len() - 1] - b'a');
        i += 1;
    }
    t
};

/// Per first letter: the range of [`SQL_WORDS`] that starts with it (the list is sorted).
static SQL_BY_LETTER: [(u8, u8); 26] = {
    let mut t = [(0u8, 0u8); 26];
    let mut i = 0;
    while i < SQL_WORDS.len() {
        let w = SQL_WORDS[i].0.as_bytes();
        assert!(w[0].is_ascii_lowercase() && w[w.len() - 1].is_ascii_lowercase());
        assert!(
            i == 0 || SQL_WORDS[i - 1].0.as_bytes()[0] <= w[0],
            "SQL_WORDS is sorted"
        );
        let l = (w[0] - b'a') as usize;
        if t[l].1 == 0 {
            t[l].0 = i as u8;
        }
        t[l].1 = i as u8 + 1;
        i += 1;
    }
    t
};

/// How much word `w` says about a value. No allocation: the word is compared, ignoring ASCII
/// case, with the few keywords of its first letter, after a check of its (length, first
/// letter, last letter) that rejects most words.
fn sql_word(w: &[u8]) -> Word {
    if w.len() < 2 || w.len() >= SQL_LEN {
        return Word::No;
    }
    let (first, last) = (w[0] | 0x20, w[w.len() - 1] | 0x20);
    if !(first.is_ascii_lowercase() && last.is_ascii_lowercase())
        || SQL_SHAPES[w.len()][0] & (1 << (first - b'a')) == 0
        || SQL_SHAPES[w.len()][1] & (1 << (last - b'a')) == 0
    {
        return Word::No;
    }
    let (lo, hi) = SQL_BY_LETTER[(first - b'a') as usize];
    SQL_WORDS[lo as usize..hi as usize]
        .iter()
        .find(|(k, _)| k.len() == w.len() && k.as_bytes().eq_ignore_ascii_case(w))
        .map_or(Word::No, |(_, k)| *k)
}

/// Cheap gate before libinjection's tokeniser, which costs about 4 us per call on a browser
/// User-Agent. A value can only be SQL injection if it holds an SQL-structural character or an
/// SQL keyword as a word; in headers, only quotes, comments, `;` and strong keywords count. One
/// pass over the bytes, no allocation (`cargo bench -p waf-bench --bench engine --
/// inspect/clean_get`, figures in bench/README.md).
pub(crate) fn sqli_gate(v: &str, loc: Location) -> bool {
    let b = v.as_bytes();
    if b.len() < 2 {
        return false;
    }
    let header = loc == Location::Header;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match GATE[c as usize] {
            // Most bytes: letters of ordinary words, blanks, dots, commas, non-ASCII.
            Gate::Other => {
                i += 1;
                continue;
            }
            Gate::Word => {
                let start = i;
                i += 1;
                while i < b.len() && GATE[b[i] as usize] == Gate::Word {
                    i += 1;
                }
                match sql_word(&b[start..i]) {
                    Word::Strong => return true,
                    Word::Weak if !header => return true,
                    _ => {}
                }
                continue;
            }
            Gate::Special => {}
        }
        let word_byte = |c: u8| GATE[c as usize] == Gate::Word;
        let next = b.get(i + 1).copied();
        let hit = match c {
            // An apostrophe between two letters (O'Brien, D'Angelo, don't) is not a quote by
            // itself.
            b'\'' => {
                !(i > 0
                    && b[i - 1].is_ascii_alphabetic()
                    && next.is_some_and(|n| n.is_ascii_alphabetic()))
            }
            b'"' | b'`' | b';' | b'#' => true,
            b'-' => next == Some(b'-'),
            b'/' => next == Some(b'*'),
            // `@@version`, `@var`; not the `@` inside an e-mail address (`a.b@example.org`).
            b'@' => {
                !header
                    && (next == Some(b'@')
                        || i == 0
                        || !(word_byte(b[i - 1]) || b[i - 1] == b'.' || b[i - 1] == b'-'))
            }
            _ => !header, // ( ) = < > | & ! * ^ ~
        };
        if hit {
            return true;
        }
        i += 1;
    }
    false
}

/// What [`sqli_gate`] does with a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Part of a word (ASCII letter, digit, `_`): the word is looked up in [`sql_word`].
    Word,
    /// A character with a rule of its own: quotes, comments, operators, `@`.
    Special,
    /// Anything else: skipped.
    Other,
}

/// [`Gate`] by byte: one load per byte instead of a chain of range tests.
static GATE: [Gate; 256] = {
    let mut t = [Gate::Other; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' {
            t[c] = Gate::Word;
        }
        c += 1;
    }
    let special = b"'\"`;#-/@()=<>|&!*^~";
    let mut k = 0;
    while k < special.len() {
        t[special[k] as usize] = Gate::Special;
        k += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    /// `sqli_gate` before its byte table, kept to check the table against.
    fn reference_gate(v: &str, loc: Location) -> bool {
        let b = v.as_bytes();
        if b.len() < 2 {
            return false;
        }
        let header = loc == Location::Header;
        let word_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if word_byte(c) {
                let start = i;
                while i < b.len() && word_byte(b[i]) {
                    i += 1;
                }
                match sql_word(&b[start..i]) {
                    Word::Strong => return true,
                    Word::Weak if !header => return true,
                    _ => {}
                }
                continue;
            }
            let next = b.get(i + 1).copied();
            let hit = match c {
                b'\'' => {
                    !(i > 0
                        && b[i - 1].is_ascii_alphabetic()
                        && next.is_some_and(|n| n.is_ascii_alphabetic()))
                }
                b'"' | b'`' | b';' | b'#' => true,
                b'-' => next == Some(b'-'),
                b'/' => next == Some(b'*'),
                b'@' if !header => {
                    next == Some(b'@')
                        || i == 0
                        || !(word_byte(b[i - 1]) || b[i - 1] == b'.' || b[i - 1] == b'-')
                }
                b'(' | b')' | b'=' | b'<' | b'>' | b'|' | b'&' | b'!' | b'*' | b'^' | b'~' => {
                    !header
                }
                _ => false,
            };
            if hit {
                return true;
            }
            i += 1;
        }
        false
    }

    #[test]
    fn gate_table_agrees_with_the_reference() {
        let alphabet: Vec<char> = "a'\"`;#-/@()=<>|&!*^~._ 1\u{e9}+%$".chars().collect();
        let mut values: Vec<String> = Vec::new();
        for &x in &alphabet {
            for &y in &alphabet {
                for &z in &alphabet {
                    values.push([x, y, z].iter().collect());
                    values.push([x, y].iter().collect());
                }
            }
        }
        values.extend(
            [
                "1 OR 1",
                "x' union select 1--",
                "sean.obrien17@example.org",
                "O'Brien",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) like Gecko",
                "a@@version",
                "drop table",
            ]
            .map(String::from),
        );
        for v in &values {
            for loc in [Location::Header, Location::QueryArg] {
                assert_eq!(sqli_gate(v, loc), reference_gate(v, loc), "{v:?} {loc:?}");
            }
        }
    }

    #[test]
    fn keyword_lookup_agrees_with_the_list() {
        for &(w, k) in SQL_WORDS {
            assert_eq!(sql_word(w.as_bytes()), k, "{w}");
            assert_eq!(sql_word(w.to_uppercase().as_bytes()), k, "{w}");
        }
        // Every word of two to five letters from the keywords' letters, and each keyword with
        // one letter changed or added: the lookup finds exactly the listed ones.
        let letters: Vec<u8> = b"abcdefghilmnoprstuvwxy_1".to_vec();
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 2 + (x % 4) as usize;
            words.push(
                (0..len)
                    .map(|i| letters[((x >> (i * 5)) % 24) as usize])
                    .collect(),
            );
        }
        for &(w, _) in SQL_WORDS {
            for i in 0..w.len() {
                let mut v = w.as_bytes().to_vec();
                v[i] = b'q';
                words.push(v.clone());
                v.insert(i, b'e');
                words.push(v);
            }
        }
        for w in &words {
            let listed = SQL_WORDS
                .iter()
                .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(w))
                .map_or(Word::No, |(_, k)| *k);
            assert_eq!(sql_word(w), listed, "{}", String::from_utf8_lossy(w));
        }
        assert_eq!(sql_word(b"SELECT"), Word::Strong);
        assert_eq!(sql_word(b"Like"), Word::Weak);
        for w in ["item", "number", "selects", "an", "x_or", "o", "1or"] {
            assert_eq!(sql_word(w.as_bytes()), Word::No, "{w}");
        }
        assert!(sqli_gate("1 OR 1", Location::QueryArg));
        assert!(!sqli_gate("Item number 17", Location::QueryArg));
        assert!(!sqli_gate("sean.obrien17@example.org", Location::BodyArg));
        assert!(sqli_gate("@@version", Location::BodyArg));
        assert!(sqli_gate("1 union", Location::Header));
        assert!(!sqli_gate("like Gecko", Location::Header));
    }
}
