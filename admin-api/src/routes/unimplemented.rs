//! Modules of the reference this WAF does not have: observation room and plugins.
//! Every documented path is registered (and so in `/openapi.yaml`) and answers
//! 501 `{"error": "...", "code": "not_implemented"}` after the usual key and scope checks, so a
//! client learns the feature is absent rather than meeting a bare 404.

use actix_web::{delete, get, post, put, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::{Module, Need};
use crate::error::{ApiError, ErrorBody};

fn not_built(module: &str) -> ApiError {
    let what = match module {
        "obs" => "observation room (§8.9)",
        _ => "plugins (§8.10)",
    };
    ApiError::NotImplemented(format!("not implemented in this WAF: {what}"))
}

macro_rules! not_built {
    ($($name:ident: $method:ident $path:literal, $module:literal, $need:literal $(, $param:literal)*;)*) => {
        $(
            /// Not implemented in this WAF: answers 501 `not_implemented`.
            #[utoipa::path(tag = $module,
                params($(($param = String, Path, description = "Identifier")),*),
                responses((status = 501, description = "not_implemented", body = ErrorBody)))]
            #[$method($path, wrap = $need)]
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
    obs_config: get "/obs/config", "obs", "Need::read(Module::Obs)";
    obs_config_put: put "/obs/config", "obs", "Need::write(Module::Obs)";
    obs_rules: get "/obs/rules", "obs", "Need::read(Module::Obs)";
    obs_rules_post: post "/obs/rules", "obs", "Need::write(Module::Obs)";
    obs_rule_put: put "/obs/rules/{id}", "obs", "Need::write(Module::Obs)", "id";
    obs_rule_delete: delete "/obs/rules/{id}", "obs", "Need::write(Module::Obs)", "id";
    obs_records: get "/obs/records", "obs", "Need::read(Module::Obs)";
    obs_record: get "/obs/records/{id}", "obs", "Need::read(Module::Obs)", "id";
    obs_record_raw: get "/obs/records/{id}/raw", "obs", "Need::read(Module::Obs)", "id";
    obs_records_clear: post "/obs/records/clear", "obs", "Need::write(Module::Obs)";
    obs_stats: get "/obs/stats", "obs", "Need::read(Module::Obs)";
    plugins_list: get "/plugins", "plugins", "Need::read(Module::Plugins)";
    plugins_config: get "/plugins/config", "plugins", "Need::read(Module::Plugins)";
    plugins_config_post: post "/plugins/config", "plugins", "Need::write(Module::Plugins)";
    plugins_reload: post "/plugins/reload", "plugins", "Need::write(Module::Plugins)";
    plugins_upload: post "/plugins/upload", "plugins", "Need::write(Module::Plugins)";
    plugins_import_url: post "/plugins/import-url", "plugins", "Need::write(Module::Plugins)";
    plugins_marketplace: get "/plugins/marketplace", "plugins", "Need::read(Module::Plugins)";
    plugins_events_recent: get "/plugins/events/recent", "plugins", "Need::read(Module::Plugins)";
    plugins_events_stats: get "/plugins/events/stats", "plugins", "Need::read(Module::Plugins)";
    plugins_events_ws: get "/plugins/events/ws", "plugins", "Need::read(Module::Plugins)";
    plugins_events_clear: post "/plugins/events/clear", "plugins", "Need::write(Module::Plugins)";
    plugin_toggle: post "/plugins/{name}/toggle", "plugins", "Need::write(Module::Plugins)", "name";
    plugin_order: post "/plugins/{name}/order", "plugins", "Need::write(Module::Plugins)", "name";
    plugin_sites: put "/plugins/{name}/sites", "plugins", "Need::write(Module::Plugins)", "name";
    plugin_delete: delete "/plugins/{name}", "plugins", "Need::write(Module::Plugins)", "name";
}
