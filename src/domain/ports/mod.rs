//! Ports: the async traits the use cases need and the adapters implement.

mod event_stream;
mod login_throttle;
mod outbox;
mod password_hasher;
mod popularity;
mod product_repository;
mod quota_leases;
mod rate_limiter;
mod receipts;
mod redis_service;
mod session_store;
mod user_repository;
mod wishlist_repository;

pub use event_stream::{EventHistory, EventLog, EventPublisher, Publication, StreamPage};
pub use login_throttle::{
    LoginThrottle, LoginThrottlePolicy, ACCOUNT_WIDE_MIN_ADDRESSES, MAX_TRACKED_ADDRESSES,
};
pub use outbox::Outbox;
pub use password_hasher::{HasherBusy, PasswordHasher};
pub use popularity::Popularity;
pub use product_repository::{ProductRepository, ProductStream};
pub use quota_leases::{QuotaGrant, QuotaLeases};
pub use rate_limiter::{RateDecision, RateLimiter, RateRule, RateRuleError};
pub use receipts::ReceiptStore;
pub use redis_service::{CacheUsage, LockToken, RedisService, VersionedValue};
pub use session_store::SessionStore;
pub use user_repository::UserRepository;
pub use wishlist_repository::WishlistRepository;

#[cfg(any(test, feature = "mock"))]
pub use event_stream::{MockEventHistory, MockEventLog, MockEventPublisher};
#[cfg(any(test, feature = "mock"))]
pub use login_throttle::MockLoginThrottle;
#[cfg(any(test, feature = "mock"))]
pub use outbox::MockOutbox;
#[cfg(any(test, feature = "mock"))]
pub use password_hasher::MockPasswordHasher;
#[cfg(any(test, feature = "mock"))]
pub use popularity::MockPopularity;
#[cfg(any(test, feature = "mock"))]
pub use product_repository::MockProductRepository;
#[cfg(any(test, feature = "mock"))]
pub use quota_leases::MockQuotaLeases;
#[cfg(any(test, feature = "mock"))]
pub use rate_limiter::MockRateLimiter;
#[cfg(any(test, feature = "mock"))]
pub use receipts::MockReceiptStore;
#[cfg(any(test, feature = "mock"))]
pub use redis_service::MockRedisService;
#[cfg(any(test, feature = "mock"))]
pub use session_store::MockSessionStore;
#[cfg(any(test, feature = "mock"))]
pub use user_repository::MockUserRepository;
#[cfg(any(test, feature = "mock"))]
pub use wishlist_repository::MockWishlistRepository;
