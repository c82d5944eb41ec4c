//! Fixtures shared by the use-case unit tests.

use chrono::{TimeZone, Utc};

use crate::domain::product::{
    Category, Description, Images, Money, NewProduct, Product, ProductId, ProductName, Stock,
    Version,
};

pub fn new_product() -> NewProduct {
    NewProduct {
        sku: None,
        name: ProductName::parse("Trail Shoe").unwrap(),
        description: Description::parse("Light trail running shoe").unwrap(),
        price: Money::parse("89.9").unwrap(),
        stock: Stock::parse(12).unwrap(),
        category: Category::parse("footwear").unwrap(),
        images: Images::default(),
        is_active: true,
    }
}

pub fn product(id: &str, version: u64) -> Product {
    let p = new_product();
    let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
    Product {
        id: ProductId::parse(id).unwrap(),
        sku: p.sku,
        name: p.name,
        description: p.description,
        price: p.price,
        stock: p.stock,
        category: p.category,
        images: p.images,
        is_active: p.is_active,
        wishlist_count: 0,
        version: Version::new(version),
        revision: version,
        created_at: at,
        updated_at: at,
    }
}

pub const ID: &str = "665f1c0e9b1e8a3d4c2b1a09";

pub fn unavailable() -> crate::domain::error::RepositoryError {
    crate::domain::error::RepositoryError::Unavailable("connection refused".into())
}

/// A committed write as the repository reports it.
pub fn recorded(product: Product) -> crate::domain::outbox::Recorded {
    crate::domain::outbox::Recorded {
        product,
        entry: crate::domain::outbox::OutboxId("entry".into()),
    }
}

/// A journal that expects to hear of each committed write.
pub fn journal() -> std::sync::Arc<dyn crate::usecases::events::WriteJournal> {
    let mut journal = crate::usecases::events::MockWriteJournal::new();
    journal.expect_committed().returning(|_, _| ());
    std::sync::Arc::new(journal)
}

/// Keyed writes for tests whose requests carry no key: never asked anything.
pub fn unkeyed() -> std::sync::Arc<dyn crate::usecases::KeyedWrites> {
    std::sync::Arc::new(crate::usecases::ReceiptKeyedWrites::new(
        std::sync::Arc::new(crate::domain::ports::MockReceiptStore::new()),
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(1),
    ))
}
