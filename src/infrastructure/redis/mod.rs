//! Redis through fred: client set-up and the `RedisService` adapter.

mod call;
mod circuit;
mod client;
mod event_stream;
mod login_throttle;
mod popularity;
mod quota_leases;
mod rate_limiter;
mod redis_service;
mod scripts;
mod session_store;
mod sliding_log;
mod tls;

pub use client::{
    build_blocking_client, build_client, build_node_tracking_client, build_tracking_client,
    RedisClients, RedisSettings, RedisStartupError,
};
pub use event_stream::{
    RedisEventLog, RedisEventLogParameters, RedisEventPublisher, RedisEventPublisherParameters,
};
pub use login_throttle::{RedisLoginThrottle, RedisLoginThrottleParameters};
pub use popularity::{RedisPopularity, RedisPopularityParameters};
pub use quota_leases::{RedisQuotaLeases, RedisQuotaLeasesParameters};
pub use rate_limiter::{RedisRateLimiter, RedisRateLimiterParameters};
pub use redis_service::{FredRedisService, FredRedisServiceParameters};
pub use session_store::{RedisSessionStore, RedisSessionStoreParameters};
pub use tls::{RedisTls, RedisTlsError};
