use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use actix_web::Resource;

use super::handlers::{self, ApiModule};
use super::middleware::{auth_class, by_method, HttpCacheTtls, RateLimit, ResponseCache};
use super::openapi;
use crate::usecases::{HttpResponseStore, RateLimitUseCase};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// HTTP-layer settings the routes need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Believe the first `X-Forwarded-For` hop (only behind a proxy you run).
    pub trust_proxy: bool,
    pub cache_ttls: HttpCacheTtls,
}

/// A resource whose unsupported methods answer a JSON 405 instead of an empty one.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(handlers::method_not_allowed))
}

/// Registers every route of the HTTP contract, with the product scope behind the rate
/// limiter (outer) and the response cache (inner), so cached reads still count.
pub fn configure<M: ApiModule>(
    module: &M,
    settings: HttpSettings,
) -> impl FnOnce(&mut ServiceConfig) {
    let limiter: Arc<dyn RateLimitUseCase> = module.resolve();
    let http_cache: Arc<dyn HttpResponseStore> = module.resolve();
    move |cfg: &mut ServiceConfig| {
        cfg.service(resource("/health").route(web::get().to(handlers::liveness)))
            .service(resource("/api/health").route(web::get().to(handlers::health::<M>)))
            .service(resource("/api/health/live").route(web::get().to(handlers::live)))
            .service(resource("/api/health/ready").route(web::get().to(handlers::ready::<M>)))
            .service(resource("/metrics").route(web::get().to(handlers::metrics::<M>)))
            .service(
                SwaggerUi::new("/api-docs/{_:.*}")
                    .url("/api-docs/openapi.json", openapi::ApiDoc::openapi()),
            )
            .service(
                web::scope("/api/products")
                    .wrap(ResponseCache::new(http_cache, settings.cache_ttls))
                    .wrap(RateLimit::new(
                        limiter.clone(),
                        by_method,
                        settings.trust_proxy,
                    ))
                    .service(
                        resource("")
                            .route(web::get().to(handlers::list_products::<M>))
                            .route(web::post().to(handlers::create_product::<M>)),
                    )
                    .service(resource("/count").route(web::get().to(handlers::count_products::<M>)))
                    .service(
                        resource("/wishlist").route(web::get().to(handlers::list_wishlist::<M>)),
                    )
                    .service(
                        resource("/{id}/wishlist")
                            .route(web::patch().to(handlers::set_wishlist_status::<M>)),
                    )
                    .service(
                        resource("/{id}")
                            .route(web::get().to(handlers::get_product::<M>))
                            .route(web::put().to(handlers::update_product::<M>))
                            .route(web::delete().to(handlers::delete_product::<M>)),
                    )
                    .default_service(web::to(handlers::route_not_found)),
            )
            .service(
                web::scope("/api/auth")
                    .service(
                        resource("/register")
                            .wrap(RateLimit::new(
                                limiter.clone(),
                                auth_class,
                                settings.trust_proxy,
                            ))
                            .route(web::post().to(handlers::register::<M>)),
                    )
                    .service(
                        resource("/login")
                            .wrap(RateLimit::new(limiter, auth_class, settings.trust_proxy))
                            .route(web::post().to(handlers::login::<M>)),
                    )
                    .service(resource("/session").route(web::get().to(handlers::session)))
                    .service(resource("/logout").route(web::post().to(handlers::logout::<M>)))
                    .service(
                        resource("/logout-all").route(web::post().to(handlers::logout_all::<M>)),
                    ),
            )
            .service(resource("/api/cache/stats").route(web::get().to(handlers::cache_stats::<M>)))
            .service(
                resource("/api/cache/status").route(web::get().to(handlers::cache_status::<M>)),
            )
            .service(
                resource("/api/cache/invalidate")
                    .route(web::delete().to(handlers::invalidate_cache::<M>)),
            )
            .default_service(web::to(handlers::route_not_found));
    }
}
