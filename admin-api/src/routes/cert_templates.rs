//! Certificate templates: list, create, read, update, delete. What a template holds and how
//! a certificate is issued from it is in [`crate::cert_templates`].

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::bodies::Message;
use crate::access::{Module, Need};
use crate::cert_templates::{self as tpl, Template, TemplateInput, Written};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::state::{now, AppState};
use crate::store::SiteSection;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(detail)
        .service(update)
        .service(remove);
}

/// Template `id`, or 404.
pub fn find(state: &AppState, id: i64) -> Result<Template, ApiError> {
    state
        .with_db(|c| tpl::get(c, id))?
        .ok_or_else(|| ApiError::NotFound(format!("certificate template {id}")))
}

/// The template a site names, as a validation error when it does not exist (site writes).
pub fn for_site(state: &AppState, id: u64) -> Result<Template, ApiError> {
    let id = i64::try_from(id).unwrap_or(i64::MAX);
    state
        .with_db(|c| tpl::get(c, id))?
        .ok_or_else(|| ApiError::field("cert_template_id", format!("no certificate template {id}")))
}

/// `{"templates": [..], "total"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateList {
    /// Templates in all.
    pub total: usize,
    /// Every template.
    pub templates: Vec<Template>,
}

/// `{"message", "id", "template"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateCreated {
    /// `Certificate template created`.
    pub message: String,
    /// The new template's id.
    pub id: i64,
    /// The template as stored.
    pub template: Template,
}

/// `{"message", "template"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateUpdated {
    /// `Certificate template updated`.
    pub message: String,
    /// The template as stored.
    pub template: Template,
}

fn written(w: Written, name: &str) -> Result<i64, ApiError> {
    match w {
        Written::Ok(id) => Ok(id),
        Written::NameTaken => Err(ApiError::Conflict(format!(
            "a certificate template named {name:?} exists"
        ))),
        Written::Missing => Err(ApiError::NotFound("certificate template".into())),
    }
}

/// Every certificate template.
#[utoipa::path(tag = "cert-template",
    responses((status = 200, body = TemplateList)))]
#[get("/cert-templates", wrap = "Need::read(Module::CertTemplate)")]
async fn list(state: Authorized) -> Result<HttpResponse, ApiError> {
    let templates = state.with_db(tpl::list)?;
    Ok(HttpResponse::Ok().json(TemplateList {
        total: templates.len(),
        templates,
    }))
}

/// Create a template: subject fields, extra SANs, key type, validity.
#[utoipa::path(tag = "cert-template", request_body = TemplateInput,
    responses((status = 200, body = TemplateCreated),
              (status = 400, description = "validation_error"),
              (status = 409, description = "conflict (name taken)")))]
#[post("/cert-template", wrap = "Need::write(Module::CertTemplate)")]
async fn create(
    state: Authorized,
    body: web::Json<TemplateInput>,
) -> Result<HttpResponse, ApiError> {
    let t = body.into_inner().checked()?;
    let id = written(state.with_db(|c| tpl::create(c, &t, now()))?, &t.name)?;
    let template = find(&state, id)?;
    Ok(HttpResponse::Ok().json(TemplateCreated {
        message: "Certificate template created".into(),
        id,
        template,
    }))
}

/// One template.
#[utoipa::path(tag = "cert-template", params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, body = Template), (status = 404, description = "not_found")))]
#[get("/cert-template/{id}", wrap = "Need::read(Module::CertTemplate)")]
async fn detail(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(find(&state, id.into_inner())?))
}

/// Replace a template (all fields). Sites using it get it at their next renew.
#[utoipa::path(tag = "cert-template", params(("id" = i64, Path, description = "Template id")),
    request_body = TemplateInput,
    responses((status = 200, body = TemplateUpdated),
              (status = 404, description = "not_found"), (status = 409, description = "conflict (name taken)")))]
#[put("/cert-template/{id}", wrap = "Need::write(Module::CertTemplate)")]
async fn update(
    state: Authorized,
    id: web::Path<i64>,
    body: web::Json<TemplateInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let t = body.into_inner().checked()?;
    written(state.with_db(|c| tpl::update(c, id, &t, now()))?, &t.name)?;
    let template = find(&state, id)?;
    Ok(HttpResponse::Ok().json(TemplateUpdated {
        message: "Certificate template updated".into(),
        template,
    }))
}

/// Delete a template; refused (409) while a site uses it.
#[utoipa::path(tag = "cert-template", params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, body = Message),
              (status = 404, description = "not_found"), (status = 409, description = "conflict (in use)")))]
#[delete("/cert-template/{id}", wrap = "Need::write(Module::CertTemplate)")]
async fn remove(state: Authorized, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let users: Vec<u64> = state
        .rules_doc()?
        .all::<SiteSection>()
        .iter()
        .filter(|s| {
            s.cert_template_id
                .is_some_and(|t| i64::try_from(t) == Ok(id))
        })
        .map(|s| s.id)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "certificate template {id} is used by site(s) {users:?}"
        )));
    }
    if !state.with_db(|c| tpl::delete(c, id))? {
        return Err(ApiError::NotFound(format!("certificate template {id}")));
    }
    Ok(HttpResponse::Ok().json(Message::new("Certificate template deleted")))
}
