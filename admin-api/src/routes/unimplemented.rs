//! Modules of the reference this WAF does not have: cache, observation room,
//! plugins, feedbacks, Let's Encrypt and the realtime WebSocket.
//! Every documented path is registered (and so in `/openapi.yaml`) and answers
//! 501 `{"error": "...", "code": "not_implemented"}` after the usual key and scope checks, so a
//! client learns the feature is absent rather than meeting a bare 404.

use actix_web::{delete, get, post, put, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};

fn not_built(module: &str) -> ApiError {
    let what = match module {
        "cache" => "response cache (§8.6): this WAF does not cache responses",
        "obs" => "observation room (§8.9)",
        "plugins" => "plugins (§8.10)",
        "feedbacks" => "feedbacks (§8.14)",
        "letsencrypt" => "Let's Encrypt (§8.15): upload certificates with /cert/upload",
        _ => "realtime WebSocket (§8.16): poll /stats and /traffic/trend",
    };
    ApiError::NotImplemented(format!("not implemented in this WAF: {what}"))
}

macro_rules! not_built {
    ($($name:ident: $method:ident $path:literal, $module:literal $(, $param:literal)*;)*) => {
        $(
            /// Not implemented in this WAF: answers 501 `not_implemented`.
            #[utoipa::path(tag = $module,
                params($(($param = String, Path, description = "Identifier")),*),
                responses((status = 501, description = "not_implemented", body = ErrorBody)))]
            #[$method($path)]
            async fn $name() -> Result<HttpResponse, ApiError> {
                Err(not_built($module))
            }
        )*

        /// Registers every path of the modules not built.
        pub fn configure(cfg: &mut ServiceConfig) {
            $( cfg.service($name); )*
        }
    };
}

not_built! {
    cache_stats: get "/cache/stats", "cache";
    cache_stats_detail: get "/cache/stats/detail", "cache";
    cache_files: get "/cache/files", "cache";
    cache_file_read: post "/cache/files", "cache";
    cache_config: post "/cache/config", "cache";
    cache_clear: post "/cache/clear", "cache";
    cache_files_delete: delete "/cache/files/delete", "cache";
    cache_js_obfuscate: post "/cache/js-obfuscate", "cache";
    cache_js_obfuscate_status: get "/cache/js-obfuscate/status", "cache";
    obs_config: get "/obs/config", "obs";
    obs_config_put: put "/obs/config", "obs";
    obs_rules: get "/obs/rules", "obs";
    obs_rules_post: post "/obs/rules", "obs";
    obs_rule_put: put "/obs/rules/{id}", "obs", "id";
    obs_rule_delete: delete "/obs/rules/{id}", "obs", "id";
    obs_records: get "/obs/records", "obs";
    obs_record: get "/obs/records/{id}", "obs", "id";
    obs_record_raw: get "/obs/records/{id}/raw", "obs", "id";
    obs_records_clear: post "/obs/records/clear", "obs";
    obs_stats: get "/obs/stats", "obs";
    plugins_list: get "/plugins", "plugins";
    plugins_config: get "/plugins/config", "plugins";
    plugins_config_post: post "/plugins/config", "plugins";
    plugins_reload: post "/plugins/reload", "plugins";
    plugins_upload: post "/plugins/upload", "plugins";
    plugins_import_url: post "/plugins/import-url", "plugins";
    plugins_marketplace: get "/plugins/marketplace", "plugins";
    plugins_events_recent: get "/plugins/events/recent", "plugins";
    plugins_events_stats: get "/plugins/events/stats", "plugins";
    plugins_events_ws: get "/plugins/events/ws", "plugins";
    plugins_events_clear: post "/plugins/events/clear", "plugins";
    plugin_toggle: post "/plugins/{name}/toggle", "plugins", "name";
    plugin_order: post "/plugins/{name}/order", "plugins", "name";
    plugin_sites: put "/plugins/{name}/sites", "plugins", "name";
    plugin_delete: delete "/plugins/{name}", "plugins", "name";
    feedbacks_list: get "/feedbacks", "feedbacks";
    feedback_status: put "/feedbacks/{id}/status", "feedbacks", "id";
    feedbacks_delete: delete "/feedbacks", "feedbacks";
    le_alerts: get "/letsencrypt/alerts", "letsencrypt";
    le_list: get "/letsencrypt/list", "letsencrypt";
    le_status: get "/letsencrypt/status/{id}", "letsencrypt", "id";
    le_check_dns: get "/letsencrypt/check-dns/{id}", "letsencrypt", "id";
    le_order: post "/letsencrypt/order", "letsencrypt";
    le_save: post "/letsencrypt/save", "letsencrypt";
    le_renew: post "/letsencrypt/renew-order", "letsencrypt";
    le_cancel: post "/letsencrypt/cancel/{id}", "letsencrypt", "id";
    le_dismiss: post "/letsencrypt/dismiss-alert/{id}", "letsencrypt", "id";
    realtime_ws: get "/realtime/ws", "realtime";
}
