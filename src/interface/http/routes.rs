use actix_web::web::{self, ServiceConfig};
use actix_web::Resource;

use super::handlers::{self, ApiModule};
use super::openapi;

/// A resource whose unsupported methods answer a JSON 405 instead of an empty one.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(handlers::method_not_allowed))
}

/// Registers every route of the HTTP contract.
pub fn configure<M: ApiModule>(cfg: &mut ServiceConfig) {
    cfg.service(resource("/health").route(web::get().to(handlers::liveness)))
        .service(resource("/api/health").route(web::get().to(handlers::health::<M>)))
        .service(resource("/api/health/live").route(web::get().to(handlers::live)))
        .service(resource("/api/health/ready").route(web::get().to(handlers::ready::<M>)))
        .service(resource("/metrics").route(web::get().to(handlers::metrics::<M>)))
        .service(resource("/api-docs/openapi.json").route(web::get().to(openapi::document)))
        .service(
            resource("/api/products")
                .route(web::get().to(handlers::list_products::<M>))
                .route(web::post().to(handlers::create_product::<M>)),
        )
        .service(
            resource("/api/products/count").route(web::get().to(handlers::count_products::<M>)),
        )
        .service(
            resource("/api/products/{id}")
                .route(web::get().to(handlers::get_product::<M>))
                .route(web::put().to(handlers::update_product::<M>))
                .route(web::delete().to(handlers::delete_product::<M>)),
        )
        .default_service(web::to(handlers::route_not_found));
}
