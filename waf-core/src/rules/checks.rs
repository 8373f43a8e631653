//! Function rules: libinjection's SQLi and XSS detectors, the shell-grammar checks
//! (`detect/checks.rs`, `detect/shell.rs`) and the PHP and Java grammars (`detect/php.rs`,
//! `detect/java.rs`), each behind a cheap gate.
//!
//! SQLi uses evidence, not a single signal: libinjection's fingerprint says which token shape it
//! recognised, and a few shapes are also those of ordinary text. Rule 2001 takes strong
//! fingerprints; for weak ones, rule 2003 wants corroboration from the value itself; rule 2002
//! takes libinjection's word alone. Rule 2004 reads what libinjection cannot take from the
//! value's start: a boolean condition injected into a numeric context (`detect/tautology.rs`).

use super::{Detect, Gate, Rule, ALL};
use crate::detect::checks::{sqli, sqli_any, sqli_corroborated, xss};
use crate::detect::class::*;
use crate::detect::{html, java, php, php_vars, shell, shell_line, tautology, traversal, upload};
use crate::request::{Location, LocationSet};

/// Uploaded file names, and headers (where `X-Filename` carries them).
const UPLOAD_NAMES: super::Scope = super::Scope::of(LocationSet(
    Location::Filename.bit() | Location::Header.bit(),
));
use crate::verdict::AttackType as A;

/// The checks, in the order they are tried.
pub(super) const RULES: &[Rule] = &[
    Rule {
        id: 2001,
        name: "SQL injection (libinjection)",
        class: A::Sqli,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: sqli,
            needs: 0,
            gate: Gate::Sqli,
        },
    },
    Rule {
        id: 2003,
        name: "SQL injection (libinjection, corroborated weak fingerprint)",
        class: A::Sqli,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: sqli_corroborated,
            needs: 0,
            gate: Gate::Sqli,
        },
    },
    Rule {
        id: 2002,
        name: "SQL injection (libinjection, weak fingerprint)",
        class: A::Sqli,
        level: 4,
        locations: ALL,
        detect: Detect::Check {
            test: sqli_any,
            needs: 0,
            gate: Gate::Sqli,
        },
    },
    Rule {
        id: 2004,
        name: "SQL condition comparing literals after a logical operator",
        class: A::Sqli,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: tautology::boolean_condition,
            needs: EQ | ANGLE,
            gate: Gate::None,
        },
    },
    Rule {
        id: 5000,
        name: "Command chaining into a shell command",
        class: A::Rce,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: shell::chained_command,
            needs: SEMI | PIPE | AMP | NL | TICK | DOLLAR,
            gate: Gate::None,
        },
    },
    Rule {
        id: 5002,
        name: "Backtick or $() command substitution",
        class: A::Rce,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: shell::substitution,
            needs: TICK | DOLLAR,
            gate: Gate::None,
        },
    },
    Rule {
        id: 5005,
        name: "Parameter value that is a shell command line",
        class: A::Rce,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: shell_line::command_line,
            needs: SPACE | DOLLAR | QUOTE | SLASH | SEMI | PIPE | AMP | BRACE,
            gate: Gate::None,
        },
    },
    Rule {
        id: 4003,
        name: "Path climbing above its root or naming a system file",
        class: A::Traversal,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: traversal::path_escape,
            needs: SLASH | HIGH | ZERO | DOT | COLON,
            gate: Gate::None,
        },
    },
    Rule {
        id: 4004,
        name: "Hidden directory in the URL path",
        class: A::Traversal,
        level: 2,
        locations: super::PATH,
        detect: Detect::Check {
            test: traversal::hidden_directory,
            needs: SLASH,
            gate: Gate::None,
        },
    },
    Rule {
        id: 3018,
        name: "XSS event-handler attribute in a start tag",
        class: A::Xss,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: html::event_attribute,
            needs: ANGLE,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6003,
        name: "PHP call of a code, command or file function",
        class: A::PhpInjection,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: php::dangerous_call,
            needs: 0,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6004,
        name: "PHP open tag before code",
        class: A::PhpInjection,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: php::open_tag,
            needs: 0,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6006,
        name: "PHP variable variable or superglobal",
        class: A::PhpInjection,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: php_vars::variable_variable,
            needs: DOLLAR,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6007,
        name: "PHP call through a variable ($f(...), ${...}(...))",
        class: A::PhpInjection,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: php_vars::variable_call,
            needs: DOLLAR,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6005,
        name: "Upload of a file name Apache hands to PHP",
        class: A::PhpInjection,
        level: 1,
        locations: UPLOAD_NAMES,
        detect: Detect::Check {
            test: upload::php_script,
            needs: 0,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6105,
        name: "Upload of a JSP file name",
        class: A::JavaInjection,
        level: 1,
        locations: UPLOAD_NAMES,
        detect: Detect::Check {
            test: upload::jsp_script,
            needs: 0,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6103,
        name: "Java class reference (runtime, gadget or a whole JDK class name)",
        class: A::JavaInjection,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: java::class_reference,
            needs: 0,
            gate: Gate::None,
        },
    },
    Rule {
        id: 6104,
        name: "Log4j lookup resolving to a JNDI lookup",
        class: A::JavaInjection,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: java::jndi_lookup,
            needs: DOLLAR,
            gate: Gate::None,
        },
    },
    Rule {
        id: 3001,
        name: "XSS (libinjection)",
        class: A::Xss,
        level: 1,
        locations: ALL,
        detect: Detect::Check {
            test: xss,
            needs: ANGLE | EQ | TICK | COLON | QUOTE,
            gate: Gate::None,
        },
    },
];
