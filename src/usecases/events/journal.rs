//! How this instance's product writes reach its outbox relay.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use shaku::{Component, Interface};
use tokio::sync::Notify;

use crate::domain::outbox::OutboxId;

/// Tells the outbox relay of a write this instance committed.
///
/// Contract: `committed` MUST be called after the write's cache effects ran, with whether
/// they all landed; it never blocks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait WriteJournal: Interface {
    fn committed(&self, entry: &OutboxId, cache_landed: bool);
}

/// What the use cases leave for the relay: entries whose cache effects landed here (so no
/// instance needs to redo them), and a wake-up so a new event is published at once.
#[derive(Default)]
pub struct RelaySignals {
    landed: Mutex<Vec<OutboxId>>,
    wake: Notify,
}

impl RelaySignals {
    pub(super) fn take_landed(&self) -> Vec<OutboxId> {
        std::mem::take(&mut *self.landed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts back entries whose marking failed, for the next round.
    pub(super) fn restore_landed(&self, entries: Vec<OutboxId>) {
        self.landed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(entries);
    }

    /// Waits for a write or `poll`, whichever comes first.
    pub(super) async fn wait(&self, poll: Duration) {
        let _ = tokio::time::timeout(poll, self.wake.notified()).await;
    }
}

/// `WriteJournal` over the relay's signals. Built once per process.
#[derive(Component)]
#[shaku(interface = WriteJournal)]
pub struct OutboxJournal {
    signals: Arc<RelaySignals>,
}

impl WriteJournal for OutboxJournal {
    fn committed(&self, entry: &OutboxId, cache_landed: bool) {
        if cache_landed {
            self.signals.restore_landed(vec![entry.clone()]);
        }
        self.signals.wake.notify_one();
    }
}
