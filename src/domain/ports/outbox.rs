use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shaku::Interface;

use crate::domain::error::RepositoryError;
use crate::domain::outbox::{OutboxEntry, OutboxId};

/// The outbox the product repository writes into (see `domain::outbox`).
///
/// Contract every implementation MUST keep:
/// - `unrelayed` returns entries not yet marked relayed, ordered by product and then
///   version, so a relay that stops at its first failure never publishes a product's later
///   event before an earlier one.
/// - `unsettled` returns entries whose cache effects no instance confirmed, recorded before
///   `before`.
/// - `mark` is idempotent; an entry both relayed and settled is removed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Outbox: Interface {
    async fn unrelayed(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepositoryError>;
    async fn unsettled(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, RepositoryError>;
    async fn mark(&self, relayed: &[OutboxId], settled: &[OutboxId])
        -> Result<(), RepositoryError>;
    /// Entries waiting (relay or cache), for status pages and tests.
    async fn pending(&self) -> Result<u64, RepositoryError>;
}
