use std::sync::atomic::Ordering;

use actix_web::{web, HttpRequest, HttpResponse};
use shaku_actix::Inject;

use super::health::health_data;
use super::ApiModule;
use crate::interface::http::bearer::bearer_token;
use crate::interface::http::dto::{
    CacheStatsResponse, EventStats, LatencyBucket, RequestTotals, StatusData,
};
use crate::interface::http::error::{ApiError, ErrorBody};
use crate::interface::http::metrics::{Metrics, MetricsAccess};
use crate::interface::http::StatusSources;
use crate::usecases::{CacheStatsUseCase, CheckHealthUseCase};

module_part!(
    /// What these handlers resolve from the DI module.
    StatusModule: dyn CacheStatsUseCase, dyn CheckHealthUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(status_page, status_data))]
pub struct StatusPaths;

/// The page itself: plain HTML and JavaScript compiled into the binary, so it works
/// offline; it reads `/api/status` every second and follows `/api/events/products`.
pub const STATUS_PAGE: &str = include_str!("../status_page/status.html");

/// A live status page for operators: hit ratio per cache layer, request rate and latency
/// percentiles, Redis and MongoDB health, the near cache, and the event feed.
#[utoipa::path(get, path = "/status", tag = "health",
    responses((status = 200, description = "The status page", content_type = "text/html", body = String)))]
pub async fn status_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .body(STATUS_PAGE)
}

/// Everything the status page shows, in one read. Open like `/metrics`: with
/// `METRICS_TOKEN` set, only `Authorization: Bearer <token>` may read it.
#[utoipa::path(get, path = "/api/status", tag = "health",
    responses(
        (status = 200, description = "This instance's status", body = StatusData),
        (status = 401, description = "`METRICS_TOKEN` is set and the request did not present it", body = ErrorBody),
    ))]
#[tracing::instrument(name = "status", skip_all)]
pub async fn status_data<M: ApiModule>(
    req: HttpRequest,
    stats: Inject<M, dyn CacheStatsUseCase>,
    health: Inject<M, dyn CheckHealthUseCase>,
    registry: web::Data<Metrics>,
    access: web::Data<MetricsAccess>,
    sources: web::Data<StatusSources>,
) -> Result<HttpResponse, ApiError> {
    if !access.allows(bearer_token(req.headers())) {
        return Err(ApiError::Unauthorized(
            "the metrics token is required: Authorization: Bearer <METRICS_TOKEN>".to_owned(),
        ));
    }
    let (report, checked, pending) = tokio::join!(
        stats.execute(false),
        health.execute(),
        sources.outbox.pending()
    );
    let latency: Vec<LatencyBucket> = registry
        .latency_totals()
        .into_iter()
        .map(|(le, count)| LatencyBucket {
            le: le.is_finite().then_some(le),
            count,
        })
        .collect();
    let relay = &sources.relay;
    let data = StatusData {
        instance: sources.instance.clone(),
        uptime_secs: sources.started.elapsed().as_secs(),
        requests: RequestTotals {
            count: latency.last().map_or(0, |bucket| bucket.count),
            latency,
        },
        cache: CacheStatsResponse::from(report),
        health: health_data(checked).0,
        events: EventStats {
            published: relay.published.load(Ordering::Relaxed),
            duplicates: relay.duplicates.load(Ordering::Relaxed),
            reconciled: relay.reconciled.load(Ordering::Relaxed),
            relay_failures: relay.failures.load(Ordering::Relaxed),
            received: sources.feed.received.load(Ordering::Relaxed),
            subscribers: sources.feed.subscribers(),
            outbox_pending: pending.ok(),
        },
    };
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(data))
}
