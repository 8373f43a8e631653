//! App profiles: named sets of narrow managed-rule exclusions for well-known applications
//! (`wordpress`, `mediawiki`, `phpmyadmin`), as OWASP CRS ships its exclusion plugins. They are
//! data, one YAML file each under `rules/profiles/`, compiled into the engine: a site turns one on
//! by name (`profiles: [wordpress]` in its entry of `sites.yaml`), optionally with the path the
//! application is installed under, and the profile's exclusions join the site's own.
//!
//! Every exclusion of a profile is narrow by construction: it names a path (relative to the
//! application's install path), one or more parameters and the rules it lifts (by id or by attack
//! class, never "every rule"), and may require a cookie the application sets only for a logged-in
//! user, so that an anonymous request never benefits from it.

use std::sync::LazyLock;

use serde::Deserialize;

use super::Exclusion;
use crate::verdict::AttackType;

/// The shipped profiles: name and YAML text.
const SOURCES: &[(&str, &str)] = &[
    (
        "mediawiki",
        include_str!("../../../rules/profiles/mediawiki.yaml"),
    ),
    (
        "phpmyadmin",
        include_str!("../../../rules/profiles/phpmyadmin.yaml"),
    ),
    (
        "wordpress",
        include_str!("../../../rules/profiles/wordpress.yaml"),
    ),
];

/// One profile file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    /// What the profile is for.
    #[allow(dead_code)]
    description: String,
    /// Its exclusions.
    exclusions: Vec<RawProfileExclusion>,
}

/// One exclusion of a profile file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfileExclusion {
    /// Why the application sends code there by design.
    #[allow(dead_code)]
    reason: String,
    /// Path prefix, relative to the application's install path (starts with `/`).
    path: String,
    /// Parameter names (at least one): a profile never lifts rules from a whole request.
    parameters: Vec<String>,
    /// Managed rule ids lifted.
    #[serde(default)]
    rule_ids: Vec<u32>,
    /// Attack classes whose managed rules are lifted.
    #[serde(default)]
    classes: Vec<AttackType>,
    /// Only when the request carries a cookie whose name starts with this.
    #[serde(default)]
    cookie: Option<String>,
}

/// A compiled profile: its exclusions with paths relative to the install path.
#[derive(Debug)]
struct Profile {
    name: &'static str,
    exclusions: Vec<Exclusion>,
}

/// The shipped profiles, parsed once; a profile that does not parse is left out with its reason
/// (the unit tests make sure none is).
static PROFILES: LazyLock<Vec<Result<Profile, (&'static str, String)>>> =
    LazyLock::new(|| SOURCES.iter().map(|(n, t)| compile(n, t)).collect());

fn compile(name: &'static str, text: &str) -> Result<Profile, (&'static str, String)> {
    let bad = |e: String| (name, e);
    let raw: RawProfile = serde_yaml_ng::from_str(text).map_err(|e| bad(e.to_string()))?;
    let mut exclusions = Vec::new();
    for x in raw.exclusions {
        if !x.path.starts_with('/') {
            return Err(bad(format!("path {:?} must start with /", x.path)));
        }
        if x.parameters.is_empty() || x.parameters.iter().any(String::is_empty) {
            return Err(bad(format!("{}: parameters must be named", x.path)));
        }
        let mut ids = x.rule_ids.clone();
        ids.extend(
            crate::rules::all()
                .filter(|r| x.classes.contains(&r.class))
                .map(|r| r.id),
        );
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(bad(format!("{}: no rule named", x.path)));
        }
        if let Some(unknown) = ids
            .iter()
            .find(|id| !crate::rules::all().any(|r| r.id == **id))
        {
            return Err(bad(format!("{}: unknown rule id {unknown}", x.path)));
        }
        for p in &x.parameters {
            exclusions.push(Exclusion {
                rule_ids: ids.clone(),
                path: x.path.clone(),
                parameter: Some(p.clone()),
                cookie: x.cookie.clone(),
            });
        }
    }
    Ok(Profile { name, exclusions })
}

/// The names of the shipped profiles, sorted.
pub fn names() -> Vec<&'static str> {
    SOURCES.iter().map(|(n, _)| *n).collect()
}

/// The exclusions of profile `name` for an application installed under `base` (`/` or a path
/// such as `/blog`), or why not (an unknown name).
pub fn expand(name: &str, base: &str) -> Result<Vec<Exclusion>, String> {
    if !base.starts_with('/') {
        return Err(format!("profile path {base:?} must start with /"));
    }
    let base = base.trim_end_matches('/');
    let profile = PROFILES
        .iter()
        .find_map(|p| match p {
            Ok(p) if p.name == name => Some(Ok(p)),
            Err((n, e)) if *n == name => Some(Err(format!("profile {name} is broken: {e}"))),
            _ => None,
        })
        .ok_or_else(|| format!("unknown profile {name:?} (known: {})", names().join(", ")))??;
    Ok(profile
        .exclusions
        .iter()
        .map(|x| Exclusion {
            path: format!("{base}{}", x.path),
            ..x.clone()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_compiles_and_is_narrow() {
        assert_eq!(names(), ["mediawiki", "phpmyadmin", "wordpress"]);
        for p in PROFILES.iter() {
            let p = p.as_ref().expect("profile compiles");
            assert!(!p.exclusions.is_empty(), "{}", p.name);
            for x in &p.exclusions {
                assert!(x.parameter.is_some() && !x.rule_ids.is_empty(), "{x:?}");
                assert!(x.path.len() > 1, "{}: {x:?} covers every path", p.name);
            }
        }
    }

    #[test]
    fn expand_prefixes_the_install_path_and_refuses_unknown_names() {
        let root = expand("wordpress", "/").unwrap();
        let sub = expand("wordpress", "/blog/").unwrap();
        assert_eq!(root.len(), sub.len());
        for (r, s) in root.iter().zip(&sub) {
            assert_eq!(format!("/blog{}", r.path), s.path);
        }
        let err = expand("drupal", "/").unwrap_err();
        assert!(
            err.contains("unknown profile") && err.contains("wordpress"),
            "{err}"
        );
        assert!(expand("wordpress", "blog").is_err());
    }

    #[test]
    fn classes_expand_to_their_rules() {
        let p = compile(
            "t",
            "description: t\nexclusions:\n  - reason: r\n    path: /x\n    parameters: [a]\n    classes: [sqli]\n",
        )
        .unwrap();
        let ids = &p.exclusions[0].rule_ids;
        assert!(ids.contains(&2010) && !ids.iter().any(|id| *id >= 3000));
        for bad in [
            "description: t\nexclusions:\n  - reason: r\n    path: /x\n    parameters: []\n    classes: [sqli]\n",
            "description: t\nexclusions:\n  - reason: r\n    path: /x\n    parameters: [a]\n",
            "description: t\nexclusions:\n  - reason: r\n    path: /x\n    parameters: [a]\n    rule_ids: [1]\n",
            "description: t\nexclusions:\n  - reason: r\n    path: x\n    parameters: [a]\n    rule_ids: [2010]\n",
            "description: t\nexclusions:\n  - reason: r\n    path: /x\n    parameters: [a]\n    rule_ids: [2010]\n    extra: 1\n",
        ] {
            assert!(compile("t", bad).is_err(), "{bad}");
        }
    }
}
