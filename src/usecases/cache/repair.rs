//! Cache writes that failed (write-through, tombstone, generation bump) are retried here in
//! the background until they succeed. While any is pending the cache is not trusted: reads
//! go to MongoDB, so an entry a failed invalidation left behind is never served.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::generations::{bump, Generation};
use super::CacheMetrics;
use crate::domain::ports::RedisService;

/// One cache write to redo.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RepairJob {
    /// A versioned entry (write-through or tombstone); the newest version per key wins.
    Put {
        key: String,
        version: u64,
        value: String,
        ttl: Duration,
    },
    /// One more increment of a generation counter; pending bumps of one key collapse.
    Bump(Generation),
}

impl RepairJob {
    fn key(&self) -> String {
        match self {
            Self::Put { key, .. } => key.clone(),
            Self::Bump(generation) => generation.key(),
        }
    }
}

/// The queue of cache writes to redo. `is_clean` is read on every cached read, so it is one
/// atomic load; the map behind it is only locked by writers and the worker.
#[derive(Default)]
pub struct CacheRepair {
    pending: Mutex<HashMap<String, RepairJob>>,
    pending_count: AtomicUsize,
    /// Jobs ever queued: a caller that reads it before and after its cache writes knows
    /// whether any of them failed.
    enqueued: AtomicU64,
    wake: Notify,
}

impl CacheRepair {
    pub(crate) fn enqueue(&self, job: RepairJob, metrics: &CacheMetrics) {
        self.enqueued.fetch_add(1, Ordering::SeqCst);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let key = job.key();
        let newer = match (pending.get(&key), &job) {
            (Some(RepairJob::Put { version: held, .. }), RepairJob::Put { version, .. }) => {
                version >= held
            }
            _ => true,
        };
        if newer {
            pending.insert(key, job);
        }
        self.pending_count.store(pending.len(), Ordering::SeqCst);
        metrics.repairs_pending(pending.len() as u64);
        drop(pending);
        self.wake.notify_one();
    }

    /// How many jobs were ever queued (see `enqueued`).
    pub fn enqueued(&self) -> u64 {
        self.enqueued.load(Ordering::SeqCst)
    }

    /// True when no cache write is waiting to be redone, i.e. the cache can be trusted.
    pub fn is_clean(&self) -> bool {
        self.pending_count.load(Ordering::SeqCst) == 0
    }

    fn snapshot(&self) -> Vec<RepairJob> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn done(&self, job: &RepairJob) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let key = job.key();
        if pending.get(&key) == Some(job) {
            pending.remove(&key);
        }
        self.pending_count.store(pending.len(), Ordering::SeqCst);
    }

    /// Redoes pending jobs; returns whether all succeeded.
    pub(crate) async fn drain(&self, cache: &dyn RedisService, metrics: &CacheMetrics) -> bool {
        let mut all_done = true;
        for job in self.snapshot() {
            let result = match &job {
                RepairJob::Put {
                    key,
                    version,
                    value,
                    ttl,
                } => cache
                    .set_if_newer(key, *version, value, *ttl)
                    .await
                    .map(|_| ()),
                RepairJob::Bump(generation) => bump(cache, generation).await,
            };
            match result {
                Ok(()) => {
                    metrics.invalidation();
                    self.done(&job);
                }
                Err(_) => {
                    all_done = false;
                    break;
                }
            }
        }
        all_done
    }
}

/// Runs forever: waits for jobs, redoes them, backs off (50 ms doubling to 2 s) while Redis
/// keeps failing.
pub async fn run_repair_worker(
    repair: Arc<CacheRepair>,
    cache: Arc<dyn RedisService>,
    metrics: Arc<CacheMetrics>,
) {
    let mut backoff = Duration::from_millis(50);
    loop {
        if repair.is_clean() {
            repair.wake.notified().await;
            continue;
        }
        if repair.drain(cache.as_ref(), &metrics).await {
            backoff = Duration::from_millis(50);
            tracing::info!("cache repairs applied; cache trusted again");
        } else {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::MockRedisService;

    fn put(version: u64) -> RepairJob {
        RepairJob::Put {
            key: "product:x".into(),
            version,
            value: "v".into(),
            ttl: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn keeps_the_newest_job_per_key_and_retries_until_success() {
        let metrics = CacheMetrics::default();
        let repair = CacheRepair::default();
        repair.enqueue(put(3), &metrics);
        repair.enqueue(put(2), &metrics);
        repair.enqueue(RepairJob::Bump(Generation::Lists), &metrics);
        repair.enqueue(RepairJob::Bump(Generation::Lists), &metrics);
        assert!(!repair.is_clean());
        assert_eq!(repair.snapshot().len(), 2);

        let mut failing = MockRedisService::new();
        failing
            .expect_set_if_newer()
            .returning(|_, _, _, _| Err(CacheError::Unavailable("down".into())));
        failing
            .expect_bump_counter()
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        assert!(!repair.drain(&failing, &metrics).await);
        assert!(!repair.is_clean());

        let mut working = MockRedisService::new();
        working
            .expect_set_if_newer()
            .withf(|_, v, _, _| *v == 3)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        working
            .expect_bump_counter()
            .withf(|key, _, _| key == "products:generation")
            .times(1)
            .returning(|_, _, _| Ok(5));
        assert!(repair.drain(&working, &metrics).await);
        assert!(repair.is_clean());
    }
}
