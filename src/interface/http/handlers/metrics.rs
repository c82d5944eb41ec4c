use actix_web::{web, HttpRequest, HttpResponse};
use shaku_actix::Inject;

use super::ApiModule;
use crate::interface::http::bearer::bearer_token;
use crate::interface::http::error::ApiError;
use crate::interface::http::metrics::{Metrics, MetricsAccess, CONTENT_TYPE};
use crate::usecases::CacheStatsUseCase;

module_part!(
    /// What these handlers resolve from the DI module.
    MetricsModule: dyn CacheStatsUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(metrics))]
pub struct MetricsPaths;

/// Operator metrics in the OpenMetrics text format: HTTP requests and latencies by route,
/// rate-limit decisions, every cache layer, Redis and MongoDB failures by kind, process.
/// With `METRICS_TOKEN` set, only `Authorization: Bearer <token>` may read them.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "OpenMetrics text exposition", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "`METRICS_TOKEN` is set and the request did not present it", body = crate::interface::http::error::ErrorBody),
    ))]
#[tracing::instrument(name = "metrics", skip_all)]
pub async fn metrics<M: ApiModule>(
    req: HttpRequest,
    stats: Inject<M, dyn CacheStatsUseCase>,
    registry: web::Data<Metrics>,
    access: web::Data<MetricsAccess>,
) -> Result<HttpResponse, ApiError> {
    if !access.allows(bearer_token(req.headers())) {
        return Err(ApiError::Unauthorized(
            "the metrics token is required: Authorization: Bearer <METRICS_TOKEN>".to_owned(),
        ));
    }
    let report = stats.execute(false).await;
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(registry.render(report)))
}
