//! `RedisService` with the near tier in front: the reads the hot paths make are answered
//! from process memory when the tier holds them, every write passes through to Redis and
//! retires the keys it touches from the tier before and after it runs.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::Component;

use super::is_tracked;
use super::tier::{NearEntry, NearTier, ReadTicket};
use crate::domain::cache::{CacheKeys, GenerationalKey};
use crate::domain::error::CacheError;
use crate::domain::ports::{CacheUsage, LockToken, RedisService, VersionedValue};
use crate::usecases::cache::SingleFlight;

/// The cache port as the use cases see it. With `tier` absent (`NEAR_CACHE_ENABLED=false`,
/// or a deployment the tier does not support) every call goes straight to `redis`.
///
/// What is held: versioned entries (`get_versioned`: products), generation counters
/// (`get_or_init_counter`) and generational lookups (`get_under_generation`: the counter and
/// the list page, count or stored response under it), and only under the prefixes the feed
/// tracks (per-user wishlist keys are not). Those are what a cached read costs; everything
/// else (locks, budgets, plain gets) goes to Redis. A write on this instance retires the keys it
/// writes from the tier before the write returns, so reads on this instance after a write
/// never see older data; other instances learn of it through Redis' invalidations.
#[derive(Component)]
#[shaku(interface = RedisService)]
pub struct NearCachedRedis {
    redis: Arc<dyn RedisService>,
    tier: Option<Arc<NearTier>>,
    #[shaku(force_default)]
    flights: NearFlights,
}

/// Near-tier misses of one key share one Redis read (named by `ReadTicket::flight`): when a
/// hot entry expires from the tier under load, one request asks Redis for it, not every
/// request in flight at that moment. `None`: the read failed (its caller has the error).
#[derive(Default)]
struct NearFlights {
    versioned: SingleFlight<Option<Option<VersionedValue>>>,
    counters: SingleFlight<Option<i64>>,
    generational: SingleFlight<Option<(i64, Option<String>)>>,
}

/// `read` once among the callers with the same `ticket` and `key`; a caller whose shared
/// read failed in another caller's hands reads for itself.
async fn shared_read<T, F, Fut>(
    flights: &SingleFlight<Option<T>>,
    ticket: &ReadTicket,
    key: &str,
    read: F,
) -> Result<T, CacheError>
where
    T: Clone,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, CacheError>>,
{
    let mut failure = None;
    let (value, _) = flights
        .run(&ticket.flight(key), || async {
            match read().await {
                Ok(value) => Some(value),
                Err(error) => {
                    failure = Some(error);
                    None
                }
            }
        })
        .await;
    match (value, failure) {
        (Some(value), _) => Ok(value),
        (None, Some(error)) => Err(error),
        (None, None) => read().await,
    }
}

impl NearCachedRedis {
    /// The tier, when it may hold every one of `keys` (all tracked by the feed).
    fn tier_for(&self, keys: &[&str]) -> Option<&NearTier> {
        self.tier
            .as_deref()
            .filter(|_| keys.iter().all(|key| is_tracked(key)))
    }

    /// Runs a write of `key` with the key retired from the tier on both sides of it: before,
    /// so no reader on this instance keeps the old value past the write; after, so a
    /// read that overlapped the write cannot keep what it read either.
    async fn writing<T>(
        &self,
        key: &str,
        write: impl std::future::Future<Output = Result<T, CacheError>>,
    ) -> Result<T, CacheError> {
        let Some(tier) = &self.tier else {
            return write.await;
        };
        tier.invalidate(key);
        let result = write.await;
        tier.invalidate(key);
        result
    }
}

