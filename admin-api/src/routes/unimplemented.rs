//! The module of the reference this WAF does not have: plugins (§8.10).
//! Every documented path is registered (and so in `/openapi.yaml`) and answers
//! 501 `{"error": "...", "code": "not_implemented"}` after the usual key and scope checks, so a
//! client learns the feature is absent rather than meeting a bare 404.

use actix_web::{delete, get, post, put, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::{Module, Need};
use crate::error::{ApiError, ErrorBody};

fn not_built(_module: &str) -> ApiError {
    ApiError::NotImplemented("not implemented in this WAF: plugins (§8.10)".into())
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
