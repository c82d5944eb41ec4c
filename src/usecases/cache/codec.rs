//! How products, pages and counts are stored in the cache (the codec). Reading back re-parses every field, so a
//! corrupt or foreign entry is a miss, never a bad response.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::facets::{Facets, PriceBucket};
use crate::domain::product::{
    Category, Description, Images, Money, Product, ProductId, ProductName, Sku, Stock, Version,
};
use crate::domain::query::{Page, PageRequest};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct ProductRecord {
    id: String,
    /// Absent in entries of products without one (and in entries written before SKUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    name: String,
    description: String,
    price_cents: i64,
    stock: u32,
    category: String,
    images: Vec<String>,
    is_active: bool,
    wishlist_count: u64,
    version: u64,
    revision: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Product> for ProductRecord {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.to_string(),
            sku: p.sku.as_ref().map(|sku| sku.as_str().to_owned()),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            price_cents: p.price.cents(),
            stock: p.stock.get(),
            category: p.category.as_str().to_owned(),
            images: p
                .images
                .as_slice()
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            is_active: p.is_active,
            wishlist_count: p.wishlist_count,
            version: p.version.get(),
            revision: p.revision,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

impl ProductRecord {
    pub fn into_product(self) -> Option<Product> {
        Some(Product {
            id: ProductId::parse(&self.id).ok()?,
            sku: match self.sku {
                Some(sku) => Some(Sku::parse(&sku).ok()?),
                None => None,
            },
            name: ProductName::parse(&self.name).ok()?,
            description: Description::parse(&self.description).ok()?,
            price: Money::from_cents(self.price_cents).ok()?,
            stock: Stock::parse(i64::from(self.stock)).ok()?,
            category: Category::parse(&self.category).ok()?,
            images: Images::parse(&self.images).ok()?,
            is_active: self.is_active,
            wishlist_count: self.wishlist_count,
            version: Version::new(self.version),
            revision: self.revision,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A cached single-product entry: the product, or the fact that there is none.
/// `expires_at_ms` lets a reader see how close the entry is to expiry without asking Redis.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct ProductEntry {
    pub expires_at_ms: i64,
    pub product: Option<ProductRecord>,
}

/// A cached list page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct PageEntry {
    items: Vec<ProductRecord>,
    total: u64,
    page: u32,
    limit: u32,
}

impl From<&Page<Product>> for PageEntry {
    fn from(page: &Page<Product>) -> Self {
        Self {
            items: page.items.iter().map(ProductRecord::from).collect(),
            total: page.total,
            page: page.request.page(),
            limit: page.request.limit(),
        }
    }
}

/// What the store answered for a keyset page, in seek order (up to one item past the
/// limit): the page and its neighbours follow from it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seek {
    pub items: Vec<Product>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct SeekEntry {
    items: Vec<ProductRecord>,
}

/// A keyset answer as cache text.
pub(crate) fn encode_seek(seek: &Seek) -> Option<String> {
    serde_json::to_string(&SeekEntry {
        items: seek.items.iter().map(ProductRecord::from).collect(),
    })
    .ok()
}

pub(crate) fn decode_seek(raw: &str) -> Option<Seek> {
    let entry = serde_json::from_str::<SeekEntry>(raw).ok()?;
    Some(Seek {
        items: entry
            .items
            .into_iter()
            .map(ProductRecord::into_product)
            .collect::<Option<Vec<_>>>()?,
    })
}

/// Facets as cache text: `[total, [[category, n]..], [[min, max|null, n]..], in, out]`.
pub(crate) fn encode_facets(facets: &Facets) -> Option<String> {
    let prices: Vec<_> = facets
        .prices
        .iter()
        .map(|b| serde_json::json!([b.min_cents, b.max_cents, b.count]))
        .collect();
    Some(
        serde_json::json!([
            facets.total,
            facets.categories,
            prices,
            facets.in_stock,
            facets.out_of_stock
        ])
        .to_string(),
    )
}

type FacetsEntry = (
    u64,
    Vec<(String, u64)>,
    Vec<(i64, Option<i64>, u64)>,
    u64,
    u64,
);

pub(crate) fn decode_facets(raw: &str) -> Option<Facets> {
    let (total, categories, prices, in_stock, out_of_stock): FacetsEntry =
        serde_json::from_str(raw).ok()?;
    Some(Facets {
        total,
        categories,
        prices: prices
            .into_iter()
            .map(|(min_cents, max_cents, count)| PriceBucket {
                min_cents,
                max_cents,
                count,
            })
            .collect(),
        in_stock,
        out_of_stock,
    })
}

/// A page as cache text.
pub(crate) fn encode_page(page: &Page<Product>) -> Option<String> {
    serde_json::to_string(&PageEntry::from(page)).ok()
}

/// A page from cache text; `None` for anything unreadable (treated as a miss).
pub(crate) fn decode_page(raw: &str) -> Option<Page<Product>> {
    serde_json::from_str::<PageEntry>(raw).ok()?.into_page()
}

/// A count as cache text.
pub(crate) fn encode_count(count: &u64) -> Option<String> {
    Some(count.to_string())
}

pub(crate) fn decode_count(raw: &str) -> Option<u64> {
    raw.parse().ok()
}

impl PageEntry {
    pub fn into_page(self) -> Option<Page<Product>> {
        let items = self
            .items
            .into_iter()
            .map(ProductRecord::into_product)
            .collect::<Option<Vec<_>>>()?;
        Some(Page {
            items,
            total: self.total,
            request: PageRequest::new(self.page, self.limit).ok()?,
        })
    }
}

/// Entries as the cache holds them, for unit tests of the components that read them.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{encode_page, ProductEntry, ProductRecord};
    use crate::domain::ports::VersionedValue;
    use crate::domain::product::Product;
    use crate::domain::query::{Page, PageRequest};

    /// A product entry (or a tombstone for `None`) expiring at `expires_at_ms`.
    pub fn product_entry_expiring(
        product: Option<&Product>,
        version: u64,
        expires_at_ms: i64,
    ) -> VersionedValue {
        let entry = ProductEntry {
            expires_at_ms,
            product: product.map(ProductRecord::from),
        };
        VersionedValue {
            version,
            value: serde_json::to_string(&entry).unwrap(),
        }
    }

    /// A cache entry holding `product`, far from expiry.
    pub fn cached(product: &Product) -> VersionedValue {
        product_entry_expiring(Some(product), product.revision, i64::MAX / 2)
    }

    /// A tombstone entry at `version`.
    pub fn tombstone(version: u64) -> VersionedValue {
        product_entry_expiring(None, version, i64::MAX / 2)
    }

    /// A cached list page.
    pub fn cached_page(items: Vec<Product>, total: u64) -> String {
        let page = Page {
            items,
            total,
            request: PageRequest::default(),
        };
        encode_page(&page).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::{product, ID};

    #[test]
    fn product_round_trips() {
        let p = product(ID, 7);
        let json = serde_json::to_string(&ProductRecord::from(&p)).unwrap();
        let back: ProductRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back.into_product(), Some(p));
    }

    #[test]
    fn corrupt_records_are_rejected() {
        let mut record = ProductRecord::from(&product(ID, 1));
        record.price_cents = -5;
        assert_eq!(record.into_product(), None);
    }
}
