//! The catalogue's own settings: where facet price buckets start (`FACET_PRICE_EDGES`).

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
