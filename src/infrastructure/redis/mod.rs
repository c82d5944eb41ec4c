//! Redis through fred: client set-up and the `RedisService` adapter.

mod client;
mod rate_limiter;
mod redis_service;
mod scripts;

pub use client::{build_client, RedisSettings, RedisStartupError};
pub use rate_limiter::{RedisRateLimiter, RedisRateLimiterParameters};
pub use redis_service::{FredRedisService, FredRedisServiceParameters};
