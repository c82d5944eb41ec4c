use actix_web::{HttpResponse, Responder};
use shaku_actix::Inject;

use super::ApiModule;
use crate::interface::http::dto::{Envelope, HealthData, Liveness};
use crate::interface::http::error::ErrorBody;
use crate::usecases::{CheckHealthUseCase, HealthReport};

module_part!(
    /// What these handlers resolve from the DI module.
    HealthModule: dyn CheckHealthUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(liveness, health, live, ready))]
pub struct HealthPaths;

/// Liveness of the process itself; touches no dependency.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "Process is up", body = Liveness)))]
pub async fn liveness() -> impl Responder {
    HttpResponse::Ok().json(Liveness { status: "ok" })
}

/// Both dependencies with round-trip times: `ok`, `degraded` (Redis down, still serving)
/// or 503 when MongoDB is down.
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses(
        (status = 200, description = "Serving; `degraded` when Redis is down", body = Envelope<HealthData>),
        (status = 503, description = "MongoDB is down", body = Envelope<HealthData>),
    ))]
pub async fn health<M: ApiModule>(check: Inject<M, dyn CheckHealthUseCase>) -> HttpResponse {
    let report = check.execute().await;
    let (data, message) = health_data(report);
    if report.ready() {
        HttpResponse::Ok().json(Envelope::new(data, message))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "status": "error", "message": message, "data": data,
        }))
    }
}

/// The health report as `/api/health` (and the status page) show it, with its message.
pub(super) fn health_data(report: HealthReport) -> (HealthData, &'static str) {
    let (status, message) = match (report.ready(), report.degraded()) {
        (false, _) => ("down", "MongoDB is unreachable"),
        (true, true) => ("degraded", "serving without cache: Redis is unreachable"),
        (true, false) => ("ok", "all dependencies are reachable"),
    };
    let data = HealthData {
        status,
        mongo: report.mongo.into(),
        redis: report.redis.into(),
    };
    (data, message)
}

/// Liveness under `/api`.
#[utoipa::path(get, path = "/api/health/live", tag = "health",
    responses((status = 200, description = "Process is up", body = Liveness)))]
pub async fn live() -> impl Responder {
    liveness().await
}

/// Readiness: MongoDB answers. A load balancer should route traffic only while this is 200.
#[utoipa::path(get, path = "/api/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Liveness),
        (status = 503, description = "MongoDB is unreachable", body = ErrorBody),
    ))]
pub async fn ready<M: ApiModule>(check: Inject<M, dyn CheckHealthUseCase>) -> HttpResponse {
    if check.mongo().await.up {
        HttpResponse::Ok().json(Liveness { status: "ok" })
    } else {
        HttpResponse::ServiceUnavailable().json(ErrorBody {
            status: "error",
            message: "MongoDB is unreachable".to_owned(),
            errors: None,
        })
    }
}
