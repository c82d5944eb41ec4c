//! Versioned single-product entries: how one is read, and the one way one is written (a
//! compare-and-set on the version, so an older version can never replace a newer one).
//! Shared by the read-through cache, the write effects and the consistency checker.

use std::time::Duration;

use chrono::Utc;

use super::codec::{ProductEntry, ProductRecord};
use super::repair::RepairJob;
use super::CacheContext;
use crate::domain::cache::CacheKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::{RedisService, VersionedValue};
use crate::domain::product::{Product, ProductId};

/// A decoded entry: the product (`None` for a tombstone), the entry's version tag (the
/// product's revision) and expiry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProductEntryView {
    pub product: Option<Product>,
    pub version: u64,
    pub expires_at_ms: i64,
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `None` when the entry is unreadable or its content disagrees with its version tag.
pub(crate) fn decode(raw: VersionedValue) -> Option<ProductEntryView> {
    let entry: ProductEntry = serde_json::from_str(&raw.value).ok()?;
    let product = match entry.product {
        Some(record) => Some(
            record
                .into_product()
                .filter(|p| p.revision == raw.version)?,
        ),
        None => None,
    };
    Some(ProductEntryView {
        product,
        version: raw.version,
        expires_at_ms: entry.expires_at_ms,
    })
}

/// Whether a raw stored entry (`version|json`) is a tombstone. Tombstones are version
/// floors: the products invalidation keeps them.
pub(crate) fn is_tombstone(raw: &str) -> bool {
    raw.split_once('|')
        .and_then(|(_, json)| serde_json::from_str::<ProductEntry>(json).ok())
        .is_some_and(|entry| entry.product.is_none())
}

/// The entry for `id`, decoded; `Ok(None)` when absent or unreadable.
pub(crate) async fn read(
    cache: &dyn RedisService,
    id: &ProductId,
) -> Result<Option<ProductEntryView>, CacheError> {
    Ok(cache
        .get_versioned(&CacheKeys::product(id))
        .await?
        .and_then(decode))
}

/// Whether a write that fails must be redone by the repair worker (write-through and
/// tombstones: a newer state than the cache holds) or may be dropped (fills: the cache
/// simply stays empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    MustLand,
    BestEffort,
}

/// Stores `product` (or a tombstone) at `version` unless a newer version is cached. A
/// product's entry expires after `ttl` but stays the stale span longer, to be served stale
/// (`staleness`); a tombstone goes at its TTL.
pub(crate) async fn put(
    cache: &dyn RedisService,
    context: &CacheContext,
    id: &ProductId,
    version: u64,
    product: Option<&Product>,
    ttl: Duration,
    durability: Durability,
) {
    if !context.policy.enabled {
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
    let ttl = match product {
        Some(_) => ttl + context.policy.stale_span(),
        None => ttl,
    };
    match cache.set_if_newer(&key, version, &value, ttl).await {
        Ok(true) => {}
        Ok(false) => context.metrics.stale_fill_rejected(),
        Err(error) => {
            context.failed("product.put", &error);
            if durability == Durability::MustLand {
                context.repair.enqueue(
                    RepairJob::Put {
                        key,
                        version,
                        value,
                        ttl,
                    },
                    &context.metrics,
                );
            }
        }
    }
}
