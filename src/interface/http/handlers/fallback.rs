use actix_web::{web, HttpResponse, Resource};

use crate::interface::http::error::ApiError;

/// JSON 404 for any path no route matches.
pub async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("route not found".to_owned()))
}

/// JSON 405 for a known path with a method it does not support.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// A resource whose unsupported methods answer a JSON 405 instead of an empty one.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
