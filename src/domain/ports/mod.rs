//! Ports: the async traits the use cases need and the adapters implement.

mod product_repository;
mod rate_limiter;
mod redis_service;

pub use product_repository::ProductRepository;
pub use rate_limiter::{RateDecision, RateLimiter, RateRule, RateRuleError};
pub use redis_service::{CacheUsage, LockToken, RedisService, VersionedValue};

#[cfg(any(test, feature = "mock"))]
pub use product_repository::MockProductRepository;
#[cfg(any(test, feature = "mock"))]
pub use rate_limiter::MockRateLimiter;
#[cfg(any(test, feature = "mock"))]
pub use redis_service::MockRedisService;
