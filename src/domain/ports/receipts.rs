use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::RepositoryError;
use crate::domain::idempotency::StoredReceipt;

/// The receipts keyed writes store in their transactions (see `domain::idempotency`);
/// the writes themselves store them, through `ProductRepository`.
///
/// Contract every implementation MUST keep:
/// - `find` answers the receipt stored under `id` by a committed write, and `None` when
///   there is none or it has expired (whatever a background purge has yet to remove).
/// - Unreachable store → `Unavailable`, within a bounded time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ReceiptStore: Interface {
    async fn find(&self, id: &str) -> Result<Option<StoredReceipt>, RepositoryError>;
}
