//! The catalogue's own settings: where facet price buckets start (`FACET_PRICE_EDGES`), how
//! long a write's idempotency receipt is kept (`IDEMPOTENCY_TTL_SECS`) and a deleted
//! product can be restored (`PRODUCT_RESTORE_DAYS`).

use std::time::Duration;

use super::reader::Reader;
use crate::domain::facets::{PriceEdges, PriceEdgesError};

pub(super) fn price_edges(r: &mut Reader) -> PriceEdges {
    match r
        .raw("FACET_PRICE_EDGES")
        .filter(|raw| !raw.trim().is_empty())
    {
        None => PriceEdges::default(),
        Some(raw) => PriceEdges::parse(&raw).unwrap_or_else(|PriceEdgesError| {
            r.invalid(format!("FACET_PRICE_EDGES {PriceEdgesError}"));
            PriceEdges::default()
        }),
    }
}

/// How long a client may repeat a keyed write and get its first answer: a day by default,
/// at least a minute (a retry after a timeout must find it), at most 30 days.
pub(super) fn idempotency_ttl(r: &mut Reader) -> Duration {
    r.seconds("IDEMPOTENCY_TTL_SECS", 86_400, 60, 30 * 86_400)
}

/// How long a deleted product can be restored: 30 days by default, 1 to 365.
pub(super) fn restore_window(r: &mut Reader) -> Duration {
    let days = r.count("PRODUCT_RESTORE_DAYS", 30, 1, 365);
    Duration::from_secs(days * 86_400)
}
