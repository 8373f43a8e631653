//! Country lookup for ACL country rules, from a MaxMind `.mmdb` (e.g. GeoLite2-Country).

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

/// An opened country database.
pub struct Geo {
    reader: maxminddb::Reader<Vec<u8>>,
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    country: Option<Country<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<Country<'a>>,
}

#[derive(Deserialize)]
struct Country<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

/// An ISO 3166-1 alpha-2 code, stored inline (no allocation per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl Geo {
    /// Opens a database file.
    pub fn open(path: &Path) -> Result<Geo, String> {
        maxminddb::Reader::open_readfile(path)
            .map(|reader| Geo { reader })
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The country of `ip`, if the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<CountryCode> {
        let rec: Record = self.reader.lookup(ip).ok().flatten()?;
        let code = rec
            .country
            .and_then(|c| c.iso_code)
            .or_else(|| rec.registered_country.and_then(|c| c.iso_code))?;
        let b = code.as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
            Some(CountryCode([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
            ]))
        } else {
            None
        }
    }
}
