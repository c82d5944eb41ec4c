//! The outbox relay: every instance runs one. It publishes outbox entries to the event
//! stream (this instance's at once, others' after a grace period, so the writer normally
//! does it) and makes sure each write's cache effects landed: its own writes report that
//! themselves; for any other entry still unconfirmed after the grace period (its writer's
//! Redis calls failed, or it stopped), the relay makes the cache agree with MongoDB for
//! that product. Publishing is idempotent per (product, version), so instances racing
//! on one entry publish it once.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::journal::RelaySignals;
use crate::domain::error::error_chain;
use crate::domain::event::StoredEvent;
use crate::domain::outbox::{InstanceId, OutboxEntry, OutboxId};
use crate::domain::ports::{EventHistory, EventPublisher, Outbox, Publication};
use crate::domain::product::ProductId;
use crate::usecases::cache::CacheEvents;

/// How the relay paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelaySettings {
    /// Between rounds when no write wakes it (`OUTBOX_POLL_MS`).
    pub poll: Duration,
    /// How long another instance's entry is left to its writer (`OUTBOX_GRACE_MS`).
    pub grace: Duration,
    /// Entries handled per round.
    pub batch: usize,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(250),
            grace: Duration::from_secs(1),
            batch: 200,
        }
    }
}

/// Counters of the relay, for `/api/cache/stats` and the status page.
#[derive(Debug, Default)]
pub struct RelayCounters {
    pub published: AtomicU64,
    pub duplicates: AtomicU64,
    pub reconciled: AtomicU64,
    pub failures: AtomicU64,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub relayed: usize,
    pub settled: usize,
}

pub struct OutboxRelay {
    pub outbox: Arc<dyn Outbox>,
    pub publisher: Arc<dyn EventPublisher>,
    /// Where what this relay appended is kept once the stream may let it go.
    pub history: Arc<dyn EventHistory>,
    pub cache_events: Arc<dyn CacheEvents>,
    pub signals: Arc<RelaySignals>,
    pub counters: Arc<RelayCounters>,
    pub origin: InstanceId,
    pub settings: RelaySettings,
}

impl OutboxRelay {
    /// Runs rounds forever: after each write this instance commits, and every `poll`.
    pub async fn run(self) {
        loop {
            self.wait_and_round().await;
        }
    }

    /// Waits for a write of this instance or `poll`, then runs one round.
    pub async fn wait_and_round(&self) -> RoundReport {
        self.signals.wait(self.settings.poll).await;
        self.round().await
    }

    fn due(&self, entry: &OutboxEntry, cutoff: chrono::DateTime<Utc>) -> bool {
        entry.origin == self.origin.0 || entry.recorded_at < cutoff
    }

    fn failed(&self, what: &'static str, error: &dyn std::error::Error) {
        self.counters.failures.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(error = %error_chain(error), "outbox relay: {what} failed");
    }

    /// Publishes what is due, in order per product, stopping at the first failure (a later
    /// version must not go out before an earlier one).
    async fn relay(&self, cutoff: chrono::DateTime<Utc>) -> Vec<OutboxId> {
        let entries = match self.outbox.unrelayed(self.settings.batch).await {
            Ok(entries) => entries,
            Err(error) => {
                self.failed("reading the outbox", &error);
                return Vec::new();
            }
        };
        let mut held = HashSet::new();
        let mut relayed = Vec::new();
        let mut appended = Vec::new();
        for entry in entries {
            if held.contains(&entry.event.product_id) || !self.due(&entry, cutoff) {
                held.insert(entry.event.product_id.clone());
                continue;
            }
            match self.publisher.publish(&entry.event).await {
                Ok(Publication::Appended(id)) => {
                    self.counters.published.fetch_add(1, Ordering::Relaxed);
                    relayed.push(entry.id);
                    appended.push(StoredEvent {
                        id,
                        event: entry.event,
                    });
                }
                Ok(Publication::AlreadyPublished) => {
                    self.counters.duplicates.fetch_add(1, Ordering::Relaxed);
                    relayed.push(entry.id);
                }
                Err(error) => {
                    self.failed("publishing", &error);
                    break;
                }
            }
        }
        // One write per round. The stream holds these events; the history is for when it
        // no longer does, so a failure here is logged, not retried by publishing again.
        if !appended.is_empty() {
            if let Err(error) = self.history.keep(&appended).await {
                self.failed("keeping the event history", &error);
            }
        }
        relayed
    }

    /// Makes the cache agree with MongoDB for each product with an unconfirmed entry
    /// older than the grace period; returns the entries now settled.
    async fn settle(
        &self,
        cutoff: chrono::DateTime<Utc>,
        known: &HashSet<OutboxId>,
    ) -> Vec<OutboxId> {
        let entries = match self.outbox.unsettled(cutoff, self.settings.batch).await {
            Ok(entries) => entries,
            Err(error) => {
                self.failed("reading the outbox", &error);
                return Vec::new();
            }
        };
        let mut by_product: BTreeMap<String, Vec<OutboxId>> = BTreeMap::new();
        for entry in entries.into_iter().filter(|e| !known.contains(&e.id)) {
            by_product
                .entry(entry.event.product_id)
                .or_default()
                .push(entry.id);
        }
        let mut settled = Vec::new();
        for (product, ids) in by_product {
            let Ok(id) = ProductId::parse(&product) else {
                settled.extend(ids);
                continue;
            };
            if self.cache_events.reconcile(&id).await {
                self.counters.reconciled.fetch_add(1, Ordering::Relaxed);
                settled.extend(ids);
            }
        }
        settled
    }

