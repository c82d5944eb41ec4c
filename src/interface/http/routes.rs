use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};

use actix_web::middleware::from_fn;

use super::client_address::ClientAddressPolicy;
use super::handlers::{self, resource, ApiModule};
use super::metrics::MetricsAccess;
use super::middleware::{auth_class, by_method, count_reads, rate_limit, RateLimit};
use super::openapi;
use super::response_cache::{response_cache, CachedRoute, NearResponses, ResponseCaching};
use crate::usecases::read_counter::ReadCounter;
use crate::usecases::{RateLimitUseCase, ResponseStore};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// HTTP-layer settings the routes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Browser origins allowed to call the API (`CORS_ALLOWED_ORIGINS`); empty: none.
    pub cors_origins: Vec<String>,
    /// How client addresses are found behind proxies (`TRUSTED_PROXIES`).
    pub client_addresses: ClientAddressPolicy,
    /// How long a stored single-product response lives.
    pub product_response_ttl: std::time::Duration,
    /// How long past its TTL a cached answer may stand in while MongoDB fails; told to
    /// downstream caches as `stale-if-error`.
    pub stale_if_error: std::time::Duration,
    /// Who may read `/metrics` (`METRICS_TOKEN`).
    pub metrics_access: MetricsAccess,
}

/// Registers every route of the HTTP contract.
///
/// Wrap order (actix runs the last `.wrap` first, so it is the outermost):
/// 1. app-wide, in `Application::build`: request span (outermost), then authentication,
///    so every log line has a request id and every later layer knows the caller;
/// 2. the rate limiter on every route that does work (the `/api/products` and `/api/cache`
///    scopes, the auth resources, `/api/health`, `/api/health/ready`, `/metrics`), so every
///    request counts, cached or not; only `/health` and `/api/health/live`, which touch
///    nothing, stay unlimited for probes;
/// 3. each `CachedRoute` resource: the response cache (innermost), so it sees only
///    requests the limiter admitted and stores only what the handler answered.
///
/// Routes are tried in the order they are registered, and a path with a `{..}` segment
/// costs a regular-expression match (twice: routing, then the route template for
/// metrics). So the product scope comes first, its fixed paths (`/count`, `/facets`, `/wishlist`)
/// before `/{id}`, and `/{id}` before `/{id}/wishlist`: a product read costs one such match
/// instead of three.
///
/// `rendered` (built once per process, with the near tier) replays cached answers from
/// memory; `reads` counts product reads for cache warming (outside the response cache, so
/// every answered read counts). The event routes are rate limited on connect only: an
/// open stream is one request.
pub fn configure<M: ApiModule>(
    module: &M,
    settings: HttpSettings,
    rendered: Option<Arc<NearResponses>>,
    reads: Arc<ReadCounter>,
) -> impl FnOnce(&mut ServiceConfig) {
    let addresses = Arc::new(settings.client_addresses.clone());
    let layers = Layers {
        limiter: module.resolve(),
        http_cache: module.resolve(),
        caching: ResponseCaching::new(settings.product_response_ttl, settings.stale_if_error),
        rendered,
        address_data: web::Data::from(addresses.clone()),
        addresses,
        metrics_access: web::Data::new(settings.metrics_access.clone()),
    };
    move |cfg: &mut ServiceConfig| {
        products::<M>(cfg, &layers, reads);
        operations::<M>(cfg, &layers);
        auth::<M>(cfg, &layers);
        cache_admin::<M>(cfg, &layers);
        cfg.default_service(web::to(handlers::route_not_found));
    }
}

/// What the per-route layers are built from.
struct Layers {
    limiter: Arc<dyn RateLimitUseCase>,
    http_cache: Arc<dyn ResponseStore>,
    caching: ResponseCaching,
    rendered: Option<Arc<NearResponses>>,
    addresses: Arc<ClientAddressPolicy>,
    address_data: web::Data<ClientAddressPolicy>,
    metrics_access: web::Data<MetricsAccess>,
}

/// The rate limiter with a request classifier (`by_method`, `auth_class`).
macro_rules! limited {
    ($layers:expr, $classify:expr) => {
        from_fn(rate_limit(RateLimit::new(
            $layers.limiter.clone(),
            $classify,
            $layers.addresses.clone(),
        )))
    };
}

/// A `CachedRoute`'s resource behind the response cache.
macro_rules! cached {
    ($layers:expr, $route:expr) => {
        resource($route.scope_path()).wrap(from_fn(response_cache(
            $layers.http_cache.clone(),
            $layers.caching.clone(),
            $route,
            $layers.rendered.clone(),
        )))
    };
}

