use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fred::interfaces::{ClusterInterface, ServerInterface};
use fred::prelude::{Client, ClientLike, Expiration, KeysInterface, SetOptions};
use fred::types::scan::Scanner;
use futures_util::{StreamExt, TryStreamExt};
use rand::RngCore;
use shaku::Component;

use super::call::bounded_call;
use super::scripts::{
    BUMP_COUNTER, GET_OR_INIT_COUNTER, GET_UNDER_GENERATION, GET_VERSIONED, RELEASE_LOCK,
    SET_IF_NEWER, SPEND_BUDGET,
};
use crate::domain::cache::{CacheKeys, GenerationalKey};
use crate::domain::error::CacheError;
use crate::domain::ports::{CacheUsage, LockToken, RedisService, VersionedValue};

/// `RedisService` on a fred client. Keys get the namespace prefix here and nowhere else.
/// When the client is not connected, calls fail at once instead of queueing behind a
/// reconnect, so an outage costs requests nothing.
#[derive(Component)]
#[shaku(interface = RedisService)]
pub struct FredRedisService {
    client: Client,
    key_prefix: String,
    timeout: Duration,
    /// Replicas that must confirm a deletion, counter bump or versioned write before it is
    /// reported done (`REDIS_WAIT_REPLICAS`); 0 waits for none.
    wait_replicas: u32,
}

impl FredRedisService {
    pub fn new(client: Client, key_prefix: String, timeout: Duration, wait_replicas: u32) -> Self {
        Self {
            client,
            key_prefix,
            timeout,
            wait_replicas,
        }
    }

    /// With replicas to wait for, waits (WAIT, bounded by the command timeout) until that
    /// many replicas of the node holding `key` have every write this client sent that node,
    /// and fails when fewer confirm. Replication is asynchronous: a primary that dies right
    /// after acknowledging an invalidation can take it with it, and its promoted replica
    /// would serve the entry the invalidation removed. Failing here makes the caller treat
    /// the write like any failed cache call (repair queued, the cache distrusted until it
    /// is applied). fred keeps one connection per node, so the WAIT travels on the
    /// connection that carried the write.
    async fn replicated(&self, key: &str) -> Result<(), CacheError> {
        if self.wait_replicas == 0 {
            return Ok(());
        }
        let wanted = i64::from(self.wait_replicas);
        let bound = millis(self.timeout);
        let acked: i64 = if self.client.is_clustered() {
            let slot = fred::util::redis_keyslot(self.key(key).as_bytes());
            let primary = self
                .client
                .cached_cluster_state()
                .and_then(|state| state.get_server(slot).cloned())
                .ok_or_else(|| CacheError::Unavailable("no primary known for the slot".into()))?;
            let node = self.client.with_cluster_node(primary);
            self.call_for(self.timeout * 2, node.wait(wanted, bound))
                .await?
        } else {
            self.call_for(self.timeout * 2, self.client.wait(wanted, bound))
                .await?
        };
        if acked < wanted {
            return Err(CacheError::Unavailable(
                format!("{acked} of {wanted} replicas confirmed the write").into(),
            ));
        }
        Ok(())
    }

