//! Where a validation error is: the file, the rule and the line of the field.

use std::collections::HashMap;

use crate::error::RuleError;
use crate::model::locate::locate_field;
use crate::SourceFile;

/// The rule being validated, to name its errors.
pub(super) struct Ctx<'a> {
    pub(super) src: &'a SourceFile,
    pub(super) kind: &'static str,
    pub(super) id: String,
    pub(super) lines: &'a HashMap<(String, String), usize>,
}

impl Ctx<'_> {
    /// An error of `field` of this rule, at the field's line when it can be found.
    pub(super) fn err(&self, field: &str, reason: impl Into<String>) -> RuleError {
        let rule_line = self
            .lines
            .get(&(self.kind.to_string(), self.id.clone()))
            .copied();
        let line = rule_line.map(|l| locate_field(&self.src.text, l, field).unwrap_or(l));
        RuleError {
            file: self.src.name.clone(),
            line,
            rule_id: Some(self.id.clone()),
            field: Some(field.to_string()),
            reason: reason.into(),
        }
    }
}
