//! The OpenAPI document, generated from the handler annotations so it cannot drift from
//! the code; a snapshot test makes every change to it deliberate.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::dto::{
    DependencyStatus, Envelope, HealthData, Liveness, ProductList, ProductPayload, ProductResponse,
};
use super::error::{ErrorBody, FieldError};
use super::handlers;

#[derive(OpenApi)]
#[openapi(
    info(title = "Product catalog API", description = "Products on MongoDB with Redis caching."),
    paths(
        handlers::liveness,
        handlers::health,
        handlers::live,
        handlers::ready,
        handlers::metrics,
        handlers::list_products,
        handlers::count_products,
        handlers::get_product,
        handlers::create_product,
        handlers::update_product,
        handlers::delete_product,
    ),
    components(schemas(
        ErrorBody, FieldError, ProductPayload, ProductResponse, ProductList, Liveness,
        HealthData, DependencyStatus, handlers::MessageOnly,
        Envelope<ProductResponse>, Envelope<ProductList>, Envelope<HealthData>, Envelope<u64>,
    )),
    tags(
        (name = "products", description = "Product catalog"),
        (name = "health", description = "Liveness, readiness and dependency health"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON (what `/api-docs/openapi.json` serves).
pub fn document_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}
