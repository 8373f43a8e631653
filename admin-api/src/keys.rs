//! API keys: `fwk_<10-char prefix>_<32-char secret>`.
//!
//! Only `sha256(salt || secret)` and the salt are stored; the secret is compared in constant time.
//! The secret is 32 random alphanumerics (~190 bits), so a fast salted hash is enough: there is no
//! low-entropy password to stretch.

use std::fmt;
use std::str::FromStr;

use rand::distr::{Alphanumeric, SampleString};
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who made an authenticated call.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Key id (0 for the admin token).
    pub id: i64,
    /// Key prefix, or `admin`.
    pub prefix: String,
}

/// The modules: what a scope names and what a route declares it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    /// ACL rules, the WisPanel rate-limit whitelist.
    Acl,
    /// CC rules, WisPanel's rate limit.
    Cc,
    /// Custom rules, WisPanel's custom ModSecurity rules.
    CustomRules,
    /// Sites and upstream health.
    Site,
    /// Global settings, WisPanel's ModSecurity switches.
    Settings,
    /// Attack logs.
    Attack,
    /// Response cache (not built).
    Cache,
    /// Managed rules.
    Rule,
    /// Stats and monitoring, WisPanel's version info.
    Monitor,
    /// Observation room: rules, configuration and records.
    Obs,
    /// Plugins (not built).
    Plugins,
    /// WAF settings: TLS versions, HTTP/3.
    Waf,
    /// Let's Encrypt (not built).
    Letsencrypt,
    /// Feedbacks: false-positive reports from block pages.
    Feedbacks,
    /// Certificates.
    Cert,
    /// Certificate templates.
    CertTemplate,
    /// The realtime WebSocket (not built).
    Realtime,
    /// QR codes.
    Qrcode,
}

impl Module {
    /// Every module.
    pub const ALL: [Module; 18] = [
        Module::Acl,
        Module::Cc,
        Module::CustomRules,
        Module::Site,
        Module::Settings,
        Module::Attack,
        Module::Cache,
        Module::Rule,
        Module::Monitor,
        Module::Obs,
        Module::Plugins,
        Module::Waf,
        Module::Letsencrypt,
        Module::Feedbacks,
        Module::Cert,
        Module::CertTemplate,
        Module::Realtime,
        Module::Qrcode,
    ];

    /// The name scopes use (`acl` in `acl:write`).
    pub const fn name(self) -> &'static str {
        match self {
            Module::Acl => "acl",
            Module::Cc => "cc",
            Module::CustomRules => "custom-rules",
            Module::Site => "site",
            Module::Settings => "settings",
            Module::Attack => "attack",
            Module::Cache => "cache",
            Module::Rule => "rule",
            Module::Monitor => "monitor",
            Module::Obs => "obs",
            Module::Plugins => "plugins",
            Module::Waf => "waf",
            Module::Letsencrypt => "letsencrypt",
            Module::Feedbacks => "feedbacks",
            Module::Cert => "cert",
            Module::CertTemplate => "cert-template",
            Module::Realtime => "realtime",
            Module::Qrcode => "qrcode",
        }
    }

    /// The module of a scope name.
    pub fn from_name(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Read or read-write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// GET-like.
    Read,
    /// Changes state; implies read.
    Write,
}

/// One scope: `*:read`, `acl:write`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `None` is `*`.
    pub module: Option<Module>,
    /// Granted access.
    pub access: Access,
}

impl Scope {
    /// Whether this scope allows `access` on `module`.
    pub fn allows(&self, module: Module, access: Access) -> bool {
        self.module.is_none_or(|m| m == module) && self.access >= access
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (m, a) = s
            .trim()
            .rsplit_once(':')
            .ok_or_else(|| format!("scope `{s}` is not module:read or module:write"))?;
        let access = match a {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return Err(format!("scope `{s}`: access must be read or write")),
        };
        let module = match m {
            "*" => None,
            m => Some(
                Module::from_name(m).ok_or_else(|| format!("scope `{s}`: unknown module `{m}`"))?,
            ),
        };
        Ok(Scope { module, access })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        write!(f, "{}:{a}", self.module.map_or("*", Module::name))
    }
}

