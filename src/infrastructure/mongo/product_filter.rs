use mongodb::bson::{doc, Document};

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

/// Sort document with the id as tie-breaker in the same direction, so pages are stable.
pub(super) fn sort_document(sort: ProductSort) -> Document {
    let field = match sort.field {
        SortField::CreatedAt => "createdAt",
        SortField::Price => "priceCents",
        SortField::Name => "name",
    };
    let direction = if sort.descending { -1 } else { 1 };
    doc! { field: direction, "_id": direction }
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
