//! The one read-through flow behind list pages, counts and wishlist pages: look the entry up
//! (under its generation), serve a hit, or load from MongoDB once per key in this process
//! (single flight) and store what was loaded with a jittered TTL, unless it is larger than
//! `CACHE_MAX_ENTRY_BYTES` or the family's admission rule refuses it. Redis errors and
//! pending repairs send the read to MongoDB; caching off never touches Redis.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::admission::FillAdmission;
use super::{CacheContext, CacheLayer, Fetched, SingleFlight};
use crate::domain::error::{CacheError, RepositoryError};
use crate::domain::ports::RedisService;
use crate::usecases::ProductError;

/// A load result shared between the callers of one flight.
pub(crate) type SharedLoad<T> = Result<T, Arc<RepositoryError>>;

/// How one kind of value becomes cache text and back.
pub(crate) struct Codec<T> {
    pub encode: fn(&T) -> Option<String>,
    pub decode: fn(&str) -> Option<T>,
}

/// One family of read-through entries.
pub(crate) struct ReadThrough<'a, T> {
    pub cache: &'a dyn RedisService,
    pub context: &'a CacheContext,
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

impl<T: Clone> ReadThrough<'_, T> {
    async fn admitted(&self) -> bool {
        match self.admission {
            Some((rule, shape)) => rule.admit(self.cache, self.context, shape).await,
            None => true,
        }
    }

    /// `lookup` resolves the key (reading its generation) and the raw entry in as few round
    /// trips as the adapter can; `load` reads MongoDB.
    pub async fn read<Lookup, Load, Loading>(
        &self,
        lookup: Lookup,
        load: Load,
    ) -> Result<Fetched<T>, ProductError>
    where
        Lookup: Future<Output = Result<(String, Option<String>), CacheError>>,
        Load: FnOnce() -> Loading,
        Loading: Future<Output = Result<T, RepositoryError>>,
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
        if let Some(value) = raw.as_deref().and_then(self.codec.decode) {
            metrics.hit(self.layer);
            return Ok(Fetched::from_cache(value));
        }
        metrics.miss(self.layer);
        let (loaded, joined) = self
            .flights
            .run(&key, || async {
                metrics.database_read(self.layer);
                let value = load().await.map_err(Arc::new)?;
                if let Some(raw) = (self.codec.encode)(&value) {
                    if self.context.fits(&raw) && self.admitted().await {
                        let ttl = self.context.jittered(self.ttl);
                        if let Err(error) = self.cache.set(&key, &raw, ttl).await {
                            self.context.failed(self.operation, &error);
                        }
                    }
                }
                Ok(value)
            })
            .await;
        if joined {
            metrics.single_flight_join();
        }
        Ok(Fetched::from_database(loaded?))
    }
}