/// A non-empty, parsed scope list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(pub Vec<Scope>);

impl Scopes {
    /// Parses a list; at least one scope is required.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let v: Vec<Scope> = items
            .iter()
            .map(|s| s.as_ref().trim())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        if v.is_empty() {
            return Err("at least one scope is required".into());
        }
        Ok(Scopes(v))
    }
    /// Whether any scope allows the access.
    pub fn allows(&self, module: Module, access: Access) -> bool {
        self.0.iter().any(|s| s.allows(module, access))
    }
    /// As stored and listed.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// A key as presented in `Authorization: Bearer`.
#[derive(Debug)]
pub struct PresentedKey<'a> {
    /// The 10-char prefix.
    pub prefix: &'a str,
    /// The 32-char secret.
    pub secret: &'a str,
}

impl<'a> PresentedKey<'a> {
    /// Splits `fwk_<prefix>_<secret>`; `None` when the shape is wrong.
    pub fn parse(token: &'a str) -> Option<Self> {
        let rest = token.strip_prefix("fwk_")?;
        let (prefix, secret) = rest.split_once('_')?;
        let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_alphanumeric());
        (ok(prefix, 10) && ok(secret, 32)).then_some(PresentedKey { prefix, secret })
    }
}

/// A stored key, without its hash.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct KeyInfo {
    /// Row id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The 10-char prefix (shown as `fwk_<prefix>_***`).
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Enabled.
    pub enabled: bool,
    /// Unix seconds, 0 = never.
    pub expire_at: i64,
    /// Unix seconds, 0 = never used (persisted every 30 s).
    pub last_used_at: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// A key found by its prefix, with what is needed to check it.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Public part.
    pub info: KeyInfo,
    /// Parsed scopes.
    pub scopes: Scopes,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl StoredKey {
    /// Constant-time check of a presented secret.
    pub fn verify(&self, secret: &str) -> bool {
        hash_secret(&self.salt, secret).ct_eq(&self.hash).into()
    }
}

fn hash_secret(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    h.finalize().to_vec()
}

/// A new key: what to show once, and what was stored.
#[derive(Debug)]
pub struct CreatedKey {
    /// The full key, shown once.
    pub key: String,
    /// The stored record.
    pub info: KeyInfo,
}

/// A validated request to create a key.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Display name (non-empty, at most 100 chars).
    pub name: String,
    /// Scopes.
    pub scopes: Scopes,
    /// Unix seconds, 0 = never.
    pub expire_at: i64,
}

impl NewKey {
    /// Checks the parts of a create request.
    pub fn parse<S: AsRef<str>>(name: &str, scopes: &[S], expire_at: i64) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err("name: 1 to 100 characters".into());
        }
        if expire_at < 0 {
            return Err("expire_at: unix seconds, 0 = never".into());
        }
        Ok(NewKey {
            name: name.to_string(),
            scopes: Scopes::parse(scopes).map_err(|e| format!("scopes: {e}"))?,
            expire_at,
        })
    }
}

/// Creates a key; the returned `key` is the only time the secret exists in clear.
pub fn create(conn: &Connection, new: &NewKey, now: i64) -> rusqlite::Result<CreatedKey> {
    let mut rng = rand::rng();
    let prefix = Alphanumeric.sample_string(&mut rng, 10);
    let secret = Alphanumeric.sample_string(&mut rng, 32);
    let mut salt = vec![0u8; 16];
    rng.fill_bytes(&mut salt);
    let hash = hash_secret(&salt, &secret);
    let scopes = new.scopes.to_strings();
    conn.execute(
        "INSERT INTO api_keys (name, prefix, salt, hash, scopes, enabled, expire_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7)",
        params![
            new.name,
            prefix,
            salt,
            hash,
            scopes.join(","),
            new.expire_at,
            now
        ],
    )?;
    Ok(CreatedKey {
        key: format!("fwk_{prefix}_{secret}"),
        info: KeyInfo {
            id: conn.last_insert_rowid(),
            name: new.name.clone(),
            prefix,
            scopes,
            enabled: true,
            expire_at: new.expire_at,
            last_used_at: 0,
            created_at: now,
        },
    })
}

