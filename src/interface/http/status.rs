//! What the status page reads besides the use cases: this instance's event counters.

use std::sync::Arc;
use std::time::Instant;

use crate::domain::ports::Outbox;
use crate::usecases::events::{EventFeed, RelayCounters};

/// Built once at start-up, shared with the status handler.
pub struct StatusSources {
    /// This instance's id (as stamped on its outbox entries).
    pub instance: String,
    pub started: Instant,
    pub feed: Arc<EventFeed>,
    pub relay: Arc<RelayCounters>,
    pub outbox: Arc<dyn Outbox>,
}
