use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::RepositoryError;
use crate::domain::facets::{Facets, PriceEdges};
use crate::domain::idempotency::Receipt;
use crate::domain::keyset::Keyset;
use crate::domain::outbox::Recorded;
use crate::domain::product::{NewProduct, Product, ProductChanges, ProductId, Version};
use crate::domain::query::{PageRequest, ProductFilter, ProductSort};

/// Products read one at a time from a store's cursor.
pub type ProductStream = futures_util::stream::BoxStream<'static, Result<Product, RepositoryError>>;

/// The system of record for products.
///
/// Contract every implementation MUST keep:
/// - `insert` assigns the id, `version = 1`, `wishlistCount = 0` and equal `createdAt` /
///   `updatedAt`, and returns exactly what it stored.
/// - `update` applies all changes and increments `version` by one in a single atomic write,
///   sets `updatedAt`, and returns the stored result. With `expected` set it MUST change
///   nothing and return `VersionConflict` when the stored version differs, and `NotFound`
///   when there is no such product.
/// - `delete` returns the product as it was just before deletion, or `NotFound`. The
///   product is gone from every read, but MUST stay restorable for the restore window.
/// - `restore` brings back a product deleted less than the restore window ago, as
///   `Product::restored` says (its wishlist count as it was), and returns it; `NotFound`
///   when there is no such deleted product or its window has ended.
/// - Every write MUST record its `ProductEvent` in the outbox atomically with the change
///   (both or neither), and return the entry's id with the product.
/// - A write given a `Receipt` MUST store it, with the product as the write left it (for
///   `delete`, as it was), atomically with the change; and when a receipt with its id is
///   already stored it MUST change nothing and return `AlreadyApplied`.
/// - `find_many` returns the products among `ids` that exist, in any order, in one query.
/// - `list` sorts by the requested field and breaks ties by id in the same direction, so
///   pages are stable; `count` uses the same filter.
/// - `list_keyset` MUST answer the items strictly on the keyset's side of its position
///   (by the sort field, then the id), nearest first, at most `limit + 1` of them (the
///   extra one says more lie beyond), and MUST seek to the position rather than walk the
///   items before it, so its cost does not grow with depth.
/// - `facets` MUST count over exactly the products `count` counts for the same filter, in
///   one query.
/// - `export` streams every product `count` counts for `filter`, in id order, from one
///   cursor, so memory stays constant whatever their number; each product as stored
///   when the cursor reached it, none twice. Every step of the stream is bounded in time.
/// - Unreachable store → `Unavailable`, within a bounded time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ProductRepository: Interface {
    async fn insert(
        &self,
        product: NewProduct,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError>;
    async fn find_many(&self, ids: &[ProductId]) -> Result<Vec<Product>, RepositoryError>;
    async fn find_by_id(&self, id: &ProductId) -> Result<Option<Product>, RepositoryError>;
    async fn list(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Vec<Product>, RepositoryError>;
    async fn list_keyset(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        keyset: &Keyset,
    ) -> Result<Vec<Product>, RepositoryError>;
    async fn count(&self, filter: &ProductFilter) -> Result<u64, RepositoryError>;
    async fn export(&self, filter: &ProductFilter) -> Result<ProductStream, RepositoryError>;
    async fn facets(
        &self,
        filter: &ProductFilter,
        edges: &PriceEdges,
    ) -> Result<Facets, RepositoryError>;
    async fn update(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError>;
    async fn delete(
        &self,
        id: &ProductId,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError>;
    async fn restore(
        &self,
        id: &ProductId,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError>;
    /// Round trip to the store; used by readiness and health checks.
    async fn ping(&self) -> Result<Duration, RepositoryError>;
}
