//! Certificates: the listener's own (self-signed on first start), and the store under
//! `DATA_DIR/certs` that sites point at. Private keys are written mode 0600.

use std::fs;
use std::io::{BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its key, both PEM, checked to load together.
#[derive(Debug, Clone)]
pub struct PemPair {
    /// Certificate chain.
    pub cert: String,
    /// Private key.
    pub key: String,
}

impl PemPair {
    /// Parses and checks a pair: at least one certificate, one private key, usable together.
    pub fn parse(cert: String, key: String) -> Result<Self, String> {
        server_config(cert.as_bytes(), key.as_bytes())?;
        Ok(PemPair { cert, key })
    }

    /// A self-signed certificate for `names` (DNS names or IPs).
    pub fn self_signed(names: Vec<String>) -> Result<Self, String> {
        let ck = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
        Ok(PemPair {
            cert: ck.cert.pem(),
            key: ck.signing_key.serialize_pem(),
        })
    }

    /// Writes `<dir>/<name>.crt` and `<name>.key` (0600); returns their paths.
    pub fn save(&self, dir: &Path, name: &str) -> std::io::Result<(PathBuf, PathBuf)> {
        fs::create_dir_all(dir)?;
        let crt = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        fs::write(&crt, &self.cert)?;
        write_private(&key, self.key.as_bytes())?;
        Ok((crt, key))
    }
}

/// Writes a secret file with mode 0600 (created so; never world-readable in between).
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// A rustls server configuration from PEM.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<rustls::ServerConfig, String> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut BufReader::new(cert_pem))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    if certs.is_empty() {
        return Err("certificate: no PEM certificate found".into());
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut BufReader::new(key_pem))
        .map_err(|e| format!("key: {e}"))?
        .ok_or("key: no PEM private key found")?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key do not go together: {e}"))
}

/// The listener's configuration: `--tls-cert/--tls-key`, or `DATA_DIR/tls/` (generated on first
/// start for localhost and 127.0.0.1).
pub fn listener_config(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<rustls::ServerConfig, String> {
    let (cert, key) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        (None, None) => {
            let dir = data_dir.join("tls");
            let (c, k) = (dir.join("waf-admin.crt"), dir.join("waf-admin.key"));
            if !c.exists() || !k.exists() {
                let pair = PemPair::self_signed(vec!["localhost".into(), "127.0.0.1".into()])?;
                pair.save(&dir, "waf-admin").map_err(|e| e.to_string())?;
                tracing::info!(cert = %c.display(), "generated a self-signed certificate");
            }
            (c, k)
        }
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let read = |p: &Path| fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    server_config(&read(&cert)?, &read(&key)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pair_loads() {
        let p = PemPair::self_signed(vec!["example.com".into()]).expect("gen");
        assert!(PemPair::parse(p.cert.clone(), p.key.clone()).is_ok());
        let other = PemPair::self_signed(vec!["example.org".into()]).expect("gen");
        assert!(PemPair::parse(p.cert, other.key).is_err());
        assert!(PemPair::parse("junk".into(), "junk".into()).is_err());
    }
}
