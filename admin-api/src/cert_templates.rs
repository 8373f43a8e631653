//! Certificate templates: the subject, extra SANs, key type and validity of the
//! self-signed certificates issued for sites (`site/add` with HTTPS, `site/https`, renew).
//!
//! Stored in SQLite (`cert_templates`, ids never reused); a site names its template in the rule
//! set (`cert_template_id`), so renewing it issues from the template as it is then.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::tls::PemPair;

/// Creates the table.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS cert_templates (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             name TEXT NOT NULL UNIQUE,
             body TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );",
    )
}

/// Key algorithm of the issued certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// ECDSA on P-256 with SHA-256 (the default; every client speaks it).
    #[default]
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519 (TLS 1.3 clients only; most browsers do not accept it).
    Ed25519,
}

impl KeyType {
    fn algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }
}

/// Longest validity accepted, in days (ten years).
pub const MAX_VALIDITY_DAYS: u32 = 3650;
/// At most this many extra SANs.
pub const MAX_SANS: usize = 100;

fn default_validity() -> u32 {
    365
}

/// A template as created and updated (`POST /cert-template`, `PUT /cert-template/:id`).
/// Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// Unique name (1-64 characters).
    pub name: String,
    /// Subject CN; the site's first domain when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Subject O.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Subject OU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizational_unit: Option<String>,
    /// Subject C: two letters (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Subject ST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Subject L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// Names added to the site's domains as SANs (DNS names, `*.` wildcards or IPs).
    #[serde(default)]
    pub sans: Vec<String>,
    /// Key algorithm (default `ecdsa-p256`).
    #[serde(default)]
    pub key_type: KeyType,
    /// Days the certificate is valid from its issue (1-3650, default 365).
    #[serde(default = "default_validity")]
    pub validity_days: u32,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// A stored template.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Template {
    /// Id (never reused).
    pub id: i64,
    /// Its fields.
    #[serde(flatten)]
    pub spec: TemplateInput,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

