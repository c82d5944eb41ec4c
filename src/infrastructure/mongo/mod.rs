//! MongoDB: connection, product documents and the `ProductRepository` adapter.

mod circuit;
mod connection;
mod errors;
mod event_history;
mod outbox;
mod product_document;
mod product_facets;
mod product_filter;
mod product_repository;
mod receipts;
mod shared_secret;
mod transaction;
mod trash;
mod user_repository;
mod wishlist_repository;

pub use connection::{connect, MongoSettings, MongoStartupError};
pub use errors::failure_counts;
pub use event_history::{MongoEventHistory, MongoEventHistoryParameters};
pub use outbox::{MongoOutbox, MongoOutboxParameters};
pub use product_repository::{MongoProductRepository, MongoProductRepositoryParameters};
pub use receipts::{MongoReceiptStore, MongoReceiptStoreParameters};
pub use shared_secret::shared_secret;
pub use transaction::transaction_counts;
pub use user_repository::{MongoUserRepository, MongoUserRepositoryParameters};
pub use wishlist_repository::{MongoWishlistRepository, MongoWishlistRepositoryParameters};
