//! TLS termination: per-site certificates chosen by SNI during the handshake.
//!
//! The certificate table is rebuilt on every reload and swapped atomically, so adding a site's
//! certificate needs no restart. A site with `enable_https` and no certificate gets a self-signed
//! one generated at load time. The SNI the client sent is attached to the connection so the
//! HTTP layer can check the Host header against it.
//!
//! TLS versions: the rule set's `settings.tls_versions` (written by waf-admin's
//! `POST /openapi/v1/waf/tls-versions`) travels with the certificate table; the ClientHello
//! callback ([`limit_versions`]) sets the connection's min/max version from the live table before
//! OpenSSL picks the version, so a reload changes it for every new handshake. Without it, the
//! acceptor's `tls_min_version` from the proxy config applies.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora_core::listeners::TlsAccept;
use pingora_core::protocols::tls::TlsRef;
use pingora_core::tls::error::ErrorStack;
use pingora_core::tls::ext;
use pingora_core::tls::pkey::{PKey, Private};
use pingora_core::tls::ssl::{ClientHelloResponse, NameType, SslAlert, SslRef, SslVersion};
use pingora_core::tls::x509::X509;
use waf_core::model::TlsVersion;
use waf_core::Policy;

/// A certificate chain and its key.
pub struct CertKey {
    chain: Vec<X509>,
    key: PKey<Private>,
}

impl CertKey {
    fn from_pem(cert: &[u8], key: &[u8]) -> Result<CertKey, String> {
        let chain = X509::stack_from_pem(cert).map_err(|e| format!("certificate: {e}"))?;
        if chain.is_empty() {
            return Err("certificate: no PEM certificate found".into());
        }
        let key = PKey::private_key_from_pem(key).map_err(|e| format!("key: {e}"))?;
        Ok(CertKey { chain, key })
    }

    fn self_signed(names: &[String]) -> Result<CertKey, String> {
        let names: Vec<String> = names
            .iter()
            .map(|n| n.trim_start_matches("*.").to_string())
            .collect();
        let ck = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
        CertKey::from_pem(
            ck.cert.pem().as_bytes(),
            ck.signing_key.serialize_pem().as_bytes(),
        )
    }
}

/// Certificates by lower-case server name.
#[derive(Default)]
pub struct Certs {
    exact: HashMap<String, Arc<CertKey>>,
    wildcard: Vec<(String, Arc<CertKey>)>,
    fallback: Option<Arc<CertKey>>,
    /// (min, max) TLS version from the rule set, `None` = the acceptor's default.
    versions: Option<(SslVersion, SslVersion)>,
}

impl Certs {
    /// Loads the certificates of every HTTPS site of `policy`. Relative paths are resolved
    /// against `cert_dir`. Problems are returned as messages; the site is then served with a
    /// self-signed certificate rather than failing the reload.
    pub fn build(policy: &Policy, cert_dir: Option<&Path>) -> (Certs, Vec<String>) {
        let mut certs = Certs::default();
        let mut problems = Vec::new();
        let resolve = |p: &str| -> PathBuf {
            let p = Path::new(p);
            match cert_dir {
                Some(d) if p.is_relative() => d.join(p),
                _ => p.to_path_buf(),
            }
        };
        for site in policy.rules().sites.iter().filter(|s| s.enable_https) {
            let loaded = match (&site.cert_file, &site.key_file) {
                (Some(c), Some(k)) => {
                    let read = std::fs::read(resolve(c))
                        .map_err(|e| format!("{c}: {e}"))
                        .and_then(|c| {
                            std::fs::read(resolve(k))
                                .map_err(|e| format!("{k}: {e}"))
                                .map(|k| (c, k))
                        });
                    read.and_then(|(c, k)| CertKey::from_pem(&c, &k))
                }
                _ => CertKey::self_signed(&site.domains),
            };
            let ck = match loaded {
                Ok(ck) => Arc::new(ck),
                Err(e) => {
                    problems.push(format!(
                        "site {}: {e}; using a self-signed certificate",
                        site.id
                    ));
                    match CertKey::self_signed(&site.domains) {
                        Ok(ck) => Arc::new(ck),
                        Err(e) => {
                            problems.push(format!("site {}: self-signed: {e}", site.id));
                            continue;
                        }
                    }
                }
            };
            for d in &site.domains {
                match d.strip_prefix("*.") {
                    Some(suffix) => certs.wildcard.push((suffix.to_string(), ck.clone())),
                    None => {
                        certs.exact.insert(d.clone(), ck.clone());
                    }
                }
            }
            if certs.fallback.is_none() {
                certs.fallback = Some(ck);
            }
        }
        certs.versions = policy
            .settings()
            .tls_versions
            .as_deref()
            .and_then(version_range);
        if certs.fallback.is_none() {
            match CertKey::self_signed(&["localhost".to_string()]) {
                Ok(ck) => certs.fallback = Some(Arc::new(ck)),
                Err(e) => problems.push(format!("default self-signed certificate: {e}")),
            }
        }
        (certs, problems)
    }

