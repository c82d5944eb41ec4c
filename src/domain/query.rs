//! What a list or count asks for: filters, sort order and page, already validated.

use crate::domain::product::{Category, Money, Sku};

/// Case-insensitive search text: trimmed, 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be between 1 and {max} characters without control characters", max = SearchText::MAX)]
pub struct SearchTextError;

impl SearchText {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, SearchTextError> {
        let value = raw.trim();
        let len = value.chars().count();
        if len == 0 || len > Self::MAX || value.chars().any(char::is_control) {
            return Err(SearchTextError);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Filters shared by list and count. All present filters must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductFilter {
    /// The product with this SKU (at most one).
    pub sku: Option<Sku>,
    pub category: Option<Category>,
    pub search: Option<SearchText>,
    pub is_active: Option<bool>,
    /// Inclusive bounds; when both are set, `min_price <= max_price`.
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
}

/// The field a list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    CreatedAt,
    Price,
    Name,
    /// How well a product matches the search (only with one): name matches first, then
    /// newest first.
    Relevance,
}

/// Sort order; ties are always broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProductSort {
    pub field: SortField,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of createdAt, -createdAt, price, -price, name, -name, relevance")]
pub struct ProductSortError;

impl ProductSort {
    pub fn parse(raw: &str) -> Result<Self, ProductSortError> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        let field = match name {
            "createdAt" => SortField::CreatedAt,
            "price" => SortField::Price,
            "name" => SortField::Name,
            "relevance" if !descending => {
                return Ok(Self {
                    field: SortField::Relevance,
                    descending: true,
                })
            }
            _ => return Err(ProductSortError),
        };
        Ok(Self { field, descending })
    }
}

impl Default for ProductSort {
    /// Newest first.
    fn default() -> Self {
        Self {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

/// A 1-based page of at most `MAX_LIMIT` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    page: u32,
    limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageRequestError {
    #[error("page must be an integer between 1 and {max}", max = PageRequest::MAX_PAGE)]
    Page,
    #[error("limit must be an integer between 1 and {max}", max = PageRequest::MAX_LIMIT)]
    Limit,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 10;
    pub const MAX_LIMIT: u32 = 100;
    /// Bounds the offset a client can ask the store to skip.
    pub const MAX_PAGE: u32 = 1_000_000;

    pub fn new(page: u32, limit: u32) -> Result<Self, PageRequestError> {
        if !(1..=Self::MAX_PAGE).contains(&page) {
            return Err(PageRequestError::Page);
        }
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(PageRequestError::Limit);
        }
        Ok(Self { page, limit })
    }

    pub fn page(self) -> u32 {
        self.page
    }

    pub fn limit(self) -> u32 {
        self.limit
    }

    /// How many items precede this page.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }

    /// Number of pages needed for `total` items (0 when there are none).
    pub fn total_pages(self, total: u64) -> u64 {
        total.div_ceil(u64::from(self.limit))
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// One page of results with the total that matched the filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub request: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_parses_every_documented_value() {
        for raw in [
            "createdAt",
            "-createdAt",
            "price",
            "-price",
            "name",
            "-name",
        ] {
            assert!(ProductSort::parse(raw).is_ok(), "{raw}");
        }
        assert!(ProductSort::parse("--price").is_err());
        assert!(ProductSort::parse("stock").is_err());
    }

    #[test]
    fn page_bounds_and_arithmetic() {
        assert!(PageRequest::new(0, 10).is_err());
        assert!(PageRequest::new(1, 0).is_err());
        assert!(PageRequest::new(1, 101).is_err());
        let p = PageRequest::new(3, 10).unwrap();
        assert_eq!(p.offset(), 20);
        assert_eq!(p.total_pages(0), 0);
        assert_eq!(p.total_pages(21), 3);
        assert_eq!(p.total_pages(30), 3);
    }
}
