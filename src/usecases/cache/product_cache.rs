//! Cache-aside reads and write-through writes of single products.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::record::{ProductEntry, ProductRecord};
use super::repair::RepairJob;
use super::state::SharedLoad;
use super::{CacheState, DataSource, Fetched, Layer};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService, VersionedValue};
use crate::domain::product::{Product, ProductId};
use crate::usecases::ProductError;

/// How often a reader that lost the fill lock looks for the winner's entry.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The single-product cache, over the ports and the shared state. Cheap to clone.
#[derive(Clone)]
pub struct ProductCache {
    repository: Arc<dyn ProductRepository>,
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

type Loaded = SharedLoad<(Option<Product>, DataSource)>;

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl ProductCache {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        state: Arc<CacheState>,
    ) -> Self {
        Self {
            repository,
            cache,
            state,
        }
    }

    fn jittered(&self, base: Duration) -> Duration {
        self.state
            .policy
            .jittered(base, rand::random_range(-1.0..=1.0))
    }

    /// The product (or `None` for a tombstone) and the entry's expiry; `None` when the entry
    /// is unreadable or its content disagrees with its version tag.
    fn decode(raw: VersionedValue) -> Option<(Option<Product>, i64)> {
        let entry: ProductEntry = serde_json::from_str(&raw.value).ok()?;
        let product = match entry.product {
            Some(record) => Some(
                record
                    .into_product()
                    .filter(|p| p.version.get() == raw.version)?,
            ),
            None => None,
        };
        Some((product, entry.expires_at_ms))
    }

    /// Cache-aside read. A hit never touches MongoDB; misses collapse into one load per key
    /// in this process (single flight) and one per key across instances (Redis lock); Redis
    /// errors, or pending repairs, send the read to MongoDB.
    pub async fn get(&self, id: &ProductId) -> Result<Fetched<Option<Product>>, ProductError> {
        let metrics = &self.state.metrics;
        if !self.state.usable() {
            return self.read_database(id).await;
        }
        let key = CacheKeys::product(id);
        match self.cache.get_versioned(&key).await {
            Ok(Some(raw)) => {
                if let Some((product, expires_at_ms)) = Self::decode(raw) {
                    metrics.hit(Layer::Product);
                    if product.is_some() {
                        self.maybe_refresh_ahead(id, expires_at_ms);
                    }
                    return Ok(Fetched::new(product, DataSource::Cache));
                }
                metrics.miss(Layer::Product);
            }
            Ok(None) => metrics.miss(Layer::Product),
            Err(_) => {
                metrics.error();
                return self.read_database(id).await;
            }
        }
        let (loaded, joined) = self
            .state
            .product_flights
            .run(&key, || self.load_locked(id))
            .await;
        if joined {
            metrics.single_flight_join();
        }
        let (product, source) = loaded?;
        Ok(Fetched::new(product, source))
    }

    async fn read_database(
        &self,
        id: &ProductId,
    ) -> Result<Fetched<Option<Product>>, ProductError> {
        self.state.metrics.database_read(Layer::Product);
        Ok(Fetched::new(
            self.repository.find_by_id(id).await?,
            DataSource::Database,
        ))
    }

