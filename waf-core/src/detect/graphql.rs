//! GraphQL documents, recognised by their lexical grammar: what lets the shell checks read a
//! field on a line of its own (`id`, `type`) as a field and not as a command after a newline.

/// Whether `v` is a GraphQL document (`query Q($id: ID!) {\n  user(id: $id) {\n    id\n  }\n}`
/// or a bare `{ ... }` selection): an operation keyword or `{` first, braces balanced and closed
/// at the end, and outside its strings and comments nothing but names, numbers, `$variables`
/// and GraphQL's punctuators. Its fields stand one per line, so a field named `id` or `type`
/// follows a newline as a command would; a command line has bytes GraphQL has not (`/`, `;`,
/// `|`, `&`, quotes, redirections, `$(`).
pub(crate) fn graphql_document(v: &str) -> bool {
    let t = v.trim();
    let keyword = ["query", "mutation", "subscription", "fragment"]
        .iter()
        .any(|k| {
            t.strip_prefix(k)
                .is_some_and(|r| r.starts_with([' ', '\n', '\t', '\r', '(', '{']))
        });
    if !(keyword || t.starts_with('{')) || !t.ends_with('}') {
        return false;
    }
    let b = t.as_bytes();
    let (mut depth, mut i) = (0i32, 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                // A string, with its escapes: never part of the structure.
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            b'$' if !b
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                return false
            }
            c if c.is_ascii_alphanumeric()
                || c.is_ascii_whitespace()
                || b"_,()[]:!$=@.-".contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Location;

    #[test]
    fn graphql_documents_and_shell_lines() {
        assert!(graphql_document(
            "query Q($id: ID!) {\n  user(id: $id) { id name }\n}"
        ));
        assert!(graphql_document(
            "mutation { add(input: {sku: \"a;b\", n: -1}) { id } } "
        ));
        assert!(!graphql_document("{\ncat /etc/passwd\n}"));
        assert!(!graphql_document("{\nid;\n}"));
        assert!(!graphql_document("query {\n id\n"));
        assert!(super::super::shell::chained_command(
            "{\ncat /etc/passwd\n}",
            Location::BodyArg
        ));
    }
}
