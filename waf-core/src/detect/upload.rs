//! Uploads of server-side scripts, judged on the file name as the web server maps it to a
//! handler (rules 6005 and 6105).
//!
//! A file name is cut the way servers and file systems cut it: trailing dots and spaces dropped
//! (Windows does), spaces around a dot ignored (`shell. jsp`). Apache's `mod_mime` hands a file
//! to PHP when any of its extensions is a PHP one (`shell.php.jpg`, `test.phar .png`); a servlet
//! container looks at the last extension only (`a.jsp`, `a.jspx`). Only a value that is a bare
//! file name counts: a URL or a path in a header is not an uploaded file's name.

use crate::request::Location;

/// Extensions that Apache hands to PHP.
const PHP: &[&str] = &[
    "php", "php3", "php4", "php5", "php7", "php8", "phtml", "pht", "phar", "phps",
];

/// Extensions a servlet container compiles as JSP.
const JSP: &[&str] = &["jsp", "jspx", "jspf"];

/// The extensions of `v` (lower case, spaces around dots and trailing dots dropped), when `v` is
/// a bare file name.
fn extensions(v: &str, loc: Location) -> Option<Vec<String>> {
    if !matches!(loc, Location::Filename | Location::Header) || v.len() > 255 {
        return None;
    }
    let name = v.trim().trim_matches('"').trim_end_matches(['.', ' ']);
    if name.contains(['/', '\\', ':', '?', '=', ';', ',']) || !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.').map(|p| p.trim().to_ascii_lowercase());
    parts.next()?;
    Some(parts.collect())
}

/// Rule 6005: an uploaded file name that Apache would hand to PHP.
pub(crate) fn php_script(v: &str, loc: Location) -> bool {
    extensions(v, loc).is_some_and(|e| e.iter().any(|x| PHP.contains(&x.as_str())))
}

/// Rule 6105: an uploaded file name that a servlet container would compile as JSP.
pub(crate) fn jsp_script(v: &str, loc: Location) -> bool {
    extensions(v, loc).is_some_and(|e| e.last().is_some_and(|x| JSP.contains(&x.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Location = Location::Filename;

    #[test]
    fn script_names_fire() {
        for v in [
            "a.php",
            "shell.php.jpg",
            "test.phar .png",
            "x.PHTML",
            "a.php5..",
        ] {
            assert!(php_script(v, F), "{v}");
        }
        for v in [
            "a.jsp",
            "shell. jspx",
            "shell.jsp  ",
            "a.jspx..",
            "foo.jspx...",
        ] {
            assert!(jsp_script(v, F), "{v}");
        }
    }

    #[test]
    fn other_names_and_urls_pass() {
        for v in [
            "report.pdf",
            "photo.jpg",
            "php-manual.tar.gz",
            "my.phpbb.backup.zip",
            "jsp-notes.txt",
            "foo.html",
        ] {
            assert!(!php_script(v, F) && !jsp_script(v, F), "{v}");
        }
        assert!(!php_script(
            "https://example.com/index.php",
            Location::Header
        ));
        assert!(!php_script("index.php", Location::QueryArg));
        assert!(!jsp_script("a.jsp.bak", F));
    }
}
