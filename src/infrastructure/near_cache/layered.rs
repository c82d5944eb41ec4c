//! `RedisService` with the near tier in front: the reads the hot paths make are answered
//! from process memory when the tier holds them, every write passes through to Redis and
//! retires the keys it touches from the tier before and after it runs.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::Component;

use super::is_tracked;
use super::tier::{NearEntry, NearTier};
use crate::domain::cache::{CacheKeys, GenerationalKey};
use crate::domain::error::CacheError;
use crate::domain::ports::{CacheUsage, LockToken, RedisService, VersionedValue};

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
        let ticket = tier.ticket(key);
        let read = self.redis.get_versioned(key).await?;
        if let (Some(ticket), Some(found)) = (ticket, &read) {
            let entry = NearEntry::Versioned(found.version, Arc::from(found.value.as_str()));
            tier.insert(&ticket, key.to_owned(), entry);
        }
        Ok(read)
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
        let ticket = tier.ticket(key);
        let value = self.redis.get_or_init_counter(key, initial, ttl).await?;
        if let Some(ticket) = ticket {
            tier.insert(&ticket, key.to_owned(), NearEntry::Counter(value));
        }
        Ok(value)
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
        let ticket = tier.ticket(counter);
        let (generation, value) = self
            .redis
            .get_under_generation(counter, initial, counter_ttl, key)
            .await?;
        if let Some(ticket) = ticket {
            tier.insert(&ticket, counter.to_owned(), NearEntry::Counter(generation));
            if let Some(value) = &value {
                let entry = NearEntry::Value(Arc::from(value.as_str()));
                tier.insert(&ticket, key.join(generation), entry);
            }
        }
        Ok((generation, value))
    }

    async fn scan_keys(&self, pattern: &str, limit: usize) -> Result<Vec<String>, CacheError> {
        self.redis.scan_keys(pattern, limit).await
    }

    async fn usage(&self) -> Result<CacheUsage, CacheError> {
        self.redis.usage().await
    }
}