    /// One pass: publish, settle, record both.
    pub async fn round(&self) -> RoundReport {
        let cutoff = Utc::now()
            - chrono::Duration::from_std(self.settings.grace).unwrap_or(chrono::Duration::zero());
        let relayed = self.relay(cutoff).await;
        let landed = self.signals.take_landed();
        let known: HashSet<OutboxId> = landed.iter().cloned().collect();
        let mut settled = self.settle(cutoff, &known).await;
        settled.extend(landed.iter().cloned());
        if relayed.is_empty() && settled.is_empty() {
            return RoundReport::default();
        }
        match self.outbox.mark(&relayed, &settled).await {
            Ok(()) => RoundReport {
                relayed: relayed.len(),
                settled: settled.len(),
            },
            Err(error) => {
                // Publishing again is harmless (idempotent); what landed here must not be
                // forgotten, or another instance would redo it for nothing.
                self.failed("marking the outbox", &error);
                self.signals.restore_landed(landed);
                RoundReport::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::event::ProductEvent;
    use crate::domain::ports::{MockEventPublisher, MockOutbox};
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{product, ID};

    const OTHER: &str = "665f1c0e9b1e8a3d4c2b1a0a";

    fn entry(n: &str, id: &str, version: u64, origin: &str, age_ms: i64) -> OutboxEntry {
        let mut event = ProductEvent::updated(&product(id, version - 1), &product(id, version));
        event.version = version;
        OutboxEntry {
            id: OutboxId(n.into()),
            event,
            origin: origin.into(),
            recorded_at: Utc::now() - chrono::Duration::milliseconds(age_ms),
        }
    }

    fn relay(
        outbox: MockOutbox,
        publisher: MockEventPublisher,
        cache: MockCacheEvents,
    ) -> OutboxRelay {
        let mut history = crate::domain::ports::MockEventHistory::new();
        history.expect_keep().returning(|_| Ok(()));
        OutboxRelay {
            outbox: Arc::new(outbox),
            publisher: Arc::new(publisher),
            history: Arc::new(history),
            cache_events: Arc::new(cache),
            signals: Arc::default(),
            counters: Arc::default(),
            origin: InstanceId("me".into()),
            settings: RelaySettings::default(),
        }
    }

    #[tokio::test]
    async fn publishes_its_own_entries_at_once_others_after_the_grace_and_stops_at_a_failure() {
        let mut outbox = MockOutbox::new();
        outbox.expect_unrelayed().returning(|_| {
            Ok(vec![
                entry("a", ID, 2, "me", 0),
                entry("b", ID, 3, "me", 0),
                entry("c", OTHER, 2, "them", 0),
                entry("d", OTHER, 3, "them", 5_000),
            ])
        });
        outbox.expect_unsettled().returning(|_, _| Ok(vec![]));
        outbox
            .expect_mark()
            .withf(|relayed, settled| relayed == [OutboxId("a".into())] && settled.is_empty())
            .times(1)
            .returning(|_, _| Ok(()));
        let mut publisher = MockEventPublisher::new();
        let mut calls = 0;
        publisher.expect_publish().times(2).returning(move |event| {
            calls += 1;
            assert_eq!(event.product_id, ID, "never the held product's later entry");
            if calls == 1 {
                Ok(Publication::AlreadyPublished)
            } else {
                Err(CacheError::Unavailable("down".into()))
            }
        });
        let report = relay(outbox, publisher, MockCacheEvents::new())
            .round()
            .await;
        assert_eq!(
            report,
            RoundReport {
                relayed: 1,
                settled: 0
            }
        );
    }

    #[tokio::test]
    async fn unconfirmed_cache_effects_are_reconciled_once_per_product_and_settled_only_if_they_land(
    ) {
        let mut outbox = MockOutbox::new();
        outbox.expect_unrelayed().returning(|_| Ok(vec![]));
        outbox.expect_unsettled().returning(|_, _| {
            Ok(vec![
                entry("a", ID, 2, "them", 5_000),
                entry("b", ID, 3, "them", 5_000),
                entry("c", OTHER, 2, "them", 5_000),
            ])
        });
        outbox
            .expect_mark()
            .withf(|relayed, settled| {
                relayed.is_empty() && settled == [OutboxId("a".into()), OutboxId("b".into())]
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let mut cache = MockCacheEvents::new();
        cache
            .expect_reconcile()
            .times(2)
            .returning(|id| id.as_str() == ID);
        relay(outbox, MockEventPublisher::new(), cache)
            .round()
            .await;
    }

    #[tokio::test]
    async fn entries_that_landed_here_are_settled_without_a_reconcile_and_kept_if_marking_fails() {
        let mut outbox = MockOutbox::new();
        outbox.expect_unrelayed().returning(|_| Ok(vec![]));
        outbox
            .expect_unsettled()
            .returning(|_, _| Ok(vec![entry("a", ID, 2, "me", 5_000)]));
        outbox.expect_mark().returning(|_, _| {
            Err(crate::domain::error::RepositoryError::Unavailable(
                "down".into(),
            ))
        });
        let relay = relay(outbox, MockEventPublisher::new(), MockCacheEvents::new());
        relay.signals.restore_landed(vec![OutboxId("a".into())]);
        assert_eq!(relay.round().await, RoundReport::default());
        assert_eq!(relay.signals.take_landed(), [OutboxId("a".into())]);
    }
}