    /// Walks the keys matching `pattern` under the prefix with SCAN (on every primary when
    /// clustered), page by page, calling `visit` with each logical key until it returns false.
    /// Bounded by twenty command timeouts in total.
    async fn scan(
        &self,
        pattern: &str,
        mut visit: impl FnMut(&str) -> bool + Send,
    ) -> Result<(), CacheError> {
        let pattern = self.key(pattern);
        let prefix_len = self.key_prefix.len();
        let walk = async {
            let mut pages = if self.client.is_clustered() {
                self.client.scan_cluster(pattern, Some(200), None).boxed()
            } else {
                self.client.scan(pattern, Some(200), None).boxed()
            };
            while let Some(mut page) = pages.try_next().await? {
                for key in page.take_results().unwrap_or_default() {
                    let Some(key) = key.as_str() else { continue };
                    if !visit(&key[prefix_len..]) {
                        return Ok(());
                    }
                }
                page.next();
            }
            Ok(())
        };
        self.call_for(self.timeout * 20, walk).await
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.key_prefix, key)
    }

    /// Runs one of the counter scripts (seed `initial`, optional expiry) on `key`.
    async fn counter(
        &self,
        script: &fred::types::scripts::Script,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError> {
        let args = vec![initial, ttl.map_or(0, millis)];
        self.call(script.evalsha_with_reload(&self.client, self.key(key), args))
            .await
    }

    /// Keys and arguments of a versioned-entry script: the entry and the epoch key on one
    /// server (read atomically in the script); on a cluster, where the epoch lives in another
    /// slot, the entry alone with the epoch read just before. `args` is followed by the seed
    /// of a missing epoch and the epoch read here (0 when the script reads it).
    async fn in_epoch(
        &self,
        key: &str,
        mut args: Vec<String>,
    ) -> Result<(Vec<String>, Vec<String>), CacheError> {
        let seed = clock_seed();
        if self.client.is_clustered() {
            let epoch = self
                .get_or_init_counter(CacheKeys::VERSIONED_EPOCH, seed, None)
                .await?;
            args.extend([seed.to_string(), epoch.to_string()]);
            return Ok((vec![self.key(key)], args));
        }
        args.extend([seed.to_string(), "0".to_owned()]);
        Ok((
            vec![self.key(key), self.key(CacheKeys::VERSIONED_EPOCH)],
            args,
        ))
    }

    async fn call<T, F>(&self, command: F) -> Result<T, CacheError>
    where
        F: Future<Output = Result<T, fred::error::Error>>,
    {
        self.call_for(self.timeout, command).await
    }

    async fn call_for<T, F>(&self, timeout: Duration, command: F) -> Result<T, CacheError>
    where
        F: Future<Output = Result<T, fred::error::Error>>,
    {
        bounded_call(&self.client, timeout, command).await
    }
}

