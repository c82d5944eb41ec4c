//! The cache counters of one `CacheStatsReport`, encoded at scrape time. The use cases
//! keep these counts (`usecases::cache::CacheMetrics`); this only names them.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use super::encode::{counter, flag, gauge, labelled, Encoded};
use crate::usecases::cache::{CacheMetricsSnapshot, LayerSnapshot};
use crate::usecases::CacheStatsReport;

#[derive(Debug)]
pub(super) struct CacheCollector(pub CacheStatsReport);

impl Collector for CacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Encoded {
        let report = &self.0;
        let e = &mut encoder;
        per_layer(e, &report.metrics)?;
        for (name, help, value) in totals(&report.metrics) {
            counter(e, name, help, value)?;
        }
        states(e, report)
    }
}

/// Hits, misses and MongoDB reads of each cache layer.
fn per_layer(e: &mut DescriptorEncoder, m: &CacheMetricsSnapshot) -> Encoded {
    let layers = [
        ("http", m.http),
        ("product", m.product),
        ("list", m.list),
        ("wishlist", m.wishlist),
    ];
    let per_layer = |pick: fn(&LayerSnapshot) -> u64| layers.map(|(l, s)| (l, pick(&s)));
    labelled(
        e,
        "cache_hits",
        "Cache hits, by layer.",
        "layer",
        per_layer(|l| l.hits),
    )?;
    labelled(
        e,
        "cache_misses",
        "Cache misses, by layer.",
        "layer",
        per_layer(|l| l.misses),
    )?;
    labelled(
        e,
        "cache_database_reads",
        "MongoDB reads made on behalf of a cache layer.",
        "layer",
        per_layer(|l| l.database_reads),
    )?;
    Ok(())
}

/// The single counters: fills refused or joined, invalidations, consistency checks, the
/// near tier's traffic.
fn totals(m: &CacheMetricsSnapshot) -> [(&'static str, &'static str, u64); 15] {
    [
        (
            "cache_stale_fills_rejected",
            "Cache writes refused because a newer version was cached.",
            m.stale_fills_rejected,
        ),
        (
            "cache_single_flight_joins",
            "Reads that joined a load already in flight.",
            m.single_flight_joins,
        ),
        (
            "cache_lock_waits",
            "Reads that waited for another instance's fill.",
            m.lock_waits,
        ),
        (
            "cache_refresh_aheads",
            "Background refreshes of entries near expiry.",
            m.refresh_aheads,
        ),
        (
            "cache_invalidations",
            "Successful list invalidations and repaired cache writes.",
            m.invalidations,
        ),
        (
            "cache_fills_not_admitted",
            "List and count pages served but not stored (fill budget and doorkeeper).",
            m.fills_not_admitted,
        ),
        (
            "cache_entries_too_large",
            "Pages and responses served but not stored for exceeding CACHE_MAX_ENTRY_BYTES.",
            m.entries_too_large,
        ),
        (
            "cache_errors",
            "Cache calls that failed and were served from MongoDB.",
            m.errors,
        ),
        (
            "cache_consistency_checked",
            "Cached products compared with MongoDB.",
            m.consistency_checked,
        ),
        (
            "cache_consistency_mismatches",
            "Cached products that differed from MongoDB.",
            m.consistency_mismatches,
        ),
        (
            "cache_consistency_repaired",
            "Mismatched entries repaired.",
            m.consistency_repaired,
        ),
        (
            "near_cache_hits",
            "Cached reads answered from process memory (the near tier).",
            m.near.hits,
        ),
        (
            "near_cache_misses",
            "Near-tier lookups that went on to Redis.",
            m.near.misses,
        ),
        (
            "near_cache_invalidations_received",
            "Keys Redis reported changed (client tracking), each dropped from the near tier.",
            m.near.invalidations_received,
        ),
        (
            "near_cache_flushes_on_disconnect",
            "Times the near tier was emptied and bypassed because its invalidation feed dropped or went unconfirmed.",
            m.near.flushes_on_disconnect,
        ),
    ]
}

/// Rate-limit decisions and Redis failures by kind, and the states of the repair queue,
/// the near tier and Redis.
fn states(e: &mut DescriptorEncoder, report: &CacheStatsReport) -> Encoded {
    let m = &report.metrics;
    labelled(
        e,
        "rate_limit_decisions_by_source",
        "Rate-limit decisions by where they were taken: local (a lease or a remembered refusal), redis, fallback (Redis failing).",
        "source",
        [
            ("local", report.rate_limit.local),
            ("redis", report.rate_limit.redis),
            ("fallback", report.rate_limit.fallback),
        ],
    )?;
    labelled(
        e,
        "cache_errors_by_kind",
        "Failed Redis calls (cache, sessions, rate limits), by cause.",
        "kind",
        report
            .errors_by_kind
            .iter()
            .map(|(kind, total)| (kind.as_str(), *total)),
    )?;
    flag(
        e,
        "cache_repairs_pending",
        "1 while cache writes wait to be redone (reads bypass the cache meanwhile).",
        report.repairs_pending,
    )?;
    gauge(
        e,
        "near_cache_entries",
        "Entries held by the near tier.",
        m.near.entries,
    )?;
    flag(
        e,
        "near_cache_serving",
        "1 while the near tier serves reads (enabled and its invalidation feed confirmed).",
        m.near.trusted,
    )?;
    flag(
        e,
        "redis_up",
        "1 when Redis answered the scrape's ping.",
        report.redis_connected,
    )
}
