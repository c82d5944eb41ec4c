//! The OpenAPI document, generated from the handler annotations so it cannot drift from
//! the code; a snapshot test makes every change to it deliberate.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::dto::{
    CacheStatsResponse, CacheStatusResponse, CategoryCount, ConsistencyStats, DependencyStatus,
    Envelope, EventStats, FacetsResponse, FieldChangeData, HealthData, InvalidationResponse,
    LatencyBucket, LayerStats, Layers, Liveness, LoginRequest, LoginResponse, LogoutAllResponse,
    NearCacheStats, PriceBucketCount, ProductEventData, ProductList, ProductPayload,
    ProductResponse, RateLimitStats, RedisStats, RegisterRequest, RequestTotals, SessionResponse,
    SessionUser, ShopperEventData, StatusData, StockCounts, UserResponse, WishlistRequest,
    WishlistResponse,
};
use super::error::{ErrorBody, FieldError};
use super::handlers;
use super::response_cache::CachedRoute;

#[derive(OpenApi)]
#[openapi(
    info(title = "Product catalog API", description = "Products on MongoDB with Redis caching."),
    components(schemas(
        ErrorBody, FieldError, ProductPayload, ProductResponse, ProductList, Liveness,
        HealthData, DependencyStatus, handlers::MessageOnly,
        Envelope<ProductResponse>, Envelope<ProductList>, Envelope<FacetsResponse>,
        FacetsResponse, CategoryCount, PriceBucketCount, StockCounts, Envelope<HealthData>, Envelope<u64>,
        RegisterRequest, LoginRequest, UserResponse, LoginResponse, SessionResponse, SessionUser,
        LogoutAllResponse, WishlistRequest, WishlistResponse, CacheStatsResponse, CacheStatusResponse,
        InvalidationResponse, LayerStats, Layers, ConsistencyStats, RateLimitStats, NearCacheStats, RedisStats,
        Envelope<UserResponse>, Envelope<LoginResponse>, Envelope<SessionResponse>, Envelope<LogoutAllResponse>,
        Envelope<WishlistResponse>, Envelope<CacheStatsResponse>, Envelope<CacheStatusResponse>,
        Envelope<InvalidationResponse>,
        ProductEventData, FieldChangeData, ShopperEventData,
        StatusData, RequestTotals, LatencyBucket, EventStats,
    )),
    modifiers(&HandlerPaths, &BearerAuth, &MiddlewareHeaders),
    tags(
        (name = "products", description = "Product catalog"),
        (name = "health", description = "Liveness, readiness and dependency health"),
        (name = "wishlist", description = "Per-user wishlists"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "cache", description = "Cache administration (admin only)"),
        (name = "events", description = "Product events as Server-Sent Events"),
    )
)]
pub struct ApiDoc;

/// The paths, each handler file's part merged in (before the modifiers below, which
/// annotate every path).
struct HandlerPaths;

impl Modify for HandlerPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for part in handlers::documented_paths() {
            openapi.merge(part);
        }
    }
}

/// Declares the `bearer` scheme the secured paths name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Documents what the middleware adds, in one place rather than on every handler:
/// `X-RateLimit-*` on every rate-limited response and a 429 with `Retry-After`; `X-Cache`
/// on the HTTP-cached GETs.
struct MiddlewareHeaders;

fn header(description: &str, kind: utoipa::openapi::schema::Type) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(kind))
        .description(Some(description))
        .build()
}

fn rate_headers(response: &mut Response) {
    use utoipa::openapi::schema::Type;
    response.headers.insert(
        "X-RateLimit-Limit".into(),
        header("Requests allowed per window", Type::Integer),
    );
    response.headers.insert(
        "X-RateLimit-Remaining".into(),
        header("Requests left in the window", Type::Integer),
    );
    response.headers.insert(
        "X-RateLimit-Reset".into(),
        header("Unix time (seconds) when a slot frees", Type::Integer),
    );
}

impl Modify for MiddlewareHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Type;
        let limited = |path: &str| {
            path.starts_with("/api/products")
                || path == "/api/auth/login"
                || path == "/api/auth/register"
        };
        let cached = CachedRoute::ALL.map(CachedRoute::path);
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !limited(path) {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            let is_get = [true, false, false, false, false];
            for (operation, is_get) in operations.into_iter().zip(is_get) {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        if status.starts_with('2') || status.starts_with('3') {
                            rate_headers(response);
                            if is_get && cached.contains(&path.as_str()) {
                                response.headers.insert(
                                    "X-Cache".into(),
                                    header(
                                        "HIT, MISS or BYPASS (HTTP response cache)",
                                        Type::String,
                                    ),
                                );
                            }
                        }
                    }
                }
                let mut too_many = ResponseBuilder::new()
                    .description("Rate limited")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .header(
                        "Retry-After",
                        header("Seconds until a retry can succeed", Type::Integer),
                    )
                    .build();
                rate_headers(&mut too_many);
                operation
                    .responses
                    .responses
                    .insert("429".into(), RefOr::T(too_many));
            }
        }
    }
}

/// The document as pretty JSON (what `/api-docs/openapi.json` serves).
pub fn document_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