#[async_trait]
impl RedisService for NearCachedRedis {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.redis.get(key).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        self.writing(key, self.redis.set(key, value, ttl)).await
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.writing(key, self.redis.delete(key)).await
    }

    async fn bump_counter(
        &self,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError> {
        self.writing(key, self.redis.bump_counter(key, initial, ttl))
            .await
    }

    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>, CacheError> {
        self.redis.try_lock(key, ttl).await
    }

    async fn unlock(&self, key: &str, token: &LockToken) -> Result<bool, CacheError> {
        self.redis.unlock(key, token).await
    }

    async fn spend_budget(
        &self,
        key: &str,
        budget: u64,
        window: Duration,
    ) -> Result<bool, CacheError> {
        self.redis.spend_budget(key, budget, window).await
    }

    async fn ping(&self) -> Result<Duration, CacheError> {
        self.redis.ping().await
    }

    async fn get_versioned(&self, key: &str) -> Result<Option<VersionedValue>, CacheError> {
        let Some(tier) = self.tier_for(&[key]) else {
            return self.redis.get_versioned(key).await;
        };
        let held = tier.get(key);
        tier.record(held.is_some());
        if let Some(NearEntry::Versioned(version, value)) = held {
            return Ok(Some(VersionedValue {
                version,
                value: value.to_string(),
            }));
        }
        let Some(ticket) = tier.ticket(key) else {
            return self.redis.get_versioned(key).await;
        };
        shared_read(&self.flights.versioned, &ticket, key, || async {
            let read = self.redis.get_versioned(key).await?;
            if let Some(found) = &read {
                let entry = NearEntry::Versioned(found.version, Arc::from(found.value.as_str()));
                tier.insert(&ticket, key.to_owned(), entry);
            }
            Ok(read)
        })
        .await
    }

    async fn retire_versioned(&self) -> Result<(), CacheError> {
        let result = self
            .writing(CacheKeys::VERSIONED_EPOCH, self.redis.retire_versioned())
            .await;
        if let Some(tier) = &self.tier {
            tier.flush();
        }
        result
    }

    async fn set_if_newer(
        &self,
        key: &str,
        version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        self.writing(key, self.redis.set_if_newer(key, version, value, ttl))
            .await
    }

    async fn get_or_init_counter(
        &self,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError> {
        let Some(tier) = self.tier_for(&[key]) else {
            return self.redis.get_or_init_counter(key, initial, ttl).await;
        };
        let held = tier.get(key);
        tier.record(held.is_some());
        if let Some(NearEntry::Counter(value)) = held {
            return Ok(value);
        }
        let Some(ticket) = tier.ticket(key) else {
            return self.redis.get_or_init_counter(key, initial, ttl).await;
        };
        shared_read(&self.flights.counters, &ticket, key, || async {
            let value = self.redis.get_or_init_counter(key, initial, ttl).await?;
            tier.insert(&ticket, key.to_owned(), NearEntry::Counter(value));
            Ok(value)
        })
        .await
    }

    async fn get_under_generation(
        &self,
        counter: &str,
        initial: i64,
        counter_ttl: Option<Duration>,
        key: &GenerationalKey,
    ) -> Result<(i64, Option<String>), CacheError> {
        let Some(tier) = self.tier_for(&[counter, &key.before]) else {
            return self
                .redis
                .get_under_generation(counter, initial, counter_ttl, key)
                .await;
        };
        let held = match tier.get(counter) {
            Some(NearEntry::Counter(generation)) => match tier.get(&key.join(generation)) {
                Some(NearEntry::Value(value)) => Some((generation, value)),
                _ => None,
            },
            _ => None,
        };
        tier.record(held.is_some());
        if let Some((generation, value)) = held {
            return Ok((generation, Some(value.to_string())));
        }
        // The ticket covers the counter only: a value under a generation is what that
        // generation holds, so only a newer generation can make it stale.
        let Some(ticket) = tier.ticket(counter) else {
            return self
                .redis
                .get_under_generation(counter, initial, counter_ttl, key)
                .await;
        };
        let flight = format!("{counter}|{}|{}", key.before, key.after);
        shared_read(&self.flights.generational, &ticket, &flight, || async {
            let (generation, value) = self
                .redis
                .get_under_generation(counter, initial, counter_ttl, key)
                .await?;
            tier.insert(&ticket, counter.to_owned(), NearEntry::Counter(generation));
            if let Some(value) = &value {
                let entry = NearEntry::Value(Arc::from(value.as_str()));
                tier.insert(&ticket, key.join(generation), entry);
            }
            Ok((generation, value))
        })
        .await
    }

    async fn scan_keys(&self, pattern: &str, limit: usize) -> Result<Vec<String>, CacheError> {
        self.redis.scan_keys(pattern, limit).await
    }

    async fn usage(&self) -> Result<CacheUsage, CacheError> {
        self.redis.usage().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockRedisService;

    /// Concurrent misses of one product: the first reader's Redis read is slow (held
    /// 1.5 s); the readers that miss meanwhile join it instead of reading Redis again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_misses_of_one_key_make_one_redis_read() {
        let tier = Arc::new(NearTier::new(100, Duration::from_secs(60), Arc::default()));
        tier.trust();
        let mut redis = MockRedisService::new();
        redis.expect_get_versioned().times(1).returning(|_| {
            std::thread::sleep(Duration::from_millis(1_500));
            Ok(Some(VersionedValue {
                version: 3,
                value: "{}".into(),
            }))
        });
        let near = Arc::new(NearCachedRedis {
            redis: Arc::new(redis),
            tier: Some(tier),
            flights: NearFlights::default(),
        });
        let first = tokio::spawn({
            let near = near.clone();
            async move { near.get_versioned("product:1").await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let others: Vec<_> = (0..3)
            .map(|_| {
                let near = near.clone();
                tokio::spawn(async move { near.get_versioned("product:1").await })
            })
            .collect();
        assert_eq!(first.await.unwrap().unwrap().unwrap().version, 3);
        for other in others {
            assert_eq!(other.await.unwrap().unwrap().unwrap().version, 3);
        }
    }
}
