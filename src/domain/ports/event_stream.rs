use std::time::Duration;

use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::{CacheError, RepositoryError};
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

/// One read of the stream: the entries that are events, and what the read covered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamPage {
    /// The entries that parsed as events, oldest first.
    pub events: Vec<StoredEvent>,
    /// Entries the stream returned, events or not: a page is full when this is the limit.
    pub returned: usize,
    /// The id of the last entry returned, event or not: the next read starts after it.
    pub last: Option<EventId>,
}

impl StreamPage {
    /// Entries returned that were not events (foreign, corrupt, or of a newer version).
    pub fn unreadable(&self) -> usize {
        self.returned - self.events.len()
    }
}

/// Reads the product event stream.
///
/// Contract every implementation MUST keep:
/// - `read_after` returns the entries strictly after `after`, oldest first, at most
///   `limit`; entries that are not events MUST be left out of `events` but counted in
///   `returned` and covered by `last`, so a reader always moves past them.
/// - `wait_after` is `read_after` that waits up to `block` when there is nothing yet; it
///   uses a connection of its own, so waiting holds up no other command.
/// - `replay_start(after, max)` is `None` when at most `max` entries follow `after`, else
///   the id after which exactly `max` entries remain (where a replay bounded to `max`
///   starts); it MUST NOT load the entries it counts into this process.
/// - `first_id` is the oldest retained entry's id, `last_id` the newest's (the stream's
///   own clock: a reader that starts after it misses nothing later, whatever the local
///   clock says), both `None` for an empty stream.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventLog: Interface {
    async fn read_after(&self, after: EventId, limit: usize) -> Result<StreamPage, CacheError>;
    async fn wait_after(
        &self,
        after: EventId,
        block: Duration,
        limit: usize,
    ) -> Result<StreamPage, CacheError>;
    async fn replay_start(&self, after: EventId, max: usize)
        -> Result<Option<EventId>, CacheError>;
    async fn first_id(&self) -> Result<Option<EventId>, CacheError>;
    async fn last_id(&self) -> Result<Option<EventId>, CacheError>;
}

/// Published events kept in MongoDB after the stream lets them go (trimmed, or lost with
/// a Redis that restarted empty), for `EVENTS_RETENTION_SECS`.
///
/// Contract every implementation MUST keep:
/// - `keep` stores events under their stream ids in one call, for the retention period;
///   keeping an id again changes nothing.
/// - `read_after(after, before, limit)` returns the kept events whose stream id is after
///   `after` and, when `before` is given, before it; in stream order, at most `limit`
///   entries read (`returned`), `last` the last one's id, so a reader moves past entries
///   that do not parse.
/// - `oldest` is the oldest kept event's stream id (`None`: none kept).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventHistory: Interface {
    async fn keep(&self, events: &[StoredEvent]) -> Result<(), RepositoryError>;
    async fn read_after(
        &self,
        after: EventId,
        before: Option<EventId>,
        limit: usize,
    ) -> Result<StreamPage, RepositoryError>;
    async fn oldest(&self) -> Result<Option<EventId>, RepositoryError>;
}
