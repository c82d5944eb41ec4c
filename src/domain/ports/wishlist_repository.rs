use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::RepositoryError;
use crate::domain::product::{Product, ProductId};
use crate::domain::query::{Page, PageRequest};
use crate::domain::user::UserId;

/// Per-user wishlists in the system of record.
///
/// Contract: `set` is an idempotent set (not a flip). It changes the product's
/// `wishlistCount` (and bumps its `version`) exactly when membership changes, by exactly
/// one, in the same atomic step as the membership (a caller cancelled mid-way leaves both
/// or neither), so the count always equals the number of members and is never negative;
/// it returns the product as stored afterwards and whether membership changed. `NotFound`
/// when the product does not exist. `reconcile_counts` MUST set every product's count to
/// its number of memberships (repairing drift left by older versions) and return how many
/// it corrected. `list` pages and counts only products that exist: memberships of a
/// deleted product MUST be kept while it can be restored, and are not listed. `product_ids`
/// is every product on the user's wishlist, in one query.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WishlistRepository: Interface {
    async fn set(
        &self,
        user: &UserId,
        product: &ProductId,
        member: bool,
    ) -> Result<(Product, bool), RepositoryError>;
    async fn list(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Page<Product>, RepositoryError>;
    async fn reconcile_counts(&self) -> Result<u64, RepositoryError>;
    async fn product_ids(
        &self,
        user: &UserId,
    ) -> Result<std::collections::HashSet<ProductId>, RepositoryError>;
}
