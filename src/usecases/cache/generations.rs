//! Generation counters: a number embedded in a family of keys (list pages, counts, stored
//! HTTP responses, one user's wishlist pages). Incrementing it makes every key built from
//! the old value unreachable at once, whatever their number: O(1) invalidation, no scan.

use std::time::Duration;

use crate::domain::cache::CacheKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::RedisService;
use crate::domain::product::ProductId;
use crate::domain::user::UserId;

/// How long a product's response generation lives without a write: a day, the longest a
/// stored response may live (`HTTP_CACHE_TTL_PRODUCT_SECS`), so a counter outlives the
/// responses filed under it. Were it evicted earlier, it comes back from the clock, above
/// every value used, and those responses are only missed.
pub(crate) const PRODUCT_RESPONSE_GENERATION_TTL: Duration = Duration::from_secs(86_400);

/// The value a missing generation counter starts from: the clock, so a counter lost with a
/// Redis restart or an eviction never comes back lower than a generation already used.
pub(crate) fn generation_seed() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Which family of keys a generation counter retires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Generation {
    /// Product list pages, counts and every wishlist page.
    Lists,
    /// The stored HTTP responses of one product.
    ProductResponses(ProductId),
    /// One user's wishlist pages; the counter expires after the given time without use
    /// (see `wishlist_generation_ttl`), so idle users leave no keys behind.
    Wishlist(UserId, Duration),
}

impl Generation {
    pub(crate) fn key(&self) -> String {
        match self {
            Self::Lists => CacheKeys::LIST_GENERATION.to_owned(),
            Self::ProductResponses(id) => CacheKeys::product_response_generation(id),
            Self::Wishlist(user, _) => CacheKeys::wishlist_generation(user),
        }
    }

    /// The list generation never expires (there is one); per-user and per-product ones do.
    pub(crate) fn ttl(&self) -> Option<Duration> {
        match self {
            Self::Lists => None,
            Self::ProductResponses(_) => Some(PRODUCT_RESPONSE_GENERATION_TTL),
            Self::Wishlist(_, ttl) => Some(*ttl),
        }
    }
}

/// One increment of a generation counter, seeding it first if it is missing, in one atomic
/// call (which also sets the expiry of counters that have one). Used by the request path
/// and the repair worker alike.
pub(crate) async fn bump(
    cache: &dyn RedisService,
    generation: &Generation,
) -> Result<(), CacheError> {
    cache
        .bump_counter(&generation.key(), generation_seed(), generation.ttl())
        .await
        .map(|_| ())
}

/// The current value of a generation (created from the clock if missing).
pub(crate) async fn current(
    cache: &dyn RedisService,
    generation: &Generation,
) -> Result<i64, CacheError> {
    cache
        .get_or_init_counter(&generation.key(), generation_seed(), generation.ttl())
        .await
}
