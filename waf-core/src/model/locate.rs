//! Locating a rule or field in the YAML text, for error messages that name a line, and salvaging
//! the good rules of a file whose whole deserialisation failed.

use std::collections::HashMap;

use super::raw::RawFile;
use super::SourceFile;
use crate::error::RuleError;

/// The 1-based line of a top-level key.
pub(super) fn locate_key(text: &str, key: &str) -> Option<usize> {
    let pat = format!("{key}:");
    text.lines()
        .position(|l| l.trim_start().starts_with(&pat))
        .map(|i| i + 1)
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    let v = v.split(" #").next().unwrap_or(v).trim();
    v.trim_matches(|c| c == '"' || c == '\'')
}

/// After the whole file failed to deserialise: deserialises each rule on its own, keeping the
/// good ones and one error per bad one (with the rule id and the line of the offending field).
/// Returns `first` alone when the text is not even YAML.
pub(super) fn salvage(src: &SourceFile, first: RuleError) -> (RawFile, Vec<RuleError>) {
    let mut out = RawFile::default();
    let doc: serde_yaml_ng::Value = match serde_yaml_ng::from_str(&src.text) {
        Ok(v) => v,
        Err(_) => return (out, vec![first]),
    };
    let Some(map) = doc.as_mapping() else {
        return (out, vec![first]);
    };
    let lines = index_rules(&src.text);
    let mut errors = Vec::new();
    fn items<T: serde::de::DeserializeOwned>(
        src: &SourceFile,
        lines: &HashMap<(String, String), usize>,
        kind: &str,
        v: &serde_yaml_ng::Value,
        errors: &mut Vec<RuleError>,
    ) -> Vec<T> {
        let mut good = Vec::new();
        let Some(seq) = v.as_sequence() else {
            errors.push(RuleError::file(
                &src.name,
                locate_key(&src.text, kind),
                format!("{kind} must be a list"),
            ));
            return good;
        };
        for item in seq {
            match serde_yaml_ng::from_value::<T>(item.clone()) {
                Ok(t) => good.push(t),
                Err(e) => {
                    let id = item.get("id").map(|i| match i {
                        serde_yaml_ng::Value::String(s) => s.clone(),
                        other => serde_yaml_ng::to_string(other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    });
                    let msg = e.to_string();
                    // serde names the field in backquotes: "unknown field `patern`, expected ...".
                    // serde puts the name in backquotes: "unknown field `patern`", "unknown variant `cookie_jar`".
                    let token = msg.split('`').nth(1).map(str::to_string);
                    let field = token.clone().filter(|_| {
                        msg.starts_with("unknown field") || msg.starts_with("missing field")
                    });
                    let rule_line = id
                        .as_ref()
                        .and_then(|id| lines.get(&(kind.to_string(), id.clone())).copied());
                    let line = match (rule_line, &token) {
                        (Some(l), Some(t)) => locate_field(&src.text, l, t)
                            .or_else(|| {
                                src.text
                                    .lines()
                                    .enumerate()
                                    .skip(l)
                                    .take(200)
                                    .find(|(_, x)| x.contains(t.as_str()))
                                    .map(|(i, _)| i + 1)
                            })
                            .or(Some(l)),
                        (l, _) => l,
                    };
                    errors.push(RuleError {
                        file: src.name.clone(),
                        line,
                        rule_id: id,
                        field,
                        reason: msg,
                    });
                }
            }
        }
        good
    }
    for (k, v) in map {
        match k.as_str() {
            Some("acl") => out.acl = items(src, &lines, "acl", v, &mut errors),
            Some("cc") => out.cc = items(src, &lines, "cc", v, &mut errors),
            Some("custom_rules") => {
                out.custom_rules = items(src, &lines, "custom_rules", v, &mut errors)
            }
            Some("sites") => out.sites = items(src, &lines, "sites", v, &mut errors),
            Some("obs_rules") => out.obs_rules = items(src, &lines, "obs_rules", v, &mut errors),
            Some(key @ ("settings" | "managed" | "observation")) => {
                let parsed = match key {
                    "settings" => {
                        serde_yaml_ng::from_value(v.clone()).map(|s| out.settings = Some(s))
                    }
                    "managed" => {
                        serde_yaml_ng::from_value(v.clone()).map(|m| out.managed = Some(m))
                    }
                    _ => serde_yaml_ng::from_value(v.clone()).map(|o| out.observation = Some(o)),
                };
                if let Err(e) = parsed {
                    errors.push(RuleError {
                        field: Some(key.to_string()),
                        ..RuleError::file(&src.name, locate_key(&src.text, key), e.to_string())
                    });
                }
            }
            _ => {
                let key = serde_yaml_ng::to_string(k)
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                errors.push(RuleError::file(&src.name, locate_key(&src.text, &key), format!("unknown section `{key}` (expected settings, managed, acl, cc, custom_rules, sites, observation or obs_rules)")));
            }
        }
    }
    if errors.is_empty() {
        errors.push(first);
    }
    (out, errors)
}

/// The 1-based line of every `id: <id>`, by (top-level section, id). One pass over the text.
pub(super) fn index_rules(text: &str) -> HashMap<(String, String), usize> {
    let mut out = HashMap::new();
    let mut section = String::new();
    for (i, l) in text.lines().enumerate() {
        if !l.starts_with(' ') && !l.starts_with('-') && !l.starts_with('#') {
            if let Some((k, _)) = l.split_once(':') {
                section = k.trim().to_string();
            }
            continue;
        }
        let t = l
            .trim_start()
            .trim_start_matches("- ")
            .trim_start()
            .trim_start_matches('{')
            .trim_start();
        if let Some(v) = t.strip_prefix("id:") {
            let v = unquote(v.split(',').next().unwrap_or(v).trim_end_matches('}'));
            out.entry((section.clone(), v.to_string())).or_insert(i + 1);
        }
    }
    out
}

#[cfg(test)]
fn locate_rule(text: &str, kind: &str, id: &str) -> Option<usize> {
    index_rules(text)
        .get(&(kind.to_string(), id.to_string()))
        .copied()
}

/// The line of `field` (possibly `judges[i].leaf`) within the rule starting at `rule_line`.
pub(super) fn locate_field(text: &str, rule_line: usize, field: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = rule_line.checked_sub(1)?;
    let item_indent = lines.get(start).map(|l| l.len() - l.trim_start().len())?;
    // The rule ends at the next item of the same list, or where the indentation drops.
    let end = (start + 1..lines.len())
        .find(|&i| {
            let t = lines[i].trim_start();
            let ind = lines[i].len() - t.len();
            !t.is_empty()
                && !t.starts_with('#')
                && (ind < item_indent || (ind == item_indent && t.starts_with("- ")))
        })
        .unwrap_or(lines.len());
    if let Some(rest) = field.strip_prefix("judges[") {
        let (n, leaf) = rest.split_once("].")?;
        let n: usize = n.parse().ok()?;
        let jl = (start..end).find(|&i| lines[i].trim_start().starts_with("judges:"))?;
        let mut seen = 0;
        let item = (jl + 1..end).find(|&i| {
            if lines[i].trim_start().starts_with("- ") {
                seen += 1;
                seen == n + 1
            } else {
                false
            }
        })?;
        let pat = format!("{leaf}:");
        return (item..end)
            .find(|&i| {
                lines[i]
                    .trim_start()
                    .trim_start_matches("- ")
                    .starts_with(&pat)
            })
            .map(|i| i + 1);
    }
    let pat = format!("{field}:");
    (start..end)
        .find(|&i| {
            lines[i]
                .trim_start()
                .trim_start_matches("- ")
                .starts_with(&pat)
        })
        .map(|i| i + 1)
}

/// The id of the rule whose text contains `line`, for syntax errors inside a rule.
pub(super) fn rule_id_above(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .find_map(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("id:").map(|v| unquote(v).to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_rules_and_fields() {
        let t = "acl:\n  - id: 1\n    type: global\n    rule_type: ip\n    pattern: 1.2.3.4\n    action: block\n  - id: 2\n    pattern: x\ncustom_rules:\n  - id: r1\n    name: n\n    judges:\n      - position: uri\n        content: a\n      - position: uri\n        rix: '(('\n";
        assert_eq!(locate_rule(t, "acl", "2"), Some(7));
        assert_eq!(locate_rule(t, "custom_rules", "r1"), Some(10));
        assert_eq!(locate_field(t, 2, "pattern"), Some(5));
        assert_eq!(locate_field(t, 7, "pattern"), Some(8));
        assert_eq!(locate_field(t, 10, "judges[1].rix"), Some(16));
        assert_eq!(rule_id_above(t, 15), Some("r1".into()));
    }
}
