//! Byte classes of a value, one bit each: what the checks' `needs` ([`crate::rules`]) are
//! written in, and what the engine computes once per value to skip the checks that cannot fire.

/// `;`
pub const SEMI: u16 = 1;
/// `|`
pub const PIPE: u16 = 1 << 1;
/// `&`
pub const AMP: u16 = 1 << 2;
/// Newline or carriage return.
pub const NL: u16 = 1 << 3;
/// Backtick.
pub const TICK: u16 = 1 << 4;
/// `$`
pub const DOLLAR: u16 = 1 << 5;
/// `<` `>`
pub const ANGLE: u16 = 1 << 6;
/// `=`
pub const EQ: u16 = 1 << 7;
/// `:`
pub const COLON: u16 = 1 << 8;
/// `'` `"`
pub const QUOTE: u16 = 1 << 9;
/// `/` and backslash: path separators.
pub const SLASH: u16 = 1 << 10;
/// Space, tab and `+` (a space in a query string): what separates words on a command line.
pub const SPACE: u16 = 1 << 11;
/// `0`: the start of `0x..` byte notation.
pub const ZERO: u16 = 1 << 12;
/// Any byte of a multi-byte UTF-8 character (Unicode look-alikes of ASCII punctuation).
pub const HIGH: u16 = 1 << 13;
/// `{`: the start of a brace expansion.
pub const BRACE: u16 = 1 << 14;
/// `.`: dots that climb when nothing separates them from a name (`....etc`).
pub const DOT: u16 = 1 << 15;

const fn class_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    t[b';' as usize] = SEMI;
    t[b'|' as usize] = PIPE;
    t[b'&' as usize] = AMP;
    t[b'\n' as usize] = NL;
    t[b'\r' as usize] = NL;
    t[b'`' as usize] = TICK;
    t[b'$' as usize] = DOLLAR;
    t[b'<' as usize] = ANGLE;
    t[b'>' as usize] = ANGLE;
    t[b'=' as usize] = EQ;
    t[b':' as usize] = COLON;
    t[b'\'' as usize] = QUOTE;
    t[b'"' as usize] = QUOTE;
    t[b'/' as usize] = SLASH;
    t[b'\\' as usize] = SLASH;
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'+' as usize] = SPACE;
    t[b'0' as usize] = ZERO;
    t[b'{' as usize] = BRACE;
    t[b'.' as usize] = DOT;
    let mut c = 0x80;
    while c < 256 {
        t[c] = HIGH;
        c += 1;
    }
    t
}

static CLASSES: [u16; 256] = class_table();

/// The union of the byte classes of `b`: one table lookup per byte.
pub(crate) fn shape(b: &[u8]) -> u16 {
    b.iter().fold(0, |m, &c| m | CLASSES[c as usize])
}
