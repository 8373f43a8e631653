//! waf-admin: the FOXWAF-compatible management API of the WAF.
//!
//! [`build_app`] builds the whole actix app (used by `main` and by the tests); [`state::AppState`]
//! is everything it shares; [`routes`] has one file per module of the reference.

pub mod access;
pub mod acme;
pub mod attack_log;
pub mod cert_templates;
pub mod cli;
pub mod clock;
pub mod db;
pub mod error;
pub mod feedback;
pub mod gate;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod ingest;
pub mod keys;
pub mod kv;
pub mod obs;
pub mod proxy;
pub mod realtime;
pub mod routes;
pub mod state;
pub mod store;
pub mod tls;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{middleware, web, App, HttpRequest, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};

use crate::access::Need;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 1 << 20;
/// Largest raw body (multipart uploads, idempotent replays).
pub const PAYLOAD_LIMIT: usize = 16 << 20;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "waf-admin",
        description = "FOXWAF-compatible management API of the WAF. Authorization: Bearer <api key> \
                       (fwk_<prefix>_<secret>); errors are {\"error\",\"code\"[,\"details\"]}."
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of every documented route, as YAML.
#[derive(Debug, Clone)]
pub struct OpenApiYaml(pub String);

/// Builds the app over `state`. Every route declares its [`Need`] (see [`access`]), checked by
/// [`gate`] on the route the router matched; the state is reachable only through that check.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(scope::scope(access::BASE).configure(routes::configure))
        .service(scope::scope("/api/openapi").configure(routes::configure_admin))
        .service(scope::scope(routes::wispanel::BASE).configure(routes::wispanel::configure))
        .split_for_parts();
    api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    unique_operation_ids(&mut api);
    let yaml = api
        .to_yaml()
        .unwrap_or_else(|e| format!("# cannot render the document: {e}\n"));
    app.app_data(gate::Sealed::new(state))
        .app_data(web::Data::new(OpenApiYaml(yaml)))
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(json_error),
        )
        .app_data(web::PayloadConfig::new(PAYLOAD_LIMIT))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .service(
            web::resource("/openapi.yaml")
                .wrap(Need::public())
                .route(web::get().to(openapi_yaml)),
        )
        // No route matched: 404, whatever the credential (it touches nothing).
        .default_service(web::to(not_found).wrap(Need::public()))
        .wrap(middleware::from_fn(gate::undeclared))
        .wrap(middleware::from_fn(http::head_as_get))
        .wrap(middleware::from_fn(http::whole_bodies))
        .wrap(middleware::from_fn(routes::wispanel::envelope))
}

async fn openapi_yaml(doc: web::Data<OpenApiYaml>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(doc.0.clone())
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "route {} {}",
        req.method(),
        req.path()
    )))
}

fn json_error(e: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    match e {
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::Deserialize(d) => {
            let reason = d.to_string();
            // serde: "unknown field `enable`, expected one of ...": the details name the field.
            let field = reason
                .strip_prefix("unknown field `")
                .and_then(|r| r.split_once('`'))
                .map_or("body", |(name, _)| name)
                .to_string();
            ApiError::field(&field, reason)
        }
        other => ApiError::field("body", other.to_string()),
    }
    .into()
}

fn path_error(e: PathError, req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %e, path = req.path(), "bad path parameter");
    ApiError::NotFound(req.path().to_string()).into()
}

fn query_error(e: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::field("query", e.to_string()).into()
}

/// Operation ids from method and path (`post_openapi_v1_acl_rules`), unique across modules
/// whatever the handler functions are called.
fn unique_operation_ids(api: &mut utoipa::openapi::OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        let slug: String = path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ] {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}
