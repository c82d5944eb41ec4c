use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Bson, Document};

use crate::domain::keyset::{Direction, Keyset, SortValue};
use crate::domain::query::{ProductFilter, ProductSort, SortField};

/// The MongoDB filter for a domain filter. Search input is regex-escaped, so it is always
/// matched literally.
pub(super) fn to_document(filter: &ProductFilter) -> Document {
    let mut query = Document::new();
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
        let pattern = escape_regex(search.as_str());
        query.insert(
            "$or",
            vec![
                doc! { "name": { "$regex": &pattern, "$options": "i" } },
                doc! { "description": { "$regex": &pattern, "$options": "i" } },
            ],
        );
    }
    query
}

fn sort_field(field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "createdAt",
        SortField::Price => "priceCents",
        SortField::Name => "name",
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
    let past = doc! {
        "$or": [
            { field: { beyond: value.clone() } },
            { field: value, "_id": { beyond: id } },
        ]
    };
    let filter = to_document(filter);
    Some(if filter.is_empty() {
        past
    } else {
        doc! { "$and": [filter, past] }
    })
}

fn escape_regex(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}/-".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::Money;
    use crate::domain::query::SearchText;

    #[test]
    fn escapes_regex_metacharacters() {
        assert_eq!(escape_regex("a.b*(c)"), r"a\.b\*\(c\)");
    }

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
        assert_eq!(query.get_array("$or").unwrap().len(), 2);
    }
}
