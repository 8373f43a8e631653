//! Errors of the rule loader and compiler.
//!
//! Every error names where it comes from: the source file, the line when it can be found, the rule
//! id and the field. Loading collects every error of a rule set instead of stopping at the first, so
//! an operator fixes a file in one pass.

use std::fmt;

/// One problem found while loading, validating or compiling a rule set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleError {
    /// The source file name, as given to the loader (`acl.yaml`, `<api>`, ...).
    pub file: String,
    /// The 1-based line in that file, when it could be located.
    pub line: Option<usize>,
    /// The id of the rule at fault, when the problem belongs to one rule.
    pub rule_id: Option<String>,
    /// The field at fault (`pattern`, `judges[1].rix`, ...).
    pub field: Option<String>,
    /// What is wrong, in words an operator can act on.
    pub reason: String,
}

impl RuleError {
    /// An error about a whole file (syntax, unknown top-level key).
    pub fn file(file: &str, line: Option<usize>, reason: impl Into<String>) -> Self {
        RuleError {
            file: file.to_string(),
            line,
            rule_id: None,
            field: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(id) = &self.rule_id {
            write!(f, ": rule {id}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field {field}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// All the problems of one rule set. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RuleErrors(pub Vec<RuleError>);

impl RuleErrors {
    /// True when no error was collected.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Adds one error.
    pub fn push(&mut self, e: RuleError) {
        self.0.push(e)
    }
    /// `Ok(v)` when no error was collected, otherwise `Err(self)`.
    pub fn into_result<T>(self, v: T) -> Result<T, RuleErrors> {
        if self.0.is_empty() {
            Ok(v)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}
