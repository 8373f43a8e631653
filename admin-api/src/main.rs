//! `waf-admin`: starts the management API, or manages keys (`waf-admin keys ...`).

use std::time::Duration;

use actix_web::{web, HttpServer};
use admin_api::cli::{self, Cli, Cmd, ServeArgs};
use admin_api::proxy::ProxyClient;
use admin_api::state::{AppState, Transport};
use admin_api::store::RuleStore;
use admin_api::{build_app, db};
use clap::Parser;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Cli::parse();
    let code = match args.cmd {
        Some(Cmd::Keys { cmd }) => cli::run_keys(cmd),
        None => match serve(args.serve) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
    };
    std::process::exit(code);
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let acme = args.acme_config();
    let (Some(listen), Some(data_dir), Some(socket)) =
        (args.listen, args.data_dir, args.proxy_socket)
    else {
        return Err("--listen, --data-dir and --proxy-socket are required (see --help)".into());
    };
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let token = cli::admin_token(&data_dir)?;
    let conn = db::open(&cli::db_path(&data_dir)).map_err(|e| format!("database: {e}"))?;
    let rules = RuleStore::open(&data_dir).map_err(|e| e.to_string())?;
    let doc = rules.load().map_err(|e| e.to_string())?;
    admin_api::ids::seed(&conn, &doc).map_err(|e| format!("id counters: {e}"))?;
    let transport = if args.plain_http {
        Transport::PlainHttp
    } else {
        Transport::Tls
    };
    let tls = match transport {
        Transport::Tls => Some(admin_api::tls::listener_config(
            &data_dir,
            args.tls_cert.as_deref(),
            args.tls_key.as_deref(),
        )?),
        Transport::PlainHttp => None,
    };
    let mut state = AppState::new(
        conn,
        &data_dir,
        rules,
        ProxyClient::new(socket),
        &token,
        transport,
    );
    state.acme = admin_api::acme::Acme::new(acme);
    let state = web::Data::new(state);
    let events = args
        .events
        .clone()
        .unwrap_or_else(|| data_dir.join("events.jsonl"));
    // Every 250 ms: an attack reaches `/realtime/ws` clients well within a second (the proxy
    // flushes its event log every 200 ms).
    let ingest = admin_api::ingest::spawn_with(
        &cli::db_path(&data_dir),
        &events,
        Duration::from_millis(250),
        Some(state.realtime.publisher()),
    )
    .map_err(|e| format!("attack log ingest: {e}"))?;
    actix_web::rt::System::new().block_on(async move {
        let bg = state.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                bg.flush_last_used();
                let cutoff = admin_api::state::now() - 24 * 3600;
                if let Err(e) = bg.with_db(|c| db::idempotent_expire(c, cutoff)) {
                    tracing::warn!(error = %e, "idempotency expiry failed");
                }
            }
        });
        let acme = &state.acme.cfg;
        actix_web::rt::spawn(admin_api::acme::renewal_loop(
            state.clone().into_inner(),
            acme.renew_interval,
            acme.renew_before,
        ));
        let app_state = state.clone();
        let server = HttpServer::new(move || build_app(app_state.clone()));
        let server = match tls {
            Some(cfg) => server.bind_rustls_0_23(&listen, cfg),
            None => server.bind(&listen),
        }
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        for addr in server.addrs() {
            let scheme = if args.plain_http { "http" } else { "https" };
            tracing::info!(rules = %state.rules.dir().display(), "waf-admin listening on {scheme}://{addr}");
        }
        let result = server.run().await.map_err(|e| e.to_string());
        state.flush_last_used();
        ingest.stop();
        result
    })
}
