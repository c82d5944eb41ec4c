use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use shaku_actix::Inject;
use utoipa::ToSchema;

use super::fallback::resource;
use super::ApiModule;
use crate::interface::http::dto::{
    CacheStatsResponse, CacheStatusResponse, Envelope, InvalidationResponse,
};
use crate::interface::http::error::{ApiError, ErrorBody, FieldError};
use crate::interface::http::extractors::AdminUser;
use crate::usecases::{
    CacheConfigReport, CacheConfigUseCase, CacheStatsUseCase, InvalidateCacheUseCase,
    InvalidationScope,
};

module_part!(
    /// What these handlers resolve from the DI module.
    CacheAdminModule: dyn CacheStatsUseCase, dyn InvalidateCacheUseCase, dyn CacheConfigUseCase
);

/// This file's resources under `/api/cache` (the scope, its rate limit and its fallback
/// are in `routes.rs`; every one of them asks for an admin session).
pub fn cache_admin_resources<M: ApiModule>(cfg: &mut ServiceConfig) {
    cfg.service(resource("/stats").route(web::get().to(cache_stats::<M>)))
        .service(resource("/status").route(web::get().to(cache_status::<M>)))
        .service(resource("/config").route(web::get().to(cache_config::<M>)))
        .service(resource("/invalidate").route(web::delete().to(invalidate_cache::<M>)));
}

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(cache_stats, cache_status, cache_config, invalidate_cache))]
pub struct CacheAdminPaths;

/// Cache counters per layer, consistency checks and Redis' own figures.
#[utoipa::path(get, path = "/api/cache/stats", tag = "cache", security(("bearer" = [])),
    responses(
        (status = 200, description = "Cache statistics", body = Envelope<CacheStatsResponse>),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn cache_stats<M: ApiModule>(
    stats: Inject<M, dyn CacheStatsUseCase>,
    _admin: AdminUser,
) -> HttpResponse {
    let report = stats.execute(true).await;
    HttpResponse::Ok().json(Envelope::new(
        CacheStatsResponse::from(report),
        "cache statistics",
    ))
}

/// Whether Redis answers, and how fast.
#[utoipa::path(get, path = "/api/cache/status", tag = "cache", security(("bearer" = [])),
    responses(
        (status = 200, description = "Redis status", body = Envelope<CacheStatusResponse>),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn cache_status<M: ApiModule>(
    stats: Inject<M, dyn CacheStatsUseCase>,
    _admin: AdminUser,
) -> HttpResponse {
    let report = stats.execute(false).await;
    let data = CacheStatusResponse {
        connected: report.redis_connected,
        round_trip_ms: report
            .round_trip
            .map(|d| (d.as_secs_f64() * 100_000.0).round() / 100.0),
        repairs_pending: report.repairs_pending,
    };
    HttpResponse::Ok().json(Envelope::new(data, "cache status"))
}

/// Drops one named part of this service's cache: `products`, `lists`, `http` or `all`.
#[utoipa::path(delete, path = "/api/cache/invalidate", tag = "cache", security(("bearer" = [])),
    params(("scope" = String, Query, description = "products | lists | http | all")),
    responses(
        (status = 200, description = "Invalidated", body = Envelope<InvalidationResponse>),
        (status = 400, description = "Missing or unknown scope", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody),
    ))]
pub async fn invalidate_cache<M: ApiModule>(
    invalidate: Inject<M, dyn InvalidateCacheUseCase>,
    _admin: AdminUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let raw = url::form_urlencoded::parse(request.query_string().as_bytes())
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let scope = InvalidationScope::parse(&raw).ok_or_else(|| {
        ApiError::bad_request(
            "invalid scope",
            vec![FieldError::new(
                "scope",
                "must be one of products, lists, http, all",
            )],
        )
    })?;
    let report = invalidate
        .execute(scope)
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    let data = InvalidationResponse {
        scope: raw,
        product_keys_deleted: report.product_keys_deleted,
        response_keys_deleted: report.response_keys_deleted,
    };
    Ok(HttpResponse::Ok().json(Envelope::new(data, "cache invalidated")))
}

/// The cache settings in effect, durations in seconds (milliseconds where they are
/// shorter than one). Only this handler answers with it, so it lives beside it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheConfigResponse {
    /// Server for sessions, rate limits and events, without credentials.
    pub redis: String,
    /// Server for cache entries when separate, without credentials.
    pub cache_redis: Option<String>,
    pub key_prefix: String,
    pub enabled: bool,
    pub product_ttl_secs: u64,
    pub list_ttl_secs: u64,
    pub missing_ttl_secs: u64,
    /// Each TTL is spread by this fraction either way.
    pub ttl_jitter: f64,
    pub lock_wait_ms: u64,
    pub max_entry_bytes: usize,
    pub list_fill_budget: u64,
    pub product_response_ttl_secs: u64,
    /// The in-process tier's entry bound, when it is on.
    pub near_tier_max_entries: Option<u64>,
    pub near_tier_ttl_ms: Option<u64>,
}

impl From<CacheConfigReport> for CacheConfigResponse {
    fn from(report: CacheConfigReport) -> Self {
        let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self {
            redis: report.redis,
            cache_redis: report.cache_redis,
            key_prefix: report.key_prefix,
            enabled: report.policy.enabled,
            product_ttl_secs: report.policy.product_ttl.as_secs(),
            list_ttl_secs: report.policy.list_ttl.as_secs(),
            missing_ttl_secs: report.policy.missing_ttl.as_secs(),
            ttl_jitter: report.policy.jitter,
            lock_wait_ms: millis(report.policy.lock_wait),
            max_entry_bytes: report.policy.max_entry_bytes,
            list_fill_budget: report.policy.list_fill_budget,
            product_response_ttl_secs: report.product_response_ttl.as_secs(),
            near_tier_max_entries: report.near_tier.map(|near| near.max_entries),
            near_tier_ttl_ms: report.near_tier.map(|near| millis(near.ttl)),
        }
    }
}

/// The cache settings this instance runs with, credentials removed: compare instances
/// behind one load balancer without shell access to them.
#[utoipa::path(get, path = "/api/cache/config", tag = "cache", security(("bearer" = [])),
    responses(
        (status = 200, description = "Effective cache settings", body = Envelope<CacheConfigResponse>),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn cache_config<M: ApiModule>(
    config: Inject<M, dyn CacheConfigUseCase>,
    _admin: AdminUser,
) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::new(
        CacheConfigResponse::from(config.report()),
        "cache settings",
    ))
}
