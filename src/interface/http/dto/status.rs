use serde::Serialize;
use utoipa::ToSchema;

use super::{CacheStatsResponse, HealthData};

/// Requests answered by this instance so far, by latency.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestTotals {
    pub count: u64,
    /// Cumulative counts per upper bound (seconds); the last bound is `null` (infinite).
    pub latency: Vec<LatencyBucket>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LatencyBucket {
    pub le: Option<f64>,
    pub count: u64,
}

/// The event pipeline of this instance.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventStats {
    /// Events this instance's relay appended to the stream.
    pub published: u64,
    /// Outbox entries it found already published (by another instance or an earlier try).
    pub duplicates: u64,
    /// Products whose cache it made agree with MongoDB for another instance's write.
    pub reconciled: u64,
    pub relay_failures: u64,
    /// Events this instance's stream reader received.
    pub received: u64,
    /// Open event subscriptions on this instance.
    pub subscribers: usize,
    /// Outbox entries waiting (any instance's); absent when MongoDB did not answer.
    pub outbox_pending: Option<u64>,
}

/// `GET /api/status`: what the status page shows, in one read.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusData {
    pub instance: String,
    pub uptime_secs: u64,
    pub requests: RequestTotals,
    pub cache: CacheStatsResponse,
    pub health: HealthData,
    pub events: EventStats,
}