const COLUMNS: &str =
    "id, name, prefix, scopes, enabled, expire_at, last_used_at, created_at, salt, hash";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredKey> {
    let scopes_text: String = r.get(3)?;
    let list: Vec<&str> = scopes_text.split(',').collect();
    // Stored scopes were validated at creation; an unparsable row grants nothing.
    let scopes = Scopes::parse(&list).unwrap_or(Scopes(Vec::new()));
    Ok(StoredKey {
        info: KeyInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            prefix: r.get(2)?,
            scopes: scopes.to_strings(),
            enabled: r.get::<_, i64>(4)? != 0,
            expire_at: r.get(5)?,
            last_used_at: r.get(6)?,
            created_at: r.get(7)?,
        },
        scopes,
        salt: r.get(8)?,
        hash: r.get(9)?,
    })
}

/// The key with this prefix.
pub fn find(conn: &Connection, prefix: &str) -> rusqlite::Result<Option<StoredKey>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE prefix = ?1"),
        [prefix],
        row,
    )
    .optional()
}

/// Every key, oldest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<KeyInfo>> {
    let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY id"))?;
    let rows = st.query_map([], row)?;
    rows.map(|r| r.map(|k| k.info)).collect()
}

/// Enables or disables a key; false when there is no such key.
pub fn set_enabled(conn: &Connection, id: i64, enabled: bool) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE api_keys SET enabled = ?2 WHERE id = ?1",
        params![id, enabled as i64],
    )? > 0)
}

/// Deletes keys by id; returns how many.
pub fn revoke(conn: &Connection, ids: &[i64]) -> rusqlite::Result<usize> {
    let mut n = 0;
    for id in ids {
        n += conn.execute("DELETE FROM api_keys WHERE id = ?1", [id])?;
    }
    Ok(n)
}

/// Deletes a key by prefix (the CLI's `keys revoke --prefix`).
pub fn revoke_prefix(conn: &Connection, prefix: &str) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM api_keys WHERE prefix = ?1", [prefix])
}

/// Deletes every key.
pub fn revoke_all(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM api_keys", [])
}

/// Persists last-used times gathered in memory.
pub fn touch(conn: &Connection, used: &[(i64, i64)]) -> rusqlite::Result<()> {
    for (id, at) in used {
        conn.execute(
            "UPDATE api_keys SET last_used_at = MAX(last_used_at, ?2) WHERE id = ?1",
            params![id, at],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shape_and_verify() {
        let conn = crate::db::open_in_memory().expect("db");
        let new = NewKey::parse("ci", &["acl:read"], 0).expect("valid");
        let k = create(&conn, &new, 1).expect("create");
        let p = PresentedKey::parse(&k.key).expect("shape");
        assert_eq!(p.prefix.len(), 10);
        assert_eq!(p.secret.len(), 32);
        let stored = find(&conn, p.prefix).expect("q").expect("found");
        assert!(stored.verify(p.secret));
        assert!(!stored.verify("x".repeat(32).as_str()));
        assert!(PresentedKey::parse("fwk_short_secret").is_none());
    }

    #[test]
    fn scopes() {
        let s = Scopes::parse(&["acl:write", "*:read"]).expect("ok");
        assert!(s.allows(Module::Acl, Access::Write));
        assert!(s.allows(Module::Cc, Access::Read));
        assert!(!s.allows(Module::Cc, Access::Write));
        assert!(Scopes::parse::<&str>(&[]).is_err());
        assert!(Scopes::parse(&["nope:read"]).is_err());
        assert!(Scopes::parse(&["acl:admin"]).is_err());
    }
}
