use serde::Serialize;
use utoipa::ToSchema;

use crate::usecases::DependencyHealth;

/// `GET /health`: the process is up; nothing else is checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DependencyStatus {
    pub up: bool,
    /// Round trip in milliseconds; absent when down.
    pub latency_ms: Option<f64>,
}

impl From<DependencyHealth> for DependencyStatus {
    fn from(health: DependencyHealth) -> Self {
        Self {
            up: health.up,
            latency_ms: health
                .latency
                .map(|d| (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0),
        }
    }
}

/// `GET /api/health`: `ok`, `degraded` (Redis down) or `down` (MongoDB down).
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthData {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub mongo: DependencyStatus,
    pub redis: DependencyStatus,
}
