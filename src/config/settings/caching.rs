//! The caches: the Redis cache policy (`CACHE_*`), the near tier (`NEAR_CACHE_*`) and the
//! background consistency checker (`CONSISTENCY_CHECK_*`).

use super::reader::Reader;
use super::ConsistencySettings;
use crate::domain::cache::CachePolicy;
use crate::infrastructure::near_cache::NearCacheSettings;

pub(super) fn cache(r: &mut Reader) -> CachePolicy {
    let defaults = CachePolicy::default();

    CachePolicy {
        enabled: r.parsed("CACHE_ENABLED", true, "true or false"),
        product_ttl: r.seconds(
            "CACHE_TTL_PRODUCT_SECS",
            defaults.product_ttl.as_secs(),
            1,
            86_400,
        ),
        list_ttl: r.seconds(
            "CACHE_TTL_LIST_SECS",
            defaults.list_ttl.as_secs(),
            1,
            86_400,
        ),
        missing_ttl: r.seconds(
            "CACHE_TTL_MISSING_SECS",
            defaults.missing_ttl.as_secs(),
            1,
            3_600,
        ),
        stale_while_revalidate: r.seconds(
            "CACHE_STALE_WHILE_REVALIDATE_SECS",
            defaults.stale_while_revalidate.as_secs(),
            0,
            3_600,
        ),
        stale_if_error: r.seconds(
            "CACHE_STALE_IF_ERROR_SECS",
            defaults.stale_if_error.as_secs(),
            0,
            86_400,
        ),
        lock_wait: r.millis(
            "CACHE_LOCK_WAIT_MS",
            defaults.lock_wait.as_millis() as u64,
            0,
            10_000,
        ),
        max_entry_bytes: r.count(
            "CACHE_MAX_ENTRY_BYTES",
            defaults.max_entry_bytes as u64,
            1_024,
            16 * 1024 * 1024,
        ) as usize,
        list_fill_budget: r.count(
            "CACHE_LIST_FILL_BUDGET",
            defaults.list_fill_budget,
            0,
            1_000_000,
        ),
        ..defaults
    }
}

pub(super) fn near_cache(r: &mut Reader) -> NearCacheSettings {
    let near = NearCacheSettings::default();

    NearCacheSettings {
        enabled: r.parsed("NEAR_CACHE_ENABLED", near.enabled, "true or false"),
        max_entries: r.count("NEAR_CACHE_MAX_ENTRIES", near.max_entries, 1, 10_000_000),
        ttl: r.millis("NEAR_CACHE_TTL_MS", near.ttl.as_millis() as u64, 10, 60_000),
    }
}

pub(super) fn consistency(r: &mut Reader) -> ConsistencySettings {
    let interval = r.seconds("CONSISTENCY_CHECK_INTERVAL_SECS", 60, 0, 86_400);

    ConsistencySettings {
        interval: (!interval.is_zero()).then_some(interval),
        sample: r.parsed("CONSISTENCY_CHECK_SAMPLE", 100_usize, "a key count"),
    }
}
