//! The product entity and its value types. Every value type has private fields and a
//! `parse` constructor, so a `Product` that exists is a product that obeys the rules.

mod category;
mod description;
mod id;
mod image_url;
mod money;
mod name;
mod stock;

use chrono::{DateTime, Utc};

pub use category::{Category, CategoryError};
pub use description::{Description, DescriptionError};
pub use id::{ProductId, ProductIdError};
pub use image_url::{ImageUrl, ImageUrlError, Images, ImagesError};
pub use money::{Money, MoneyError};
pub use name::{ProductName, ProductNameError};
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
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub price: Option<Money>,
    pub stock: Option<Stock>,
    pub category: Option<Category>,
    pub images: Option<Images>,
    pub is_active: Option<bool>,
}

impl ProductChanges {
    /// True when the update would change nothing; such an update is refused.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
