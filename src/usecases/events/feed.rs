//! The event feed of one instance: a single reader follows the stream (one blocking read
//! at a time, whatever the number of subscribers) and fans each event out in memory.
//! Subscribers that resume (`Last-Event-ID`) get the missed events from the stream first,
//! then the live ones, each once and in stream order.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::domain::error::error_chain;
use crate::domain::event::{EventId, StoredEvent};
use crate::domain::ports::{EventLog, StreamPage};

/// Limits and pacing of the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSettings {
    /// Open subscriptions per instance (`EVENTS_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Open subscriptions per client address (`EVENTS_MAX_PER_CLIENT`).
    pub max_per_client: usize,
    /// Comment lines sent on an idle subscription (`EVENTS_HEARTBEAT_MS`).
    pub heartbeat: Duration,
    /// Longest single blocking read of the stream.
    pub block: Duration,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            max_connections: 1_000,
            max_per_client: 4,
            heartbeat: Duration::from_secs(15),
            block: Duration::from_secs(2),
        }
    }
}

/// Events kept for subscribers that fall behind; one that falls further is ended and
/// resumes from the stream with its last id.
const FAN_OUT_CAPACITY: usize = 4_096;
/// Events replayed per stream read.
const REPLAY_PAGE: usize = 500;
/// At most one warning per this long about stream entries that are not events.
const UNREADABLE_LOG_EVERY: Duration = Duration::from_secs(60);

