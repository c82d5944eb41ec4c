//! The background consistency checker: samples cached products (SCAN, never KEYS), compares
//! each with MongoDB, repairs what differs and counts it all.

use std::sync::Arc;
use std::time::Duration;

use super::product_entries::{self, Durability, ProductEntryView};
use super::CacheContext;
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::ProductId;

/// What one run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsistencyReport {
    pub checked: u64,
    pub mismatches: u64,
    pub repaired: u64,
    /// Where the next run starts: past the keys this run sampled, or 0 once the walk
    /// reached the end of the product keys, so successive runs cover them all in turn.
    pub next_offset: usize,
}

/// Checks up to `sample` cached products once, starting `offset` keys into the walk. An entry matches when it holds exactly what
/// MongoDB holds (same version and fields), or is a tombstone for a product MongoDB lacks.
/// Mismatches are repaired by writing MongoDB's state through the version-checked path, or
/// by deleting the entry when MongoDB's state cannot replace it (cache ahead of MongoDB).
pub async fn check_once(
    repository: &dyn ProductRepository,
    cache: &dyn RedisService,
    context: &CacheContext,
    offset: usize,
    sample: usize,
) -> ConsistencyReport {
    let mut report = ConsistencyReport::default();
    let walked = offset.saturating_add(sample);
    let mut keys = match cache.scan_keys(CacheKeys::PRODUCT_PATTERN, walked).await {
        Ok(keys) => keys,
        Err(error) => {
            context.failed("consistency.scan", &error);
            return report;
        }
    };
    report.next_offset = if keys.len() < walked { 0 } else { walked };
    let keys = keys.split_off(offset.min(keys.len()));
    let cached_version = |id: ProductId| async move {
        product_entries::read(cache, &id).await.map(|entry| {
            entry.map(
                |ProductEntryView {
                     product, version, ..
                 }| (version, product),
            )
        })
    };
    for key in keys {
        let Some(id) = CacheKeys::product_id_of(&key) else {
            continue;
        };
        let Ok(Some((version, cached))) = cached_version(id.clone()).await else {
            continue;
        };
        let Ok(stored) = repository.find_by_id(&id).await else {
            continue;
        };
        report.checked += 1;
        let consistent = match (&cached, &stored) {
            (Some(cached), Some(stored)) => cached == stored,
            (None, None) => true,
            // A tombstone above the stored version is a delete racing a re-read: fine.
            (None, Some(stored)) => version > stored.revision,
            (Some(_), None) => false,
        };
        if consistent {
            continue;
        }
        // An entry that changed while we read MongoDB is a write in flight, not a mismatch.
        match cached_version(id.clone()).await {
            Ok(Some((again, _))) if again == version => {}
            _ => continue,
        }
        report.mismatches += 1;
        let repaired = match &stored {
            Some(stored) if stored.revision >= version => {
                let ttl = context.jittered(context.policy.product_ttl);
                product_entries::put(
                    cache,
                    context,
                    &id,
                    stored.revision,
                    Some(stored),
                    ttl,
                    Durability::MustLand,
                )
                .await;
                true
            }
            _ => cache.delete(&key).await.is_ok(),
        };
        if repaired {
            report.repaired += 1;
        }
        tracing::warn!(product = %id, cached_version = version, "cache entry disagreed with MongoDB");
    }
    report
}