    /// Loads under the cross-instance lock. A reader that loses the race waits (bounded)
    /// for the winner's fill, then reads MongoDB itself rather than wait longer.
    async fn load_locked(&self, id: &ProductId) -> Loaded {
        let lock = CacheKeys::product_lock(id);
        let policy = self.state.policy;
        match self.cache.try_lock(&lock, policy.lock_ttl).await {
            Ok(Some(token)) => {
                let loaded = self.load_and_fill(id).await;
                let _ = self.cache.unlock(&lock, &token).await;
                loaded
            }
            Ok(None) => {
                self.state.metrics.lock_wait();
                let deadline = tokio::time::Instant::now() + policy.lock_wait;
                while tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(LOCK_POLL).await;
                    if let Ok(Some(raw)) = self.cache.get_versioned(&CacheKeys::product(id)).await {
                        if let Some((product, _)) = Self::decode(raw) {
                            return Ok((product, DataSource::Cache));
                        }
                    }
                }
                self.load_and_fill(id).await
            }
            Err(_) => {
                self.state.metrics.error();
                self.load_and_fill(id).await
            }
        }
    }

    async fn load_and_fill(&self, id: &ProductId) -> Loaded {
        self.state.metrics.database_read(Layer::Product);
        let product = self.repository.find_by_id(id).await.map_err(Arc::new)?;
        match &product {
            Some(product) => self.fill(product).await,
            None => {
                self.put(id, 0, None, self.state.policy.missing_ttl, false)
                    .await
            }
        }
        Ok((product, DataSource::Database))
    }

    /// Stores a freshly read product unless the cache already holds a newer version.
    async fn fill(&self, product: &Product) {
        let ttl = self.jittered(self.state.policy.product_ttl);
        self.put(
            &product.id,
            product.version.get(),
            Some(product),
            ttl,
            false,
        )
        .await;
    }

    /// Write-through after a create or update: the new version replaces any older entry.
    /// If Redis fails, the write is queued for repair and reads bypass the cache meanwhile.
    pub async fn write_through(&self, product: &Product) {
        let ttl = self.jittered(self.state.policy.product_ttl);
        self.put(&product.id, product.version.get(), Some(product), ttl, true)
            .await;
    }

    /// After a delete: a tombstone one version above the deleted product, so no in-flight
    /// read of the old version can bring it back.
    pub async fn tombstone(&self, deleted: &Product) {
        let version = deleted.version.get() + 1;
        self.put(
            &deleted.id,
            version,
            None,
            self.state.policy.missing_ttl,
            true,
        )
        .await;
    }

    /// Exposed for the consistency checker, which repairs entries the same way.
    pub(crate) async fn cached_version(
        &self,
        id: &ProductId,
    ) -> Result<Option<(u64, Option<Product>)>, ()> {
        match self.cache.get_versioned(&CacheKeys::product(id)).await {
            Ok(Some(raw)) => {
                let version = raw.version;
                Ok(Self::decode(raw).map(|(product, _)| (version, product)))
            }
            Ok(None) => Ok(None),
            Err(_) => Err(()),
        }
    }

    async fn put(
        &self,
        id: &ProductId,
        version: u64,
        product: Option<&Product>,
        ttl: Duration,
        must_land: bool,
    ) {
        if !self.state.policy.enabled {
            return;
        }
        let entry = ProductEntry {
            expires_at_ms: now_ms() + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2),
            product: product.map(ProductRecord::from),
        };
        let Ok(value) = serde_json::to_string(&entry) else {
            return;
        };
        let key = CacheKeys::product(id);
        let metrics = &self.state.metrics;
        match self.cache.set_if_newer(&key, version, &value, ttl).await {
            Ok(true) => {}
            Ok(false) => metrics.stale_fill_rejected(),
            Err(_) => {
                metrics.error();
                if must_land {
                    self.state.repair.enqueue(
                        RepairJob::Put {
                            key,
                            version,
                            value,
                            ttl,
                        },
                        metrics,
                    );
                }
            }
        }
    }

    /// One background reload when a hit is close to expiry, so hot keys never miss. Only the
    /// instance that gets the lock reloads; the others keep serving the current entry.
    fn maybe_refresh_ahead(&self, id: &ProductId, expires_at_ms: i64) {
        let policy = self.state.policy;
        let threshold = policy.product_ttl.mul_f64(policy.refresh_ahead).as_millis() as i64;
        if expires_at_ms - now_ms() > threshold {
            return;
        }
        let this = self.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let key = format!("refresh:{}", CacheKeys::product(&id));
            let _ = this
                .state
                .product_flights
                .run(&key, || async {
                    let lock = CacheKeys::product_lock(&id);
                    if let Ok(Some(token)) = this.cache.try_lock(&lock, policy.lock_ttl).await {
                        this.state.metrics.refresh_ahead();
                        let loaded = this.load_and_fill(&id).await;
                        let _ = this.cache.unlock(&lock, &token).await;
                        return loaded;
                    }
                    Ok((None, DataSource::Cache))
                })
                .await;
        });
    }
}
