//! Which list and count pages are stored, so that varied queries (distinct search texts,
//! prices, page sizes) cannot grow Redis without bound. Two rules:
//!
//! - A fill budget per list window, shared by every instance through one Redis counter
//!   (`CacheKeys::LIST_FILLS`): at most `CachePolicy::list_fill_budget` pages are stored per
//!   window. The window is the longest TTL a list entry can get, so an entry outlives the
//!   window it was stored in by at most one more, and at most twice the budget of list and
//!   count entries exist at any time, whatever the traffic.
//! - A doorkeeper: while less than half of the budget is spent, a page is stored on its
//!   first miss (ordinary traffic behaves as if there were no rule); past half, only a query
//!   this instance has already seen in the window is stored. A flood of one-off queries
//!   therefore spends at most half the budget and leaves the rest to queries that repeat.
//!
//! A page that is not admitted is still served; it is just read from MongoDB again next
//! time. The doorkeeper keeps 8-byte hashes only, at most `DOORKEEPER_CAPACITY` of them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use super::CacheContext;
use crate::domain::cache::CacheKeys;
use crate::domain::ports::RedisService;

/// Queries remembered per instance; beyond it the least useful are forgotten (moka's
/// TinyLFU), which only makes the doorkeeper stricter.
const DOORKEEPER_CAPACITY: u64 = 50_000;

/// The admission rule for list and count fills. Built once per list component.
pub struct FillAdmission {
    seen: moka::sync::Cache<u64, ()>,
}

impl FillAdmission {
    pub fn new(window: Duration) -> Self {
        Self {
            seen: moka::sync::Cache::builder()
                .max_capacity(DOORKEEPER_CAPACITY)
                .time_to_live(window)
                .build(),
        }
    }

    /// Whether the page of query `shape` (its hash, without the generation, so a write
    /// does not make every query new again) may be stored now. Spends one unit of the
    /// budget when it may. A Redis failure is counted and answers no.
    pub async fn admit(
        &self,
        cache: &dyn RedisService,
        context: &CacheContext,
        shape: &str,
    ) -> bool {
        let budget = context.policy.list_fill_budget;
        let mut hasher = DefaultHasher::new();
        shape.hash(&mut hasher);
        let hash = hasher.finish();
        let seen = self.seen.contains_key(&hash);
        self.seen.insert(hash, ());
        let cap = if seen { budget } else { budget / 2 };
        let admitted = cap > 0
            && match cache
                .spend_budget(CacheKeys::LIST_FILLS, cap, context.policy.list_window())
                .await
            {
                Ok(taken) => taken,
                Err(error) => {
                    context.failed("list.admit", &error);
                    false
                }
            };
        if !admitted {
            context.metrics.fill_not_admitted();
        }
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cache::CachePolicy;
    use crate::domain::error::CacheError;
    use crate::domain::ports::MockRedisService;

    fn context(budget: u64) -> CacheContext {
        CacheContext::new(CachePolicy {
            list_fill_budget: budget,
            ..CachePolicy::default()
        })
    }

    #[tokio::test]
    async fn a_first_sighting_may_spend_half_the_budget_and_a_repeat_all_of_it() {
        let mut cache = MockRedisService::new();
        let mut seq = mockall::Sequence::new();
        for cap in [50, 100] {
            cache
                .expect_spend_budget()
                .withf(move |key, c, window| {
                    key == "products:list-fills"
                        && *c == cap
                        && *window == CachePolicy::default().list_window()
                })
                .times(1)
                .in_sequence(&mut seq)
                .returning(|_, _, _| Ok(true));
        }
        let admission = FillAdmission::new(Duration::from_secs(60));
        let context = context(100);
        assert!(admission.admit(&cache, &context, "q1").await);
        assert!(admission.admit(&cache, &context, "q1").await);
    }

    #[tokio::test]
    async fn a_spent_budget_or_a_failing_redis_admits_nothing_and_counts_it() {
        let mut cache = MockRedisService::new();
        let mut seq = mockall::Sequence::new();
        cache
            .expect_spend_budget()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(false));
        cache
            .expect_spend_budget()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        let admission = FillAdmission::new(Duration::from_secs(60));
        let context = context(100);
        assert!(!admission.admit(&cache, &context, "q1").await);
        assert!(!admission.admit(&cache, &context, "q2").await);
        let snapshot = context.metrics.snapshot();
        assert_eq!((snapshot.fills_not_admitted, snapshot.errors), (2, 1));
    }

    #[tokio::test]
    async fn a_zero_budget_never_asks_redis() {
        let admission = FillAdmission::new(Duration::from_secs(60));
        assert!(
            !admission
                .admit(&MockRedisService::new(), &context(0), "q")
                .await
        );
    }
}
