use std::fmt::Write;

use actix_web::HttpResponse;
use shaku_actix::Inject;

use super::ApiModule;
use crate::usecases::cache::LayerSnapshot;
use crate::usecases::{CacheStatsReport, CacheStatsUseCase};

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

fn per_layer(
    out: &mut String,
    name: &str,
    help: &str,
    layers: &[(&str, LayerSnapshot)],
    pick: fn(&LayerSnapshot) -> u64,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (layer, snapshot) in layers {
        let _ = writeln!(out, "{name}{{layer=\"{layer}\"}} {}", pick(snapshot));
    }
}

/// Prometheus text exposition of the cache counters.
pub fn render_metrics(report: &CacheStatsReport) -> String {
    let m = &report.metrics;
    let layers = [
        ("http", m.http),
        ("product", m.product),
        ("list", m.list),
        ("wishlist", m.wishlist),
    ];
    let mut out = String::new();
    per_layer(&mut out, "cache_hits_total", "Cache hits.", &layers, |l| {
        l.hits
    });
    per_layer(
        &mut out,
        "cache_misses_total",
        "Cache misses.",
        &layers,
        |l| l.misses,
    );
    per_layer(
        &mut out,
        "cache_database_reads_total",
        "MongoDB reads made for a cache layer.",
        &layers,
        |l| l.database_reads,
    );
    counter(
        &mut out,
        "cache_stale_fills_rejected_total",
        "Cache writes refused because a newer version was cached.",
        m.stale_fills_rejected,
    );
    counter(
        &mut out,
        "cache_single_flight_joins_total",
        "Reads that joined a load already in flight.",
        m.single_flight_joins,
    );
    counter(
        &mut out,
        "cache_lock_waits_total",
        "Reads that waited for another instance's fill.",
        m.lock_waits,
    );
    counter(
        &mut out,
        "cache_refresh_aheads_total",
        "Background refreshes of entries near expiry.",
        m.refresh_aheads,
    );
    counter(
        &mut out,
        "cache_invalidations_total",
        "Successful list invalidations and repaired cache writes.",
        m.invalidations,
    );
    counter(
        &mut out,
        "cache_fills_not_admitted_total",
        "List and count pages served but not stored (fill budget and doorkeeper).",
        m.fills_not_admitted,
    );
    counter(
        &mut out,
        "cache_entries_too_large_total",
        "Pages and responses served but not stored for exceeding CACHE_MAX_ENTRY_BYTES.",
        m.entries_too_large,
    );
    counter(
        &mut out,
        "cache_errors_total",
        "Cache calls that failed and were served from MongoDB.",
        m.errors,
    );
    let _ = writeln!(
        out,
        "# HELP cache_errors_by_kind_total Failed cache calls by cause.\n\
         # TYPE cache_errors_by_kind_total counter"
    );
    for (kind, total) in &report.errors_by_kind {
        let _ = writeln!(
            out,
            "cache_errors_by_kind_total{{kind=\"{}\"}} {total}",
            kind.as_str()
        );
    }
    counter(
        &mut out,
        "cache_consistency_checked_total",
        "Cached products compared with MongoDB.",
        m.consistency_checked,
    );
    counter(
        &mut out,
        "cache_consistency_mismatches_total",
        "Cached products that differed from MongoDB.",
        m.consistency_mismatches,
    );
    counter(
        &mut out,
        "cache_consistency_repaired_total",
        "Mismatched entries repaired.",
        m.consistency_repaired,
    );
    let _ = writeln!(
        out,
        "# HELP cache_repairs_pending Whether cache writes wait to be redone (reads bypass the cache).\n\
         # TYPE cache_repairs_pending gauge\ncache_repairs_pending {}",
        u8::from(report.repairs_pending)
    );
    let _ = writeln!(
        out,
        "# HELP redis_up Whether Redis answered a ping.\n# TYPE redis_up gauge\nredis_up {}",
        u8::from(report.redis_connected)
    );
    out
}

/// Cache counters in Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)))]
pub async fn metrics<M: ApiModule>(stats: Inject<M, dyn CacheStatsUseCase>) -> HttpResponse {
    let report = stats.execute(false).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(render_metrics(&report))
}
