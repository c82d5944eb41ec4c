//! The cache settings this instance runs with, as an operator asks for them: what it read
//! from its environment after defaults and bounds, with every credential already removed.
//! Instances behind one load balancer that disagree on a TTL or a key prefix serve
//! inconsistent answers, and this is how to see it without shell access.

use std::time::Duration;

use shaku::{Component, Interface};

use crate::domain::cache::CachePolicy;

/// The effective cache settings. Server addresses carry no credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfigReport {
    /// The Redis server for sessions, rate limits and events (credentials removed).
    pub redis: String,
    /// The Redis server for cache entries when it is a separate one.
    pub cache_redis: Option<String>,
    /// Every key starts with it.
    pub key_prefix: String,
    pub policy: CachePolicy,
    /// How long a stored single-product response lives.
    pub product_response_ttl: Duration,
    /// The near tier's bounds, when it is on.
    pub near_tier: Option<NearTierBounds>,
}

/// How much the in-process tier holds, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearTierBounds {
    pub max_entries: u64,
    pub ttl: Duration,
}

/// Reports the effective cache settings.
pub trait CacheConfigUseCase: Interface {
    /// MUST NOT contain a password, token or any other secret.
    fn report(&self) -> CacheConfigReport;
}

/// `CacheConfigUseCase` over the settings read at start-up (they do not change while
/// the process runs).
#[derive(Component)]
#[shaku(interface = CacheConfigUseCase)]
pub struct CacheConfig {
    report: CacheConfigReport,
}

impl CacheConfigUseCase for CacheConfig {
    fn report(&self) -> CacheConfigReport {
        self.report.clone()
    }
}