/// The value a missing counter starts from: the clock, so one lost with a restart or an
/// eviction never comes back below a value already used.
fn clock_seed() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[async_trait]
impl RedisService for FredRedisService {
    #[tracing::instrument(name = "redis.get", level = "debug", skip_all)]
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.call(self.client.get(self.key(key))).await
    }

    #[tracing::instrument(name = "redis.set", level = "debug", skip_all)]
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let expire = Some(Expiration::PX(millis(ttl)));
        self.call(
            self.client
                .set::<(), _, _>(self.key(key), value, expire, None, false),
        )
        .await
    }

    #[tracing::instrument(name = "redis.delete", level = "debug", skip_all)]
    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let removed: i64 = self.call(self.client.del(self.key(key))).await?;
        self.replicated(key).await?;
        Ok(removed > 0)
    }

    #[tracing::instrument(name = "redis.bump_counter", level = "debug", skip_all)]
    async fn bump_counter(
        &self,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError> {
        let bumped = self.counter(&BUMP_COUNTER, key, initial, ttl).await?;
        self.replicated(key).await?;
        Ok(bumped)
    }

    #[tracing::instrument(name = "redis.spend_budget", level = "debug", skip_all)]
    async fn spend_budget(
        &self,
        key: &str,
        budget: u64,
        window: Duration,
    ) -> Result<bool, CacheError> {
        let args = vec![budget.to_string(), millis(window).to_string()];
        let taken: i64 = self
            .call(SPEND_BUDGET.evalsha_with_reload(&self.client, self.key(key), args))
            .await?;
        Ok(taken == 1)
    }

    #[tracing::instrument(name = "redis.try_lock", level = "debug", skip_all)]
    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>, CacheError> {
        let mut bytes = [0_u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let token = crate::domain::digest::hex(&bytes);
        let expire = Some(Expiration::PX(millis(ttl)));
        let set: Option<String> = self
            .call(self.client.set(
                self.key(key),
                token.as_str(),
                expire,
                Some(SetOptions::NX),
                false,
            ))
            .await?;
        Ok(set.map(|_| LockToken::new(token)))
    }

    #[tracing::instrument(name = "redis.unlock", level = "debug", skip_all)]
    async fn unlock(&self, key: &str, token: &LockToken) -> Result<bool, CacheError> {
        let released: i64 = self
            .call(RELEASE_LOCK.evalsha_with_reload(&self.client, self.key(key), token.as_str()))
            .await?;
        Ok(released == 1)
    }

    #[tracing::instrument(name = "redis.ping", level = "debug", skip_all)]
    async fn ping(&self) -> Result<Duration, CacheError> {
        let started = Instant::now();
        self.call(self.client.ping::<String>(None)).await?;
        Ok(started.elapsed())
    }

    #[tracing::instrument(name = "redis.get_versioned", level = "debug", skip_all)]
    async fn get_versioned(&self, key: &str) -> Result<Option<VersionedValue>, CacheError> {
        let (keys, args) = self.in_epoch(key, Vec::new()).await?;
        let raw: Option<String> = self
            .call(GET_VERSIONED.evalsha_with_reload(&self.client, keys, args))
            .await?;
        Ok(raw.and_then(|raw| {
            let (version, value) = raw.split_once('|')?;
            Some(VersionedValue {
                version: version.parse().ok()?,
                value: value.to_owned(),
            })
        }))
    }

    #[tracing::instrument(name = "redis.set_if_newer", level = "debug", skip_all)]
    async fn set_if_newer(
        &self,
        key: &str,
        version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let args = vec![
            version.to_string(),
            value.to_owned(),
            millis(ttl).to_string(),
        ];
        let (keys, args) = self.in_epoch(key, args).await?;
        let stored: i64 = self
            .call(SET_IF_NEWER.evalsha_with_reload(&self.client, keys, args))
            .await?;
        // Also when not stored: the newer entry that refused this one must be replicated
        // too before a retried write-through can count as done.
        self.replicated(key).await?;
        Ok(stored == 1)
    }

    #[tracing::instrument(name = "redis.retire_versioned", level = "debug", skip_all)]
    async fn retire_versioned(&self) -> Result<(), CacheError> {
        self.bump_counter(CacheKeys::VERSIONED_EPOCH, clock_seed(), None)
            .await
            .map(|_| ())
    }

    #[tracing::instrument(name = "redis.get_or_init_counter", level = "debug", skip_all)]
    async fn get_or_init_counter(
        &self,
        key: &str,
        initial: i64,
        ttl: Option<Duration>,
    ) -> Result<i64, CacheError> {
        self.counter(&GET_OR_INIT_COUNTER, key, initial, ttl).await
    }

    #[tracing::instrument(name = "redis.get_under_generation", level = "debug", skip_all)]
    async fn get_under_generation(
        &self,
        counter: &str,
        initial: i64,
        counter_ttl: Option<Duration>,
        key: &GenerationalKey,
    ) -> Result<(i64, Option<String>), CacheError> {
        if self.client.is_clustered() {
            let generation = self
                .get_or_init_counter(counter, initial, counter_ttl)
                .await?;
            return Ok((generation, self.get(&key.join(generation)).await?));
        }
        let args = vec![
            initial.to_string(),
            self.key(&key.before),
            key.after.clone(),
            counter_ttl
                .map_or(0, |ttl| ttl.as_millis().max(1))
                .to_string(),
        ];
        let (generation, value): (i64, Option<String>) = self
            .call(GET_UNDER_GENERATION.evalsha_with_reload(&self.client, self.key(counter), args))
            .await?;
        Ok((generation, value))
    }

    #[tracing::instrument(name = "redis.scan_keys", level = "debug", skip_all)]
    async fn scan_keys(&self, pattern: &str, limit: usize) -> Result<Vec<String>, CacheError> {
        let mut keys = Vec::new();
        self.scan(pattern, |key| {
            keys.push(key.to_owned());
            keys.len() < limit
        })
        .await?;
        Ok(keys)
    }

    #[tracing::instrument(name = "redis.usage", level = "debug", skip_all)]
    async fn usage(&self) -> Result<CacheUsage, CacheError> {
        let info: String = self
            .call(self.client.info(Some(fred::types::InfoKind::Memory)))
            .await?;
        let used_memory_bytes = info
            .lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut keys = 0_u64;
        self.scan("*", |_| {
            keys += 1;
            true
        })
        .await?;
        Ok(CacheUsage {
            used_memory_bytes,
            keys,
        })
    }
}