/// `/api/products`: the catalogue, the wishlist and its event feed.
fn products<M: ApiModule>(cfg: &mut ServiceConfig, layers: &Layers, reads: Arc<ReadCounter>) {
    cfg.service(
        web::scope("/api/products")
            .wrap(limited!(layers, by_method))
            .service(
                cached!(layers, CachedRoute::List)
                    .route(web::get().to(handlers::list_products::<M>))
                    .route(web::post().to(handlers::create_product::<M>)),
            )
            .service(
                cached!(layers, CachedRoute::Count)
                    .route(web::get().to(handlers::count_products::<M>)),
            )
            .service(resource("/facets").route(web::get().to(handlers::product_facets::<M>)))
            .service(resource("/export").route(web::get().to(handlers::export_products::<M>)))
            .service(resource("/wishlist").route(web::get().to(handlers::list_wishlist::<M>)))
            .service(
                resource("/wishlist/events").route(web::get().to(handlers::wishlist_events::<M>)),
            )
            .service(
                cached!(layers, CachedRoute::Product)
                    .wrap(from_fn(count_reads(reads)))
                    .route(web::get().to(handlers::get_product::<M>))
                    .route(web::put().to(handlers::update_product::<M>))
                    .route(web::delete().to(handlers::delete_product::<M>)),
            )
            .service(
                resource("/{id}/restore").route(web::post().to(handlers::restore_product::<M>)),
            )
            .service(
                resource("/{id}/wishlist")
                    .route(web::patch().to(handlers::set_wishlist_status::<M>)),
            )
            .default_service(web::to(handlers::route_not_found)),
    );
}

/// Health, metrics, the status page, the product event feed and the API docs.
fn operations<M: ApiModule>(cfg: &mut ServiceConfig, layers: &Layers) {
    cfg.service(resource("/health").route(web::get().to(handlers::liveness)))
        .service(
            resource("/api/health")
                .wrap(limited!(layers, by_method))
                .route(web::get().to(handlers::health::<M>)),
        )
        .service(resource("/api/health/live").route(web::get().to(handlers::live)))
        .service(
            resource("/api/health/ready")
                .wrap(limited!(layers, by_method))
                .route(web::get().to(handlers::ready::<M>)),
        )
        .service(
            resource("/metrics")
                .app_data(layers.metrics_access.clone())
                .wrap(limited!(layers, by_method))
                .route(web::get().to(handlers::metrics::<M>)),
        )
        .service(
            resource("/status")
                .wrap(limited!(layers, by_method))
                .route(web::get().to(handlers::status_page)),
        )
        .service(
            resource("/api/status")
                .app_data(layers.metrics_access.clone())
                .wrap(limited!(layers, by_method))
                .route(web::get().to(handlers::status_data::<M>)),
        )
        .service(
            resource("/api/events/products")
                .app_data(layers.address_data.clone())
                .wrap(limited!(layers, by_method))
                .route(web::get().to(handlers::product_events)),
        )
        .service(
            SwaggerUi::new("/api-docs/{_:.*}")
                .url("/api-docs/openapi.json", openapi::ApiDoc::openapi()),
        );
}

/// `/api/auth`: accounts and sessions.
fn auth<M: ApiModule>(cfg: &mut ServiceConfig, layers: &Layers) {
    cfg.service(
        web::scope("/api/auth")
            .service(
                resource("/register")
                    .wrap(limited!(layers, auth_class))
                    .route(web::post().to(handlers::register::<M>)),
            )
            .service(
                resource("/login")
                    .app_data(layers.address_data.clone())
                    .wrap(limited!(layers, auth_class))
                    .route(web::post().to(handlers::login::<M>)),
            )
            .service(
                resource("/session")
                    .wrap(limited!(layers, by_method))
                    .route(web::get().to(handlers::session)),
            )
            .service(
                resource("/logout")
                    .wrap(limited!(layers, by_method))
                    .route(web::post().to(handlers::logout::<M>)),
            )
            .service(
                resource("/logout-all")
                    .wrap(limited!(layers, by_method))
                    .route(web::post().to(handlers::logout_all::<M>)),
            ),
    );
}

/// `/api/cache`: the operator's cache statistics, settings and invalidation (the
/// resources are listed in `handlers/cache_admin.rs`, beside their handlers).
fn cache_admin<M: ApiModule>(cfg: &mut ServiceConfig, layers: &Layers) {
    cfg.service(
        web::scope("/api/cache")
            .wrap(limited!(layers, by_method))
            .configure(handlers::cache_admin_resources::<M>)
            .default_service(web::to(handlers::route_not_found)),
    );
}