    fn find(&self, name: Option<&str>) -> Option<&Arc<CertKey>> {
        let Some(name) = name.map(str::to_ascii_lowercase) else {
            return self.fallback.as_ref();
        };
        self.exact
            .get(&name)
            .or_else(|| {
                self.wildcard
                    .iter()
                    .filter(|(s, _)| {
                        name.len() > s.len() + 1
                            && name.ends_with(s.as_str())
                            && name.as_bytes()[name.len() - s.len() - 1] == b'.'
                    })
                    .max_by_key(|(s, _)| s.len())
                    .map(|(_, c)| c)
            })
            .or(self.fallback.as_ref())
    }
}

fn ssl_version(v: TlsVersion) -> SslVersion {
    match v {
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    }
}

/// The (lowest, highest) of a sorted version list.
fn version_range(v: &[TlsVersion]) -> Option<(SslVersion, SslVersion)> {
    Some((ssl_version(*v.first()?), ssl_version(*v.last()?)))
}

/// The ClientHello callback: restricts this connection to the rule set's TLS versions (read from
/// the live table, so a reload applies to the next handshake). OpenSSL chooses the version after
/// this callback, so a client below the minimum fails the handshake with `protocol_version`.
pub fn limit_versions(
    certs: &ArcSwap<Certs>,
    ssl: &mut SslRef,
) -> Result<ClientHelloResponse, ErrorStack> {
    if let Some((min, max)) = certs.load().versions {
        ssl.set_min_proto_version(Some(min))?;
        ssl.set_max_proto_version(Some(max))?;
    }
    Ok(ClientHelloResponse::SUCCESS)
}

/// Installs [`limit_versions`] on an acceptor builder.
pub fn install_version_limit(
    builder: &mut pingora_core::tls::ssl::SslContextBuilder,
    certs: Arc<ArcSwap<Certs>>,
) {
    builder.set_client_hello_callback(move |ssl: &mut SslRef, _alert: &mut SslAlert| {
        limit_versions(&certs, ssl)
    });
}

/// The SNI a client sent, attached to its TLS connection.
pub struct Sni(pub String);

/// The handshake callbacks: picks the certificate from the live table.
pub struct CertResolver {
    /// The live table (swapped on reload).
    pub certs: Arc<ArcSwap<Certs>>,
}

#[async_trait]
impl TlsAccept for CertResolver {
    async fn certificate_callback(&self, ssl: &mut TlsRef) {
        let certs = self.certs.load();
        let name = ssl.servername(NameType::HOST_NAME).map(str::to_string);
        let Some(ck) = certs.find(name.as_deref()) else {
            tracing::warn!(sni = ?name, "no certificate");
            return;
        };
        let Some(leaf) = ck.chain.first() else { return };
        if let Err(e) = ext::ssl_use_certificate(ssl, leaf) {
            tracing::warn!("ssl_use_certificate: {e}");
            return;
        }
        for extra in ck.chain.iter().skip(1) {
            if let Err(e) = ext::ssl_add_chain_cert(ssl, extra) {
                tracing::warn!("ssl_add_chain_cert: {e}");
            }
        }
        if let Err(e) = ext::ssl_use_private_key(ssl, &ck.key) {
            tracing::warn!("ssl_use_private_key: {e}");
        }
    }

    async fn handshake_complete_callback(
        &self,
        ssl: &TlsRef,
    ) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        ssl.servername(NameType::HOST_NAME)
            .map(|s| Arc::new(Sni(s.to_ascii_lowercase())) as Arc<dyn std::any::Any + Send + Sync>)
    }
}
