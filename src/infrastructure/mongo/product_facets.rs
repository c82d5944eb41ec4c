//! Facets in one aggregation: the filter's `$match`, then a `$facet` that groups the same
//! products three ways (category, price bucket, in stock or not).

use mongodb::bson::{doc, Bson, Document};

use super::product_filter::to_document;
use crate::domain::error::RepositoryError;
use crate::domain::facets::{Facets, PriceEdges};
use crate::domain::query::ProductFilter;

/// Above any storable price (1,000,000.00): the end of the last bucket.
const PAST_ANY_PRICE: i64 = i64::MAX;

pub(super) fn facets_pipeline(filter: &ProductFilter, edges: &PriceEdges) -> Vec<Document> {
    let mut boundaries: Vec<i64> = vec![0];
    boundaries.extend_from_slice(edges.cents());
    boundaries.push(PAST_ANY_PRICE);
    vec![
        doc! { "$match": to_document(filter) },
        doc! { "$facet": {
            "total": [ { "$count": "n" } ],
            "categories": [
                { "$group": { "_id": "$category", "n": { "$sum": 1 } } },
                { "$sort": { "_id": 1 } },
            ],
            "prices": [
                { "$bucket": {
                    "groupBy": "$priceCents",
                    "boundaries": boundaries,
                    "default": "other",
                    "output": { "n": { "$sum": 1 } },
                } },
            ],
            "stock": [
                { "$group": { "_id": { "$gt": ["$stock", 0] }, "n": { "$sum": 1 } } },
            ],
        } },
    ]
}

fn unexpected(what: &str) -> RepositoryError {
    RepositoryError::Unexpected(format!("facets answer without {what}").into())
}

fn count(document: &Document) -> Result<u64, RepositoryError> {
    let n = match document.get("n") {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        _ => return Err(unexpected("a count")),
    };
    u64::try_from(n).map_err(|_| unexpected("a positive count"))
}

fn groups<'a>(
    answer: &'a Document,
    name: &str,
) -> Result<impl Iterator<Item = &'a Document>, RepositoryError> {
    let array = answer.get_array(name).map_err(|_| unexpected(name))?;
    Ok(array.iter().filter_map(Bson::as_document))
}

/// The facets from the aggregation's one document (none when nothing matched and the
/// server leaves the `$facet` stage out).
pub(super) fn read_facets(
    answer: Option<&Document>,
    edges: &PriceEdges,
) -> Result<Facets, RepositoryError> {
    let empty = Document::new();
    let answer = answer.unwrap_or(&empty);
    let total = match answer.get_array("total") {
        Ok(_) => groups(answer, "total")?
            .next()
            .map(count)
            .transpose()?
            .unwrap_or(0),
        Err(_) => 0,
    };
    if total == 0 {
        return Ok(Facets {
            total: 0,
            categories: Vec::new(),
            prices: edges.buckets(&[]),
            in_stock: 0,
            out_of_stock: 0,
        });
    }
    let mut categories = Vec::new();
    for group in groups(answer, "categories")? {
        let name = group.get_str("_id").map_err(|_| unexpected("a category"))?;
        categories.push((name.to_owned(), count(group)?));
    }
    let mut prices = Vec::new();
    for group in groups(answer, "prices")? {
        let start = match group.get("_id") {
            Some(Bson::Int64(start)) => *start,
            Some(Bson::Int32(start)) => i64::from(*start),
            // Below 0 or past any price: cannot be stored, so not counted.
            _ => continue,
        };
        prices.push((start, count(group)?));
    }
    let (mut in_stock, mut out_of_stock) = (0, 0);
    for group in groups(answer, "stock")? {
        match group.get_bool("_id") {
            Ok(true) => in_stock = count(group)?,
            Ok(false) => out_of_stock = count(group)?,
            Err(_) => return Err(unexpected("a stock group")),
        }
    }
    Ok(Facets {
        total,
        categories,
        prices: edges.buckets(&prices),
        in_stock,
        out_of_stock,
    })
}