/// Runs `check_once` every `interval` forever, each run sampling the keys after the last
/// run's, recording each run in the cache metrics.
pub async fn run_consistency_checker(
    repository: Arc<dyn ProductRepository>,
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
    interval: Duration,
    sample: usize,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut offset = 0;
    loop {
        ticker.tick().await;
        let report = check_once(
            repository.as_ref(),
            cache.as_ref(),
            &context,
            offset,
            sample,
        )
        .await;
        offset = report.next_offset;
        context.metrics.consistency_run(
            report.checked,
            report.mismatches,
            report.repaired,
            chrono::Utc::now().timestamp_millis(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::usecases::cache::fixtures::{cached, tombstone};
    use crate::usecases::test_support::{product, ID};

    const OTHER: &str = "665f1c0e9b1e8a3d4c2b1a0a";

    fn key(id: &str) -> String {
        format!("product:{id}")
    }

    async fn run(
        repo: MockProductRepository,
        cache: MockRedisService,
        offset: usize,
        sample: usize,
    ) -> ConsistencyReport {
        check_once(&repo, &cache, &CacheContext::default(), offset, sample).await
    }

    #[tokio::test]
    async fn matching_entries_and_tombstones_of_missing_products_are_consistent() {
        let mut cache = MockRedisService::new();
        cache
            .expect_scan_keys()
            .returning(|_, _| Ok(vec![key(ID), key(OTHER), "product:not-an-id".into()]));
        cache.expect_get_versioned().returning(|k| {
            Ok(Some(if k.ends_with(ID) {
                cached(&product(ID, 3))
            } else {
                tombstone(1)
            }))
        });
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .returning(|id| Ok((id.as_str() == ID).then(|| product(ID, 3))));
        let report = run(repo, cache, 0, 10).await;
        assert_eq!(
            (report.checked, report.mismatches, report.repaired),
            (2, 0, 0)
        );
        assert_eq!(report.next_offset, 0, "the walk reached the end");
    }

    #[tokio::test]
    async fn a_tombstone_above_the_stored_version_is_a_delete_in_flight_not_a_mismatch() {
        let mut cache = MockRedisService::new();
        cache.expect_scan_keys().returning(|_, _| Ok(vec![key(ID)]));
        cache
            .expect_get_versioned()
            .returning(|_| Ok(Some(tombstone(5))));
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .returning(|_| Ok(Some(product(ID, 4))));
        let report = run(repo, cache, 0, 10).await;
        assert_eq!((report.checked, report.mismatches), (1, 0));
    }

    #[tokio::test]
    async fn an_older_entry_is_repaired_with_mongodbs_version() {
        let mut cache = MockRedisService::new();
        cache.expect_scan_keys().returning(|_, _| Ok(vec![key(ID)]));
        cache
            .expect_get_versioned()
            .times(2)
            .returning(|_| Ok(Some(cached(&product(ID, 2)))));
        cache
            .expect_set_if_newer()
            .withf(|_, version, _, _| *version == 3)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .returning(|_| Ok(Some(product(ID, 3))));
        let report = run(repo, cache, 0, 10).await;
        assert_eq!(
            (report.checked, report.mismatches, report.repaired),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn an_entry_that_changes_during_the_check_is_a_write_in_flight() {
        let mut cache = MockRedisService::new();
        cache.expect_scan_keys().returning(|_, _| Ok(vec![key(ID)]));
        let mut reads = 0;
        cache.expect_get_versioned().times(2).returning(move |_| {
            reads += 1;
            Ok(Some(cached(&product(ID, if reads == 1 { 2 } else { 3 }))))
        });
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .returning(|_| Ok(Some(product(ID, 3))));
        let report = run(repo, cache, 0, 10).await;
        assert_eq!(
            (report.checked, report.mismatches, report.repaired),
            (1, 0, 0)
        );
    }

    #[tokio::test]
    async fn an_entry_for_a_product_mongodb_lacks_is_deleted() {
        let mut cache = MockRedisService::new();
        cache.expect_scan_keys().returning(|_, _| Ok(vec![key(ID)]));
        cache
            .expect_get_versioned()
            .times(2)
            .returning(|_| Ok(Some(cached(&product(ID, 2)))));
        cache
            .expect_delete()
            .withf(|k| k == format!("product:{ID}"))
            .times(1)
            .returning(|_| Ok(true));
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id().returning(|_| Ok(None));
        let report = run(repo, cache, 0, 10).await;
        assert_eq!(
            (report.checked, report.mismatches, report.repaired),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn successive_runs_walk_on_and_wrap_at_the_end() {
        let keys: Vec<String> = (0..5)
            .map(|i| key(&format!("665f1c0e9b1e8a3d4c2b1a0{i}")))
            .collect();
        let mut cache = MockRedisService::new();
        cache
            .expect_scan_keys()
            .returning(move |_, limit| Ok(keys.iter().take(limit).cloned().collect()));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        cache.expect_get_versioned().returning(move |k| {
            record.lock().unwrap().push(k.to_owned());
            Ok(None)
        });
        let repo = MockProductRepository::new();
        let context = CacheContext::default();
        let first = check_once(&repo, &cache, &context, 0, 2).await;
        let second = check_once(&repo, &cache, &context, first.next_offset, 2).await;
        let third = check_once(&repo, &cache, &context, second.next_offset, 2).await;
        assert_eq!(
            (first.next_offset, second.next_offset, third.next_offset),
            (2, 4, 0)
        );
        let seen = seen.lock().unwrap().clone();
        let distinct: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(
            (seen.len(), distinct.len()),
            (5, 5),
            "each key once: {seen:?}"
        );
    }

    #[tokio::test]
    async fn a_failed_scan_checks_nothing_and_counts_the_failure() {
        let mut cache = MockRedisService::new();
        cache
            .expect_scan_keys()
            .returning(|_, _| Err(CacheError::Unavailable("down".into())));
        let context = CacheContext::default();
        let report = check_once(&MockProductRepository::new(), &cache, &context, 0, 10).await;
        assert_eq!(report, ConsistencyReport::default());
        assert_eq!(context.metrics.snapshot().errors, 1);
    }
}
