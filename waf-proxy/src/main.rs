//! waf-proxy: the WAF data plane.
//!
//! `waf-proxy --listen ADDR --upstream URL [...]` or `waf-proxy --config FILE` runs the proxy;
//! `check` and `replay` are offline tools. Pingora's own options (`--daemon`, `--upgrade`,
//! `--conf`, `--test`) pass through.

mod acme;
mod body;
mod cache;
mod captcha;
mod challenge;
mod cli;
mod config;
mod conn;
mod control;
mod decode;
mod error;
mod events;
mod feedback;
mod geo;
mod guard;
mod inspect;
mod logs;
mod observe;
mod pages;
mod proxy;
mod rules_dir;
mod server;
mod state;
mod stats;
mod tls;
mod upstream;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use pingora_core::server::configuration::Opt;

use crate::config::ProxyConfig;

#[derive(Parser)]
#[command(
    name = "waf-proxy",
    version,
    about = "Web application firewall reverse proxy (Pingora)"
)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// YAML configuration file (listeners, upstream, rules dir, control socket, ...). Flags
    /// below override its values.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Plain HTTP listener, e.g. 127.0.0.1:8080 (repeatable).
    #[arg(long)]
    listen: Vec<String>,
    /// HTTPS listener; certificates chosen per site by SNI (repeatable).
    #[arg(long)]
    tls_listen: Vec<String>,
    /// Upstream for every host without a site, e.g. http://127.0.0.1:18000.
    #[arg(long)]
    upstream: Option<String>,
    /// Rules directory (default: the embedded default policy).
    #[arg(long)]
    rules_dir: Option<PathBuf>,
    /// Unix control socket.
    #[arg(long)]
    control_socket: Option<PathBuf>,
    /// Attack event log (JSON lines).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Prometheus listener, e.g. 127.0.0.1:9100.
    #[arg(long)]
    metrics: Option<String>,
    /// Worker threads.
    #[arg(long)]
    threads: Option<usize>,
    /// Inspection off (plain reverse proxy; the benchmark baseline).
    #[arg(long)]
    no_waf: bool,
    /// MaxMind country database.
    #[arg(long)]
    geoip: Option<PathBuf>,
    /// Response cache memory bound in bytes (default 256 MiB).
    #[arg(long)]
    cache_max_bytes: Option<usize>,
    /// Largest response the cache stores, in bytes (default 8 MiB).
    #[arg(long)]
    cache_max_entry_bytes: Option<usize>,
    /// Pingora options.
    #[command(flatten)]
    pingora: Opt,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate and compile a rule set; exit 1 with every error if it does not compile.
    Check {
        /// Rules directory (default: the embedded default policy).
        #[arg(long)]
        rules_dir: Option<PathBuf>,
    },
    /// Evaluate JSON-lines requests from stdin offline; print a verdict per line and a summary.
    Replay {
        /// Rules directory (default: the embedded default policy).
        #[arg(long)]
        rules_dir: Option<PathBuf>,
        /// Print only the summary.
        #[arg(long)]
        quiet: bool,
    },
}

fn config(args: Args) -> Result<(ProxyConfig, Opt), error::StartError> {
    let mut cfg = match &args.config {
        Some(p) => ProxyConfig::from_file(p)?,
        None => ProxyConfig::default(),
    };
    if !args.listen.is_empty() {
        cfg.listen = args.listen;
    }
    if !args.tls_listen.is_empty() {
        cfg.tls_listen = args.tls_listen;
    }
    cfg.upstream = args.upstream.or(cfg.upstream);
    cfg.rules_dir = args.rules_dir.or(cfg.rules_dir);
    cfg.control_socket = args.control_socket.or(cfg.control_socket);
    cfg.events = args.events.or(cfg.events);
    cfg.metrics = args.metrics.or(cfg.metrics);
    cfg.threads = args.threads.or(cfg.threads);
    cfg.geoip = args.geoip.or(cfg.geoip);
    cfg.no_waf |= args.no_waf;
    if let Some(n) = args.cache_max_bytes {
        cfg.cache.max_bytes = n;
    }
    if let Some(n) = args.cache_max_entry_bytes {
        cfg.cache.max_entry_bytes = n;
    }
    Ok((cfg, args.pingora))
}

fn main() {
    let args = Args::parse();
    let code = match args.cmd {
        Some(Cmd::Check { rules_dir }) => cli::check(rules_dir.as_deref()),
        Some(Cmd::Replay { rules_dir, quiet }) => cli::replay(
            rules_dir.as_deref(),
            std::io::stdin().lock(),
            std::io::stdout().lock(),
            quiet,
        ),
        None => {
            logs::init();
            match config(args).and_then(|(cfg, opt)| server::run(cfg, opt)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("waf-proxy: {e}");
                    1
                }
            }
        }
    };
    std::process::exit(code);
}
