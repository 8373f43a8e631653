//! Command line: the server flags, and `keys create|list|revoke` for bootstrapping and CI.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::keys::{self, NewKey};
use crate::state::now;

/// waf-admin: the FOXWAF-compatible management API of the WAF.
#[derive(Debug, Parser)]
#[command(name = "waf-admin", version)]
pub struct Cli {
    /// Key management without the server.
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    /// Server flags.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Flags of the server.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8088.
    #[arg(long)]
    pub listen: Option<String>,
    /// Data directory: rules/ (read by waf-proxy --rules-dir), waf-admin.db, admin-token, tls/.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// waf-proxy's control socket (--control-socket).
    #[arg(long)]
    pub proxy_socket: Option<PathBuf>,
    /// PEM certificate chain (default: a self-signed one in DATA_DIR/tls).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// waf-proxy's attack event log (its --events), ingested into the attack log
    /// [default: DATA_DIR/events.jsonl].
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Serve plain HTTP; key-authenticated calls then only from loopback.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub plain_http: bool,
    /// ACME directory URL of the CA that issues the sites' certificates.
    #[arg(long, default_value = crate::acme::LETSENCRYPT_DIRECTORY)]
    pub acme_directory: String,
    /// PEM root certificate to trust for the ACME directory instead of the system roots (a
    /// test CA such as pebble's).
    #[arg(long)]
    pub acme_ca_file: Option<PathBuf>,
    /// DNS server (ip:port) `letsencrypt/check-dns` asks [default: the system resolver].
    #[arg(long)]
    pub acme_dns_server: Option<std::net::SocketAddr>,
    /// Seconds between two runs of the automatic renewal.
    #[arg(long, default_value_t = 12 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub acme_renew_interval_secs: u64,
    /// Renew installed certificates expiring within this many days.
    #[arg(long, default_value_t = 30)]
    pub acme_renew_before_days: u64,
}

impl ServeArgs {
    /// The ACME configuration of these flags.
    pub fn acme_config(&self) -> crate::acme::AcmeConfig {
        crate::acme::AcmeConfig {
            directory: self.acme_directory.clone(),
            ca_file: self.acme_ca_file.clone(),
            dns_server: self.acme_dns_server,
            renew_interval: std::time::Duration::from_secs(self.acme_renew_interval_secs),
            renew_before: std::time::Duration::from_secs(self.acme_renew_before_days * 86_400),
            ..crate::acme::AcmeConfig::default()
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// API keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        cmd: KeysCmd,
    },
}

/// `waf-admin keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Create a key and print it (the only time it is shown).
    Create {
        /// Data directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes, e.g. `acl:write,cc:read` or `*:write`.
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Expiry, unix seconds (0 = never).
        #[arg(long, default_value_t = 0)]
        expire_at: i64,
    },
    /// List keys (never their secrets).
    List {
        /// Data directory.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Revoke keys.
    Revoke {
        /// Data directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// Key id.
        #[arg(long, conflicts_with_all = ["prefix", "all"])]
        id: Option<i64>,
        /// Key prefix (the 10 characters after `fwk_`).
        #[arg(long, conflicts_with = "all")]
        prefix: Option<String>,
        /// Every key.
        #[arg(long)]
        all: bool,
    },
}

/// The database file in a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("waf-admin.db")
}

/// Runs a `keys` subcommand; returns the exit code.
pub fn run_keys(cmd: KeysCmd) -> i32 {
    match keys_inner(cmd) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn open(data_dir: &Path) -> Result<rusqlite::Connection, String> {
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    crate::db::open(&db_path(data_dir)).map_err(|e| e.to_string())
}

fn keys_inner(cmd: KeysCmd) -> Result<(), String> {
    match cmd {
        KeysCmd::Create {
            data_dir,
            name,
            scopes,
            expire_at,
        } => {
            let new = NewKey::parse(&name, &scopes, expire_at)?;
            let conn = open(&data_dir)?;
            let created = keys::create(&conn, &new, now()).map_err(|e| e.to_string())?;
            eprintln!(
                "created key {} (id {}, scopes {}); it is shown only now:",
                created.info.name,
                created.info.id,
                created.info.scopes.join(",")
            );
            println!("{}", created.key);
        }
        KeysCmd::List { data_dir } => {
            let conn = open(&data_dir)?;
            println!("id\tname\tprefix\tscopes\tenabled\texpire_at\tlast_used_at");
            for k in keys::list(&conn).map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\tfwk_{}_***\t{}\t{}\t{}\t{}",
                    k.id,
                    k.name,
                    k.prefix,
                    k.scopes.join(","),
                    k.enabled,
                    k.expire_at,
                    k.last_used_at
                );
            }
        }
        KeysCmd::Revoke {
            data_dir,
            id,
            prefix,
            all,
        } => {
            let conn = open(&data_dir)?;
            let n = match (id, prefix, all) {
                (Some(id), _, _) => keys::revoke(&conn, &[id]),
                (_, Some(p), _) => keys::revoke_prefix(&conn, &p),
                (_, _, true) => keys::revoke_all(&conn),
                _ => return Err("give --id, --prefix or --all".into()),
            }
            .map_err(|e| e.to_string())?;
            println!("revoked {n} key(s)");
            if n == 0 {
                return Err("no such key".into());
            }
        }
    }
    Ok(())
}

/// The admin token: `WAF_ADMIN_TOKEN`, else `DATA_DIR/admin-token` (created 0600 on first start).
pub fn admin_token(data_dir: &Path) -> Result<String, String> {
    if let Ok(t) = std::env::var("WAF_ADMIN_TOKEN") {
        if t.len() >= 16 {
            return Ok(t);
        }
        return Err("WAF_ADMIN_TOKEN must be at least 16 characters".into());
    }
    let path = data_dir.join("admin-token");
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        _ => {
            use rand::distr::{Alphanumeric, SampleString};
            let t = format!("wat_{}", Alphanumeric.sample_string(&mut rand::rng(), 40));
            crate::tls::write_private(&path, format!("{t}\n").as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "created the admin token file (mode 0600)");
            Ok(t)
        }
    }
}
