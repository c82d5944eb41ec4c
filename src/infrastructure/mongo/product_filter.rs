use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Bson, Document};

use super::product_document::without_search_fields;
use crate::domain::keyset::{Direction, Keyset, SortValue};
use crate::domain::query::{PageRequest, ProductFilter, ProductSort, SearchText, SortField};
use crate::domain::search::SearchTerms;

/// The MongoDB filter for a domain filter; search goes through the terms index
/// (`domain::search`).
pub(super) fn to_document(filter: &ProductFilter) -> Document {
    let mut query = Document::new();
    if let Some(sku) = &filter.sku {
        query.insert("sku", sku.as_str());
    }
    if let Some(category) = &filter.category {
        query.insert("category", category.as_str());
    }
    if let Some(active) = filter.is_active {
        query.insert("isActive", active);
    }
    let mut price = Document::new();
    if let Some(min) = filter.min_price {
        price.insert("$gte", min.cents());
    }
    if let Some(max) = filter.max_price {
        price.insert("$lte", max.cents());
    }
    if !price.is_empty() {
        query.insert("priceCents", price);
    }
    if let Some(search) = &filter.search {
        query.extend(search_conditions(SearchTerms::of(search)));
    }
    query
}

/// Some term starting with the last word (an equality on the `searchPrefixes` multikey
/// index) and every complete word a term (`$all` on `searchTerms`), as top-level
/// conditions: a planner that only considers single-field filters still serves a one-word
/// search from the index. A search without a word matches nothing.
fn search_conditions(terms: Option<SearchTerms>) -> Document {
    let Some(terms) = terms else {
        return doc! { "_id": { "$exists": false } };
    };
    let mut conditions = doc! { SEARCH_PREFIXES: terms.stored_prefix() };
    let mut whole = Document::new();
    if !terms.complete.is_empty() {
        whole.insert("$all", &terms.complete);
    }
    if terms.prefix_is_cut() {
        whole.insert(
            "$elemMatch",
            doc! { "$gte": &terms.prefix, "$lt": format!("{}{}", terms.prefix, char::MAX) },
        );
    }
    if !whole.is_empty() {
        conditions.insert(SEARCH_TERMS, whole);
    }
    conditions
}

/// Where the prefixes of a product's search terms are stored.
pub(super) const SEARCH_PREFIXES: &str = "searchPrefixes";

/// A page of `filter`'s products, best match first: one point per query word found among
/// the name's terms (the last word as a prefix), then newest first, then by id. Counted by
/// the server over the matches the terms index found.
pub(super) fn relevance_pipeline(
    filter: &ProductFilter,
    search: &SearchText,
    page: PageRequest,
) -> Vec<Document> {
    let (complete, prefix) = match SearchTerms::of(search) {
        Some(terms) => (terms.complete, terms.prefix),
        None => (Vec::new(), String::new()),
    };
    let name_terms = doc! { "$ifNull": ["$nameTerms", []] };
    let score = doc! { "$add": [
        { "$size": { "$setIntersection": [name_terms.clone(), complete] } },
        { "$cond": [
            { "$anyElementTrue": [{ "$map": {
                "input": name_terms,
                "as": "term",
                "in": { "$eq": [{ "$indexOfCP": ["$$term", prefix] }, 0] },
            } }] },
            1,
            0,
        ] },
    ] };
    vec![
        doc! { "$match": to_document(filter) },
        doc! { "$addFields": { "relevance": score } },
        doc! { "$sort": { "relevance": -1, "createdAt": -1, "_id": -1 } },
        doc! { "$skip": page.offset() as i64 },
        doc! { "$limit": i64::from(page.limit()) },
        doc! { "$project": ranked_projection() },
    ]
}

/// What a ranked page leaves out: its score, and the search fields every product read
/// leaves out.
fn ranked_projection() -> Document {
    let mut projection = without_search_fields();
    projection.insert("relevance", 0);
    projection
}

/// Where a product's search terms are stored.
pub(super) const SEARCH_TERMS: &str = "searchTerms";

fn sort_field(field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "createdAt",
        SortField::Price => "priceCents",
        SortField::Name => "name",
        // Ranked in an aggregation (`relevance_pipeline`); newest first among equals.
        SortField::Relevance => "createdAt",
    }
}

/// Sort document with the id as tie-breaker in the same direction, so pages are stable.
pub(super) fn sort_document(sort: ProductSort) -> Document {
    let direction = if sort.descending { -1 } else { 1 };
    doc! { sort_field(sort.field): direction, "_id": direction }
}

/// The order a keyset page is read in: the list's order after its position, the reverse
/// before it (nearest first either way).
pub(super) fn seek_sort(sort: ProductSort, direction: Direction) -> ProductSort {
    ProductSort {
        field: sort.field,
        descending: sort.descending != (direction == Direction::Before),
    }
}

/// The filter of a keyset page: `filter`, and strictly past the position in seek order
/// (`field` beyond the value, or equal to it with the id beyond), so an index on
/// `{field, _id}` seeks straight to it. `None` when the position's id is not an ObjectId
/// or its value is for another field (the caller checked both; a forged cursor that got
/// here finds nothing rather than failing).
pub(super) fn keyset_document(
    filter: &ProductFilter,
    sort: ProductSort,
    keyset: &Keyset,
) -> Option<Document> {
    let id = ObjectId::parse_str(keyset.position.id.as_str()).ok()?;
    if keyset.position.value.field() != sort.field {
        return None;
    }
    let value = match &keyset.position.value {
        SortValue::CreatedAt(millis) => {
            Bson::DateTime(mongodb::bson::DateTime::from_millis(*millis))
        }
        SortValue::PriceCents(cents) => Bson::Int64(*cents),
        SortValue::Name(name) => Bson::String(name.clone()),
    };
    let beyond = if seek_sort(sort, keyset.direction).descending {
        "$lt"
    } else {
        "$gt"
    };
    let field = sort_field(sort.field);
    // Beside the filter's own conditions (none of which is an `$or`), not under an `$and`.
    let mut query = to_document(filter);
    query.insert(
        "$or",
        vec![
            doc! { field: { beyond: value.clone() } },
            doc! { field: value, "_id": { beyond: id } },
        ],
    );
    Some(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::Money;
    use crate::domain::query::SearchText;

    #[test]
    fn builds_price_range_and_search() {
        let filter = ProductFilter {
            min_price: Some(Money::from_cents(100).unwrap()),
            max_price: Some(Money::from_cents(500).unwrap()),
            search: Some(SearchText::parse("shoe").unwrap()),
            ..ProductFilter::default()
        };
        let query = to_document(&filter);
        assert_eq!(
            query.get_document("priceCents").unwrap(),
            &doc! {"$gte": 100_i64, "$lte": 500_i64}
        );
        assert_eq!(query.get_str("searchPrefixes").unwrap(), "shoe");
        assert!(
            !query.contains_key("searchTerms"),
            "one word: the prefix alone"
        );
        let two = ProductFilter {
            search: Some(SearchText::parse("Trail sh").unwrap()),
            ..ProductFilter::default()
        };
        assert_eq!(
            to_document(&two),
            doc! {"searchPrefixes": "sh", "searchTerms": {"$all": ["trail"]}}
        );
    }
}
