use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::CacheError;
use crate::domain::event::{EventId, ProductEvent, StoredEvent};

/// What `publish` did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    Appended(EventId),
    /// An event of the same product at this or a later version is already in the stream.
    AlreadyPublished,
}

/// Appends product events to the stream clients read.
///
/// Contract every implementation MUST keep:
/// - `publish` appends unless an event of the same product at the same or a later version
///   was appended before, checking and appending atomically, so a relay that runs twice,
///   or on two instances at once, publishes each event once.
/// - The stream stays bounded (old entries trimmed).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventPublisher: Interface {
    async fn publish(&self, event: &ProductEvent) -> Result<Publication, CacheError>;
}

/// Reads the product event stream.
///
/// Contract every implementation MUST keep:
/// - `read_after` returns events strictly after `after`, oldest first, at most `limit`.
/// - `wait_after` is `read_after` that waits up to `block` when there is nothing yet; it
///   uses a connection of its own, so waiting holds up no other command.
/// - `first_id` is the oldest retained event's id, `None` for an empty stream.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventLog: Interface {
    async fn read_after(
        &self,
        after: EventId,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, CacheError>;
    async fn wait_after(
        &self,
        after: EventId,
        block: Duration,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, CacheError>;
    async fn first_id(&self) -> Result<Option<EventId>, CacheError>;
}
