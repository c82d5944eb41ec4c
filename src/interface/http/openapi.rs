//! The OpenAPI document, generated from the handler annotations so it cannot drift from
//! the code; a snapshot test makes every change to it deliberate.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::dto::{
    CacheStatsResponse, CacheStatusResponse, ConsistencyStats, DependencyStatus, Envelope,
    HealthData, InvalidationResponse, LayerStats, Layers, Liveness, LoginRequest, LoginResponse,
    LogoutAllResponse, ProductList, ProductPayload, ProductResponse, RedisStats, RegisterRequest,
    SessionResponse, SessionUser, UserResponse, WishlistRequest, WishlistResponse,
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
        handlers::set_wishlist_status,
        handlers::list_wishlist,
        handlers::register,
        handlers::login,
        handlers::session,
        handlers::logout,
        handlers::logout_all,
        handlers::cache_stats,
        handlers::cache_status,
        handlers::invalidate_cache,
    ),
    components(schemas(
        ErrorBody, FieldError, ProductPayload, ProductResponse, ProductList, Liveness,
        HealthData, DependencyStatus, handlers::MessageOnly,
        Envelope<ProductResponse>, Envelope<ProductList>, Envelope<HealthData>, Envelope<u64>,
        RegisterRequest, LoginRequest, UserResponse, LoginResponse, SessionResponse, SessionUser,
        LogoutAllResponse, WishlistRequest, WishlistResponse, CacheStatsResponse, CacheStatusResponse,
        InvalidationResponse, LayerStats, Layers, ConsistencyStats, RedisStats,
        Envelope<UserResponse>, Envelope<LoginResponse>, Envelope<SessionResponse>, Envelope<LogoutAllResponse>,
        Envelope<WishlistResponse>, Envelope<CacheStatsResponse>, Envelope<CacheStatusResponse>,
        Envelope<InvalidationResponse>,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "products", description = "Product catalog"),
        (name = "health", description = "Liveness, readiness and dependency health"),
        (name = "wishlist", description = "Per-user wishlists"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "cache", description = "Cache administration (admin only)"),
    )
)]
pub struct ApiDoc;

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
