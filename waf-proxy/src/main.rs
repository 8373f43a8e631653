//! waf-proxy: the WAF data plane.

mod cli;
mod rules_dir;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "waf-proxy",
    version,
    about = "Web application firewall reverse proxy (Pingora)"
)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
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
            eprintln!(
                "the proxy itself is not built yet; use `waf-proxy check` or `waf-proxy replay`"
            );
            2
        }
    };
    std::process::exit(code);
}