/// Waits `pause`, then doubles it for the next failure (at most 2 s).
async fn back_off(pause: &mut Duration) {
    tokio::time::sleep(*pause).await;
    *pause = (*pause * 2).min(Duration::from_secs(2));
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubscribeError {
    #[error("this instance serves its maximum number of event subscriptions")]
    InstanceFull,
    #[error("this client holds its maximum number of event subscriptions")]
    ClientFull,
    #[error("the event stream cannot be read right now")]
    Unavailable,
}

pub struct EventFeed {
    log: Arc<dyn EventLog>,
    settings: FeedSettings,
    sender: broadcast::Sender<Arc<StoredEvent>>,
    open: Mutex<HashMap<String, usize>>,
    closing: watch::Sender<bool>,
    /// Events read from the stream by this instance's reader.
    pub received: AtomicU64,
    /// Stream entries skipped because they are not events (reader and replays).
    pub unreadable: AtomicU64,
    /// When entries that are not events were last logged.
    unreadable_logged: Mutex<Option<std::time::Instant>>,
}

impl EventFeed {
    pub fn new(log: Arc<dyn EventLog>, settings: FeedSettings) -> Arc<Self> {
        Arc::new(Self {
            log,
            settings,
            sender: broadcast::channel(FAN_OUT_CAPACITY).0,
            open: Mutex::default(),
            closing: watch::channel(false).0,
            received: AtomicU64::new(0),
            unreadable: AtomicU64::new(0),
            unreadable_logged: Mutex::new(None),
        })
    }

    /// Counts the entries of `page` that are not events, with a warning at most once per
    /// `UNREADABLE_LOG_EVERY` (a burst of foreign entries must not flood the log).
    fn note_unreadable(&self, page: &StreamPage) {
        let skipped = page.unreadable() as u64;
        if skipped == 0 {
            return;
        }
        let total = self.unreadable.fetch_add(skipped, Ordering::Relaxed) + skipped;
        let mut logged = self
            .unreadable_logged
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if logged.is_none_or(|at| at.elapsed() >= UNREADABLE_LOG_EVERY) {
            *logged = Some(std::time::Instant::now());
            tracing::warn!(
                skipped,
                total,
                "event stream entries that are not product events were skipped"
            );
        }
    }

    pub fn settings(&self) -> FeedSettings {
        self.settings
    }

    /// Open subscriptions on this instance.
    pub fn subscribers(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    /// Ends every subscription (at shutdown, so draining connections does not wait on
    /// them); clients resume elsewhere with their last id.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// The reader: follows the stream forever from the newest entry it finds at start
    /// (the stream's own position, so a local clock ahead of Redis' skips nothing),
    /// retrying with back-off while Redis fails. Never skips: after an outage it reads on
    /// from the last id it saw, and a Redis that came back empty numbers new entries
    /// after it. Entries that are not events are counted and passed over, so the cursor
    /// always moves. Nobody subscribes before the server listens, and subscribers drop
    /// what they already replayed by id.
    pub async fn run(self: Arc<Self>) {
        let mut pause = Duration::from_millis(100);
        let mut last = loop {
            match self.log.last_id().await {
                Ok(last) => break last.unwrap_or(EventId::ZERO),
                Err(error) => {
                    tracing::debug!(error = %error_chain(&error), "event stream position unknown");
                    back_off(&mut pause).await;
                }
            }
        };
        loop {
            match self
                .log
                .wait_after(last, self.settings.block, REPLAY_PAGE)
                .await
            {
                Ok(page) => {
                    pause = Duration::from_millis(100);
                    self.note_unreadable(&page);
                    if let Some(id) = page.last {
                        last = last.max(id);
                    }
                    for event in page.events {
                        self.received.fetch_add(1, Ordering::Relaxed);
                        let _ = self.sender.send(Arc::new(event));
                    }
                }
                Err(error) => {
                    tracing::debug!(error = %error_chain(&error), "event stream read failed");
                    back_off(&mut pause).await;
                }
            }
        }
    }

    /// Opens a subscription for `client`, replaying what followed `resume_after` first.
    pub async fn subscribe(
        self: &Arc<Self>,
        client: &str,
        resume_after: Option<EventId>,
    ) -> Result<Subscription, SubscribeError> {
        let slot = self.take_slot(client)?;
        // Listen before reading the backlog: nothing published in between is missed; the
        // overlap is dropped by id.
        let live = self.sender.subscribe();
        let mut replay = VecDeque::new();
        let mut incomplete = false;
        if let Some(after) = resume_after {
            let first = self
                .log
                .first_id()
                .await
                .map_err(|_| SubscribeError::Unavailable)?;
            incomplete = first.is_some_and(|first| first > after);
            let mut cursor = after;
            loop {
                let page = self
                    .log
                    .read_after(cursor, REPLAY_PAGE)
                    .await
                    .map_err(|_| SubscribeError::Unavailable)?;
                self.note_unreadable(&page);
                // Judged on what the stream returned, so entries that are not events
                // neither end the replay early nor hold the cursor.
                let full = page.returned == REPLAY_PAGE;
                if let Some(last) = page.last {
                    cursor = last;
                }
                replay.extend(page.events.into_iter().map(Arc::new));
                if !full {
                    break;
                }
            }
        }
        Ok(Subscription {
            replay,
            live,
            last: resume_after,
            incomplete,
            closing: self.closing.subscribe(),
            _slot: slot,
        })
    }

    fn take_slot(self: &Arc<Self>, client: &str) -> Result<Slot, SubscribeError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.values().sum::<usize>() >= self.settings.max_connections {
            return Err(SubscribeError::InstanceFull);
        }
        let held = open.entry(client.to_owned()).or_default();
        if *held >= self.settings.max_per_client {
            return Err(SubscribeError::ClientFull);
        }
        *held += 1;
        Ok(Slot {
            feed: self.clone(),
            client: client.to_owned(),
        })
    }
}

/// A subscription's place in the limits, given back when it ends.
struct Slot {
    feed: Arc<EventFeed>,
    client: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.feed.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = open.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// Why a subscription stops.
#[derive(Debug, PartialEq, Eq)]
pub enum FeedEnd {
    /// It fell too far behind the live events; resuming from its last id loses nothing.
    FellBehind,
    /// The instance is shutting down.
    Closed,
}

pub struct Subscription {
    replay: VecDeque<Arc<StoredEvent>>,
    live: broadcast::Receiver<Arc<StoredEvent>>,
    last: Option<EventId>,
    incomplete: bool,
    closing: watch::Receiver<bool>,
    _slot: Slot,
}

impl Subscription {
    /// Whether the requested resume point was already trimmed from the stream, so the
    /// replay may miss events.
    pub fn replay_incomplete(&self) -> bool {
        self.incomplete
    }

    /// The next event after the last one returned, in stream order.
    pub async fn next(&mut self) -> Result<Arc<StoredEvent>, FeedEnd> {
        if let Some(event) = self.replay.pop_front() {
            self.last = Some(event.id);
            return Ok(event);
        }
        loop {
            if *self.closing.borrow() {
                return Err(FeedEnd::Closed);
            }
            let event = tokio::select! {
                event = self.live.recv() => event,
                _ = self.closing.changed() => return Err(FeedEnd::Closed),
            };
            match event {
                Ok(event) if self.last.is_some_and(|last| event.id <= last) => continue,
                Ok(event) => {
                    self.last = Some(event.id);
                    return Ok(event);
                }
                Err(broadcast::error::RecvError::Lagged(_)) => return Err(FeedEnd::FellBehind),
                Err(broadcast::error::RecvError::Closed) => return Err(FeedEnd::Closed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::ProductEvent;
    use crate::domain::ports::MockEventLog;
    use crate::usecases::test_support::{product, ID};

    fn stored(millis: u64) -> StoredEvent {
        StoredEvent {
            id: EventId {
                millis,
                sequence: 0,
            },
            event: ProductEvent::created(&product(ID, 1)),
        }
    }

    /// A page of `events` and nothing else.
    fn page(events: Vec<StoredEvent>) -> StreamPage {
        StreamPage {
            returned: events.len(),
            last: events.last().map(|e| e.id),
            events,
        }
    }

    fn feed(log: MockEventLog, settings: FeedSettings) -> Arc<EventFeed> {
        EventFeed::new(Arc::new(log), settings)
    }

    #[tokio::test]
    async fn a_resumed_subscription_replays_then_goes_live_without_repeating() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| {
            Ok(Some(EventId {
                millis: 1,
                sequence: 0,
            }))
        });
        log.expect_read_after()
            .withf(|after, _| after.millis == 2)
            .returning(|_, _| Ok(page(vec![stored(3), stored(4)])));
        let feed = feed(log, FeedSettings::default());
        let mut subscription = feed
            .subscribe(
                "c",
                Some(EventId {
                    millis: 2,
                    sequence: 0,
                }),
            )
            .await
            .unwrap();
        assert!(!subscription.replay_incomplete());
        // Published while the replay was read: already in the backlog, dropped by id.
        feed.sender.send(Arc::new(stored(4))).unwrap();
        feed.sender.send(Arc::new(stored(5))).unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(subscription.next().await.unwrap().id.millis);
        }
        assert_eq!(seen, [3, 4, 5]);
    }

    #[tokio::test]
    async fn limits_per_client_and_per_instance_are_kept_and_freed_on_drop() {
        let settings = FeedSettings {
            max_connections: 3,
            max_per_client: 2,
            ..FeedSettings::default()
        };
        let feed = feed(MockEventLog::new(), settings);
        let a1 = feed.subscribe("a", None).await.unwrap();
        let _a2 = feed.subscribe("a", None).await.unwrap();
        assert_eq!(
            feed.subscribe("a", None).await.err(),
            Some(SubscribeError::ClientFull)
        );
        let _b1 = feed.subscribe("b", None).await.unwrap();
        assert_eq!(
            feed.subscribe("c", None).await.err(),
            Some(SubscribeError::InstanceFull)
        );
        drop(a1);
        let _a3 = feed.subscribe("a", None).await.unwrap();
        assert_eq!(feed.subscribers(), 3);
    }

    #[tokio::test]
    async fn a_trimmed_resume_point_is_reported_and_close_ends_subscriptions() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| {
            Ok(Some(EventId {
                millis: 9,
                sequence: 0,
            }))
        });
        log.expect_read_after()
            .returning(|_, _| Ok(StreamPage::default()));
        let feed = feed(log, FeedSettings::default());
        let mut subscription = feed
            .subscribe(
                "c",
                Some(EventId {
                    millis: 2,
                    sequence: 0,
                }),
            )
            .await
            .unwrap();
        assert!(subscription.replay_incomplete());
        feed.close();
        assert_eq!(subscription.next().await.err(), Some(FeedEnd::Closed));
    }

    #[tokio::test]
    async fn a_full_page_of_entries_that_are_not_events_neither_ends_the_replay_nor_holds_it() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| Ok(None));
        // A full page of foreign entries (ids 1..=500), then one event after them.
        log.expect_read_after()
            .withf(|after, _| after.millis == 0)
            .returning(|_, limit| {
                Ok(StreamPage {
                    events: vec![],
                    returned: limit,
                    last: Some(EventId {
                        millis: limit as u64,
                        sequence: 0,
                    }),
                })
            });
        log.expect_read_after()
            .withf(|after, _| after.millis == REPLAY_PAGE as u64)
            .returning(|_, _| Ok(page(vec![stored(REPLAY_PAGE as u64 + 1)])));
        let feed = feed(log, FeedSettings::default());
        let mut subscription = feed.subscribe("c", Some(EventId::ZERO)).await.unwrap();
        assert_eq!(
            subscription.next().await.unwrap().id.millis,
            REPLAY_PAGE as u64 + 1
        );
        assert_eq!(feed.unreadable.load(Ordering::Relaxed), REPLAY_PAGE as u64);
    }

    #[tokio::test]
    async fn the_reader_starts_at_the_streams_newest_entry_and_moves_past_entries_that_are_not_events(
    ) {
        let mut log = MockEventLog::new();
        log.expect_last_id().returning(|| {
            Ok(Some(EventId {
                millis: 1_000,
                sequence: 0,
            }))
        });
        let (reads, mut seen) = tokio::sync::mpsc::unbounded_channel();
        let mut calls = 0;
        log.expect_wait_after().returning(move |after, _, _| {
            // The mock answers at once; after three reads it fails, so the reader pauses
            // (yields its thread) and the test can look and stop it.
            calls += 1;
            if calls > 3 {
                return Err(crate::domain::error::CacheError::Unavailable(
                    "enough".into(),
                ));
            }
            let _ = reads.send(after.millis);
            // One junk entry after each position asked for.
            Ok(StreamPage {
                events: vec![],
                returned: 1,
                last: Some(EventId {
                    millis: after.millis + 1,
                    sequence: 0,
                }),
            })
        });
        let feed = feed(log, FeedSettings::default());
        let reader = tokio::spawn(feed.clone().run());
        let mut positions = Vec::new();
        for _ in 0..3 {
            positions.push(seen.recv().await.unwrap());
        }
        reader.abort();
        assert_eq!(positions, [1_000, 1_001, 1_002]);
    }
}
