//! The product entity and its value types. Every value type has private fields and a
//! `parse` constructor, so a `Product` that exists is a product that obeys the rules.

mod category;
mod description;
mod id;
mod image_url;
mod money;
mod name;
mod sku;
mod stock;

use chrono::{DateTime, Utc};

pub use category::{Category, CategoryError};
pub use description::{Description, DescriptionError};
pub use id::{ProductId, ProductIdError};
pub use image_url::{ImageUrl, ImageUrlError, Images, ImagesError};
pub use money::{Money, MoneyError};
pub use name::{ProductName, ProductNameError};
pub use sku::{Sku, SkuError};
pub use stock::{Stock, StockError};

/// Optimistic-concurrency counter: every write increments it by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    pub const FIRST: Version = Version(1);

    pub fn new(value: u64) -> Self {
        Self(value)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// A product as stored in the system of record.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: ProductId,
    /// The merchant's SKU, unique across the catalogue when present.
    pub sku: Option<Sku>,
    pub name: ProductName,
    pub description: Description,
    pub price: Money,
    pub stock: Stock,
    pub category: Category,
    pub images: Images,
    pub is_active: bool,
    /// Number of users holding the product on their wishlist; server-owned.
    pub wishlist_count: u64,
    /// The content version: moves when a client-chosen field changes; `ETag` and
    /// `If-Match` are built on it, so a shopper's wishlist toggle never fails an admin's
    /// conditional update.
    pub version: Version,
    /// Moves with every stored change, content or counters (`wishlistCount`); orders cache
    /// entries, so an older state can never replace a newer one. Never below `version`.
    pub revision: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything a client chooses when creating a product.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub sku: Option<Sku>,
    pub name: ProductName,
    pub description: Description,
    pub price: Money,
    pub stock: Stock,
    pub category: Category,
    pub images: Images,
    pub is_active: bool,
}

/// A partial update: `None` leaves a field as it is. `stock` sets, it is not a delta.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductChanges {
    /// Sets the SKU (a product's SKU can be given or changed, not removed).
    pub sku: Option<Sku>,
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub price: Option<Money>,
    pub stock: Option<Stock>,
    pub category: Option<Category>,
    pub images: Option<Images>,
    pub is_active: Option<bool>,
}

impl Product {
    /// The product as `changes` leave it, stored at `updated_at`: every given field
    /// replaced, `version` and `revision` one up. What a content update stores, so a
    /// repository can answer with it without reading it back.
    pub fn with_changes(&self, changes: &ProductChanges, updated_at: DateTime<Utc>) -> Self {
        let mut after = self.clone();
        if let Some(sku) = &changes.sku {
            after.sku = Some(sku.clone());
        }
        if let Some(name) = &changes.name {
            after.name = name.clone();
        }
        if let Some(description) = &changes.description {
            after.description = description.clone();
        }
        if let Some(price) = changes.price {
            after.price = price;
        }
        if let Some(stock) = changes.stock {
            after.stock = stock;
        }
        if let Some(category) = &changes.category {
            after.category = category.clone();
        }
        if let Some(images) = &changes.images {
            after.images = images.clone();
        }
        if let Some(is_active) = changes.is_active {
            after.is_active = is_active;
        }
        after.version = Version::new(self.version.get() + 1);
        after.revision = self.revision + 1;
        after.updated_at = updated_at;
        after
    }

    /// The product, deleted at its current version, as a restore at `restored_at` brings
    /// it back: `version` and `revision` two up, since the delete took the one above (its
    /// event's version, its cache tombstone's revision), so the restored state orders
    /// after both everywhere.
    pub fn restored(mut self, restored_at: DateTime<Utc>) -> Self {
        self.version = Version::new(self.version.get() + 2);
        self.revision += 2;
        self.updated_at = restored_at;
        self
    }
}

impl ProductChanges {
    /// True when the update would change nothing; such an update is refused.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// True when the update changes text that search finds the product by.
    pub fn touches_text(&self) -> bool {
        self.name.is_some() || self.description.is_some() || self.category.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::{product, ID};

    #[test]
    fn changes_replace_only_the_given_fields_and_move_both_counters() {
        let before = product(ID, 4);
        let at = before.updated_at + chrono::Duration::seconds(5);
        let changes = ProductChanges {
            stock: Some(Stock::parse(0).unwrap()),
            is_active: Some(false),
            ..ProductChanges::default()
        };
        let after = before.with_changes(&changes, at);
        assert_eq!((after.version.get(), after.revision), (5, 5));
        assert_eq!((after.stock.get(), after.is_active), (0, false));
        assert_eq!(
            (after.updated_at, after.created_at),
            (at, before.created_at)
        );
        assert_eq!(
            (after.name, after.price, after.wishlist_count),
            (before.name, before.price, before.wishlist_count)
        );
    }
}