fn text(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(t) = v.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > max {
        return Err(ApiError::field(field, format!("at most {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(ApiError::field(field, "no control characters"));
    }
    Ok(Some(t.to_string()))
}

fn valid_name_or_ip(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let body = s.strip_prefix("*.").unwrap_or(s);
    !body.is_empty()
        && body.len() <= 253
        && body.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl TemplateInput {
    /// The input checked and normalised (trimmed texts, lower-cased SANs, upper-cased country).
    pub fn checked(self) -> Result<TemplateInput, ApiError> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(ApiError::field(
                "name",
                "1-64 characters, no control characters",
            ));
        }
        let country = text("country", &self.country, 2)?.map(|c| c.to_ascii_uppercase());
        if country
            .as_deref()
            .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(ApiError::field(
                "country",
                "two letters (ISO 3166-1 alpha-2)",
            ));
        }
        if self.sans.len() > MAX_SANS {
            return Err(ApiError::field("sans", format!("at most {MAX_SANS} names")));
        }
        let mut sans: Vec<String> = Vec::new();
        for s in &self.sans {
            let s = s.trim().to_ascii_lowercase();
            if !valid_name_or_ip(&s) {
                return Err(ApiError::field(
                    "sans",
                    format!("{s:?} is not a DNS name or an IP address"),
                ));
            }
            if !sans.contains(&s) {
                sans.push(s);
            }
        }
        if !(1..=MAX_VALIDITY_DAYS).contains(&self.validity_days) {
            return Err(ApiError::field(
                "validity_days",
                format!("1-{MAX_VALIDITY_DAYS} days"),
            ));
        }
        if self.description.chars().count() > 500 {
            return Err(ApiError::field("description", "at most 500 characters"));
        }
        Ok(TemplateInput {
            name,
            common_name: text("common_name", &self.common_name, 64)?,
            organization: text("organization", &self.organization, 64)?,
            organizational_unit: text("organizational_unit", &self.organizational_unit, 64)?,
            country,
            province: text("province", &self.province, 128)?,
            locality: text("locality", &self.locality, 128)?,
            sans,
            key_type: self.key_type,
            validity_days: self.validity_days,
            description: self.description.trim().to_string(),
        })
    }

    /// A self-signed certificate for `domains` (the site's, first one the default CN) plus the
    /// template's SANs, valid from now for `validity_days`.
    pub fn issue(&self, domains: &[String]) -> Result<PemPair, String> {
        let mut names: Vec<String> = domains.to_vec();
        for s in &self.sans {
            if !names.contains(s) {
                names.push(s.clone());
            }
        }
        let mut params = CertificateParams::default();
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => n
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(|e| format!("{n}: {e}")),
            })
            .collect::<Result<_, _>>()?;
        let mut dn = DistinguishedName::new();
        let cn = self
            .common_name
            .clone()
            .or_else(|| domains.first().cloned())
            .unwrap_or_else(|| "localhost".into());
        dn.push(DnType::CommonName, cn);
        for (t, v) in [
            (DnType::OrganizationName, &self.organization),
            (DnType::OrganizationalUnitName, &self.organizational_unit),
            (DnType::CountryName, &self.country),
            (DnType::StateOrProvinceName, &self.province),
            (DnType::LocalityName, &self.locality),
        ] {
            if let Some(v) = v {
                dn.push(t, v.clone());
            }
        }
        params.distinguished_name = dn;
        let now = time::OffsetDateTime::now_utc();
        // A minute back, so that a client with a slightly slow clock accepts it at once.
        params.not_before = now - time::Duration::minutes(1);
        params.not_after = now + time::Duration::days(i64::from(self.validity_days));
        let key = KeyPair::generate_for(self.key_type.algorithm()).map_err(|e| e.to_string())?;
        let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
        Ok(PemPair {
            cert: cert.pem(),
            key: key.serialize_pem(),
        })
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, i64, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn decode((id, body, created_at, updated_at): (i64, String, i64, i64)) -> Template {
    let spec = serde_json::from_str(&body).unwrap_or_else(|e| {
        tracing::warn!(id, error = %e, "unreadable certificate template");
        TemplateInput {
            name: format!("unreadable-{id}"),
            common_name: None,
            organization: None,
            organizational_unit: None,
            country: None,
            province: None,
            locality: None,
            sans: Vec::new(),
            key_type: KeyType::default(),
            validity_days: default_validity(),
            description: String::new(),
        }
    });
    Template {
        id,
        spec,
        created_at,
        updated_at,
    }
}

/// Every template, by id.
pub fn list(c: &Connection) -> rusqlite::Result<Vec<Template>> {
    let mut st =
        c.prepare("SELECT id, body, created_at, updated_at FROM cert_templates ORDER BY id")?;
    let rows = st.query_map([], row)?;
    rows.map(|r| r.map(decode)).collect()
}

/// One template.
pub fn get(c: &Connection, id: i64) -> rusqlite::Result<Option<Template>> {
    c.query_row(
        "SELECT id, body, created_at, updated_at FROM cert_templates WHERE id = ?1",
        [id],
        row,
    )
    .optional()
    .map(|r| r.map(decode))
}

/// What a write found.
pub enum Written {
    /// Done; the id.
    Ok(i64),
    /// Another template has this name.
    NameTaken,
    /// No template with this id.
    Missing,
}

fn name_taken(c: &Connection, name: &str, except: i64) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT COUNT(*) FROM cert_templates WHERE name = ?1 AND id != ?2",
        params![name, except],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Creates a template.
pub fn create(c: &Connection, t: &TemplateInput, now: i64) -> rusqlite::Result<Written> {
    if name_taken(c, &t.name, 0)? {
        return Ok(Written::NameTaken);
    }
    let body = serde_json::to_string(t).unwrap_or_default();
    c.execute(
        "INSERT INTO cert_templates (name, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![t.name, body, now],
    )?;
    Ok(Written::Ok(c.last_insert_rowid()))
}

/// Replaces template `id`.
pub fn update(c: &Connection, id: i64, t: &TemplateInput, now: i64) -> rusqlite::Result<Written> {
    if name_taken(c, &t.name, id)? {
        return Ok(Written::NameTaken);
    }
    let body = serde_json::to_string(t).unwrap_or_default();
    let n = c.execute(
        "UPDATE cert_templates SET name = ?1, body = ?2, updated_at = ?3 WHERE id = ?4",
        params![t.name, body, now, id],
    )?;
    Ok(if n == 0 {
        Written::Missing
    } else {
        Written::Ok(id)
    })
}

/// Deletes template `id`; whether it existed.
pub fn delete(c: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute("DELETE FROM cert_templates WHERE id = ?1", [id])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TemplateInput {
        serde_json::from_value(
            serde_json::json!({"name": " t ", "country": "de", "sans": ["A.example", "10.0.0.1"]}),
        )
        .expect("input")
    }

    #[test]
    fn checked_normalises_and_refuses() {
        let t = input().checked().expect("ok");
        assert_eq!(t.name, "t");
        assert_eq!(t.country.as_deref(), Some("DE"));
        assert_eq!(t.sans, vec!["a.example", "10.0.0.1"]);
        for bad in [
            serde_json::json!({"name": "x", "country": "DEU"}),
            serde_json::json!({"name": "x", "sans": ["bad name"]}),
            serde_json::json!({"name": "x", "validity_days": 0}),
            serde_json::json!({"name": ""}),
        ] {
            let i: TemplateInput = serde_json::from_value(bad.clone()).expect("shape");
            assert!(i.checked().is_err(), "{bad}");
        }
    }

    #[test]
    fn issued_pair_loads() {
        for kt in [KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::Ed25519] {
            let mut t = input().checked().expect("ok");
            t.key_type = kt;
            let p = t.issue(&["site.example".into()]).expect("issue");
            assert!(PemPair::parse(p.cert, p.key).is_ok(), "{kt:?}");
        }
    }
}
