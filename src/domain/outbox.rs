//! The transactional outbox: each product write records its event in MongoDB in the same
//! transaction as the change, so neither a Redis outage nor a restart between the commit
//! and the relay can lose it. The entry also stands for the write's cache effects until
//! some instance confirms they landed in Redis.

use chrono::{DateTime, Utc};

use super::event::ProductEvent;
use super::product::Product;

/// An outbox entry's id (opaque).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutboxId(pub String);

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: OutboxId,
    pub event: ProductEvent,
    /// The instance whose write recorded it (`InstanceId`).
    pub origin: String,
    pub recorded_at: DateTime<Utc>,
}

/// A committed product write and the outbox entry recorded with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub product: Product,
    pub entry: OutboxId,
}

/// This process among the instances sharing one database: tells its own outbox entries
/// (whose cache effects it applied itself) from others'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceId(pub String);

impl InstanceId {
    pub fn random() -> Self {
        Self(format!("{:016x}", rand::random::<u64>()))
    }
}
