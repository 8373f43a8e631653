//! Reading a rules directory into waf-core sources.

use std::path::Path;

use waf_core::{RuleError, RuleErrors, SourceFile};

/// Reads every `*.yaml` / `*.yml` file of `dir`, sorted by name. With `None`, the embedded default.
pub fn load_sources(dir: Option<&Path>) -> Result<Vec<SourceFile>, RuleErrors> {
    let Some(dir) = dir else {
        return Ok(waf_core::default_sources());
    };
    let rd = std::fs::read_dir(dir).map_err(|e| {
        RuleErrors(vec![RuleError::file(
            &dir.display().to_string(),
            None,
            format!("cannot read rules directory: {e}"),
        )])
    })?;
    let mut paths: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    paths.sort();
    let mut out = Vec::with_capacity(paths.len());
    let mut errors = RuleErrors::default();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read_to_string(&p) {
            Ok(text) => out.push(SourceFile::new(name, text)),
            Err(e) => errors.push(RuleError::file(&name, None, format!("cannot read: {e}"))),
        }
    }
    errors.into_result(out)
}
