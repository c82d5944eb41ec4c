//! The one read-through flow behind list pages, counts and wishlist pages: look the entry up
//! (under its generation), serve a hit, or load from MongoDB once per key in this process
//! (single flight) and store what was loaded with a jittered TTL, unless it is larger than
//! `CACHE_MAX_ENTRY_BYTES` or the family's admission rule refuses it. An entry past its TTL
//! is served stale while one background refresh runs, or when MongoDB cannot be read
//! (`staleness`). Redis errors and pending repairs send the read to MongoDB; caching off
//! never touches Redis.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::admission::FillAdmission;
use super::product_entries::now_ms;
use super::staleness::{self, past};
use super::{CacheContext, CacheLayer, Fetched, SingleFlight, StaleReason};
use crate::domain::error::{CacheError, RepositoryError};
use crate::domain::ports::RedisService;
use crate::usecases::ProductError;

/// The shortest refresh-ahead window. A hot page is mostly answered from process memory
/// (ready responses, the near tier: each kept up to `NEAR_CACHE_TTL_MS`, 1 s by default), so
/// this flow may see its key only about once a second; a shorter window (a 2 s TTL's last
/// fifth) would often pass unseen, and the entry would expire with readers waiting on
/// MongoDB.
const REFRESH_AHEAD_FLOOR: Duration = Duration::from_secs(1);

/// A load result shared between the callers of one flight.
pub(crate) type SharedLoad<T> = Result<T, Arc<RepositoryError>>;

/// How one kind of value becomes cache text and back.
pub(crate) struct Codec<T> {
    pub encode: fn(&T) -> Option<String>,
    pub decode: fn(&str) -> Option<T>,
}

/// One family of read-through entries.
pub(crate) struct ReadThrough<'a, T> {
    pub cache: &'a Arc<dyn RedisService>,
    pub context: &'a Arc<CacheContext>,
    pub layer: CacheLayer,
    /// Static name for logs (`list.page`); never a key.
    pub operation: &'static str,
    pub flights: &'a SingleFlight<SharedLoad<T>>,
    pub codec: Codec<T>,
    pub ttl: Duration,
    /// For families whose keys clients can vary without bound: the rule and the query's
    /// identity without its generation.
    pub admission: Option<(&'a FillAdmission, &'a str)>,
}

impl<T: Clone + Send + 'static> ReadThrough<'_, T> {
    async fn admitted(&self) -> bool {
        match self.admission {
            Some((rule, shape)) => rule.admit(self.cache.as_ref(), self.context, shape).await,
            None => true,
        }
    }

    /// `lookup` resolves the key (reading its generation) and the raw entry in as few round
    /// trips as the adapter can; `load` reads MongoDB (it owns what it needs: a stale hit
    /// runs it in the background).
    pub async fn read<Lookup, Load, Loading>(
        &self,
        lookup: Lookup,
        load: Load,
    ) -> Result<Fetched<T>, ProductError>
    where
        Lookup: Future<Output = Result<(String, Option<String>), CacheError>>,
        Load: FnOnce() -> Loading + Send + 'static,
        Loading: Future<Output = Result<T, RepositoryError>> + Send + 'static,
    {
        let metrics = &self.context.metrics;
        if !self.context.usable() {
            metrics.database_read(self.layer);
            return Ok(Fetched::without_cache(load().await?));
        }
        let (key, raw) = match lookup.await {
            Ok(found) => found,
            Err(error) => {
                self.context.failed(self.operation, &error);
                metrics.database_read(self.layer);
                return Ok(Fetched::without_cache(load().await?));
            }
        };
        let Some((fresh_until, value)) = raw.as_deref().and_then(|raw| {
            let (fresh_until, page) = staleness::unwrap(raw);
            (self.codec.decode)(page).map(|value| (fresh_until, value))
        }) else {
            metrics.miss(self.layer);
            return Ok(Fetched::from_database(self.load_once(&key, load).await?));
        };
        let now = now_ms();
        let policy = &self.context.policy;
        let Some(by) = fresh_until.and_then(|until| past(until, now)) else {
            metrics.hit(self.layer);
            let ahead = self
                .ttl
                .mul_f64(policy.refresh_ahead)
                .max(REFRESH_AHEAD_FLOOR)
                .as_millis();
            let ahead = i64::try_from(ahead).unwrap_or(i64::MAX);
            if fresh_until.is_some_and(|until| until - now <= ahead) {
                self.refresh(key, load);
            }
            return Ok(Fetched::from_cache(value));
        };
        if by < policy.stale_while_revalidate && self.context.refreshes.running(&key) {
            metrics.hit(self.layer);
            return Ok(staleness::served(value, by, StaleReason::Revalidating));
        }
        metrics.miss(self.layer);
        match self.load_once(&key, load).await {
            Ok(loaded) => Ok(Fetched::from_database(loaded)),
            Err(error) if by < policy.stale_if_error && staleness::is_outage(&error) => {
                Ok(staleness::served(value, by, StaleReason::Error))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Loads `key` once among this process's concurrent callers and stores what was loaded
    /// (size cap and admission permitting).
    async fn load_once<Load, Loading>(&self, key: &str, load: Load) -> SharedLoad<T>
    where
        Load: FnOnce() -> Loading,
        Loading: Future<Output = Result<T, RepositoryError>>,
    {
        let metrics = &self.context.metrics;
        let (loaded, joined) = self
            .flights
            .run(key, || async {
                metrics.database_read(self.layer);
                let value = load().await.map_err(Arc::new)?;
                if let Some(raw) = (self.codec.encode)(&value) {
                    if self.context.fits(&raw) && self.admitted().await {
                        store(
                            self.cache.as_ref(),
                            self.context,
                            self.operation,
                            key,
                            &raw,
                            self.ttl,
                        )
                        .await;
                    }
                }
                Ok(value)
            })
            .await;
        if joined {
            metrics.single_flight_join();
        }
        loaded
    }

    /// Reloads an entry close to its TTL in the background, once per key in this process;
    /// the entry already holds its place in the budget, so admission is not asked again.
    fn refresh<Load, Loading>(&self, key: String, load: Load)
    where
        Load: FnOnce() -> Loading + Send + 'static,
        Loading: Future<Output = Result<T, RepositoryError>> + Send + 'static,
    {
        let Some(turn) = self.context.refreshes.begin(&key) else {
            return;
        };
        let (cache, context) = (self.cache.clone(), self.context.clone());
        let (encode, layer, ttl, operation) =
            (self.codec.encode, self.layer, self.ttl, self.operation);
        context.metrics.refresh_ahead();
        tokio::spawn(async move {
            let _turn = turn;
            context.metrics.database_read(layer);
            if let Ok(value) = load().await {
                if let Some(raw) = encode(&value).filter(|raw| context.fits(raw)) {
                    store(cache.as_ref(), &context, operation, &key, &raw, ttl).await;
                }
            }
        });
    }
}

/// Stores `raw` under `key` fresh for the jittered `ttl`, kept the stale span longer.
async fn store(
    cache: &dyn RedisService,
    context: &CacheContext,
    operation: &'static str,
    key: &str,
    raw: &str,
    ttl: Duration,
) {
    let ttl = context.jittered(ttl);
    let fresh_until = now_ms() + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
    let stored = staleness::wrap(fresh_until, raw);
    if let Err(error) = cache
        .set(key, &stored, ttl + context.policy.stale_span())
        .await
    {
        context.failed(operation, &error);
    }
}
