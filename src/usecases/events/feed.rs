//! The event feed of one instance: a single reader follows the stream (one blocking read
//! at a time, whatever the number of subscribers) and fans each event out in memory.
//! Subscribers that resume (`Last-Event-ID`) get the missed events first (from MongoDB's
//! event history for what the stream no longer holds, then from the stream), then the live
//! ones, each once and in stream order.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::domain::error::{error_chain, RepositoryError};
use crate::domain::event::{EventId, StoredEvent};
use crate::domain::ports::{EventHistory, EventLog, StreamPage};

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
    /// How long a subscriber may leave bytes unaccepted before it is disconnected
    /// (`EVENTS_WRITE_TIMEOUT_MS`).
    pub write_timeout: Duration,
    /// Most events one resume replays (`EVENTS_REPLAY_MAX`); a longer backlog starts with
    /// `replay-incomplete` at the oldest point served.
    pub replay_max: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            max_connections: 1_000,
            max_per_client: 4,
            heartbeat: Duration::from_secs(15),
            block: Duration::from_secs(2),
            write_timeout: Duration::from_secs(10),
            replay_max: 10_000,
        }
    }
}

/// Events kept for subscribers that fall behind; one that falls further is ended and
/// resumes from the stream with its last id.
const FAN_OUT_CAPACITY: usize = 4_096;
/// Entries the reader takes per stream read.
const READ_PAGE: usize = 500;
/// Entries a resuming subscription takes per stream read, and so the most it holds:
/// replay is read page by page as the client accepts it, never as a whole backlog.
pub const REPLAY_PAGE: usize = 16;
/// How long the oldest point a replay serves is reused: it costs Redis a walk over
/// `EVENTS_REPLAY_MAX` entries, so it is looked up at most this often, however many
/// subscribers connect. A replay may so serve up to this long's new events beyond the bound.
const REPLAY_FLOOR_MAX_AGE: Duration = Duration::from_secs(1);
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
    history: Arc<dyn EventHistory>,
    settings: FeedSettings,
    sender: broadcast::Sender<Arc<StoredEvent>>,
    open: Mutex<HashMap<String, usize>>,
    closing: watch::Sender<bool>,
    /// Events read from the stream by this instance's reader.
    pub received: AtomicU64,
    /// Stream entries skipped because they are not events (reader and replays).
    pub unreadable: AtomicU64,
    /// Subscriptions ended because their client stopped accepting bytes.
    pub stalled: AtomicU64,
    /// When entries that are not events were last logged.
    unreadable_logged: Mutex<Option<std::time::Instant>>,
    /// The oldest point a replay serves (`None`: the whole stream), and when it was read.
    replay_floor: ReadAtMostEvery,
    /// The oldest event MongoDB's history keeps, and when it was read: a burst of
    /// reconnects asks MongoDB once, not once each.
    history_oldest: ReadAtMostEvery,
    /// Full replay pages lately read from the stream, by the id they start after. A burst
    /// of subscribers resuming from one point (every client of a restarted instance, or an
    /// attacker's 200 connections from `0`) reads and parses each page once, not once per
    /// subscriber. Only full pages are kept: the stream only grows at its end, so the 16
    /// entries after an id never change once there are 16.
    replay_pages: moka::sync::Cache<EventId, Arc<ReplayPage>>,
}

/// An id read at most once per `REPLAY_FLOOR_MAX_AGE`: callers queue behind one read
/// instead of each making their own; a failed read is not remembered.
#[derive(Default)]
struct ReadAtMostEvery(tokio::sync::Mutex<Option<(std::time::Instant, Option<EventId>)>>);

impl ReadAtMostEvery {
    async fn get_or_read<E>(
        &self,
        read: impl std::future::Future<Output = Result<Option<EventId>, E>>,
    ) -> Result<Option<EventId>, E> {
        let mut cached = self.0.lock().await;
        if let Some((at, id)) = *cached {
            if at.elapsed() < REPLAY_FLOOR_MAX_AGE {
                return Ok(id);
            }
        }
        let id = read.await?;
        *cached = Some((std::time::Instant::now(), id));
        Ok(id)
    }
}

/// A full replay page as subscriptions share it.
struct ReplayPage {
    events: Vec<Arc<StoredEvent>>,
    last: Option<EventId>,
}

/// Full replay pages kept (16 events each: at most ~16,000 events, a few MB).
const REPLAY_PAGES_KEPT: u64 = 1_024;
/// How long a kept page may be reused.
const REPLAY_PAGE_KEPT_FOR: Duration = Duration::from_secs(60);

impl EventFeed {
    pub fn new(
        log: Arc<dyn EventLog>,
        history: Arc<dyn EventHistory>,
        settings: FeedSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            log,
            history,
            settings,
            sender: broadcast::channel(FAN_OUT_CAPACITY).0,
            open: Mutex::default(),
            closing: watch::channel(false).0,
            received: AtomicU64::new(0),
            unreadable: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            unreadable_logged: Mutex::new(None),
            replay_floor: ReadAtMostEvery::default(),
            history_oldest: ReadAtMostEvery::default(),
            replay_pages: moka::sync::Cache::builder()
                .max_capacity(REPLAY_PAGES_KEPT)
                .time_to_live(REPLAY_PAGE_KEPT_FOR)
                .build(),
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

    /// The id after which the newest `replay_max` entries start (`None`: the stream holds
    /// no more than that), read from Redis at most once per `REPLAY_FLOOR_MAX_AGE`; callers
    /// queue behind one lookup instead of each making their own.
    async fn replay_floor(&self) -> Result<Option<EventId>, SubscribeError> {
        self.replay_floor
            .get_or_read(
                self.log
                    .replay_start(EventId::ZERO, self.settings.replay_max),
            )
            .await
            .map_err(|_| SubscribeError::Unavailable)
    }

    /// The oldest event in MongoDB's history, read at most once per
    /// `REPLAY_FLOOR_MAX_AGE` (a failed read is not remembered).
    async fn history_oldest(&self) -> Result<Option<EventId>, RepositoryError> {
        self.history_oldest.get_or_read(self.history.oldest()).await
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
                .wait_after(last, self.settings.block, READ_PAGE)
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
    /// Nothing of the backlog is read here: the subscription reads it page by page as it
    /// is consumed, and listens to live events only once the replay has caught up.
    pub async fn subscribe(
        self: &Arc<Self>,
        client: &str,
        resume_after: Option<EventId>,
    ) -> Result<Subscription, SubscribeError> {
        let slot = self.take_slot(client)?;
        let (replay, history, live, incomplete) = match resume_after {
            None => (None, None, Some(self.sender.subscribe()), false),
            Some(after) => {
                let first = self
                    .log
                    .first_id()
                    .await
                    .map_err(|_| SubscribeError::Unavailable)?;
                if first.is_none_or(|first| first > after) {
                    // The stream does not reach back that far (trimmed, or Redis lost it):
                    // MongoDB's history serves up to where the stream starts.
                    let kept = self.history_oldest().await.inspect_err(|error| {
                        tracing::warn!(error = %error_chain(error), "event history unreadable; replaying from the stream alone");
                    });
                    match kept {
                        // Pages of history are read only when it holds something the
                        // stream lacks; else the replay goes straight to the stream.
                        Ok(oldest) => (
                            Some(after),
                            oldest
                                .is_some_and(|oldest| first.is_none_or(|first| oldest < first))
                                .then_some(first),
                            None,
                            oldest.is_none_or(|oldest| oldest > after),
                        ),
                        Err(_) => (Some(after), None, None, true),
                    }
                } else {
                    let bounded = self.replay_floor().await?.filter(|floor| *floor > after);
                    (
                        Some(bounded.unwrap_or(after)),
                        None,
                        None,
                        bounded.is_some(),
                    )
                }
            }
        };
        Ok(Subscription {
            feed: self.clone(),
            page: VecDeque::new(),
            replay,
            history,
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
    /// The stream could not be read during the replay; resuming loses nothing.
    Unavailable,
    /// The instance is shutting down.
    Closed,
}

pub struct Subscription {
    feed: Arc<EventFeed>,
    /// The replay page being handed out (at most `REPLAY_PAGE` events).
    page: VecDeque<Arc<StoredEvent>>,
    /// While replaying: the id after which the next page starts.
    replay: Option<EventId>,
    /// While replaying from MongoDB's history: the stream's first id then (the history
    /// serves what comes before it; `None`: the stream was empty).
    history: Option<Option<EventId>>,
    /// Live events; taken once the replay has caught up with the stream.
    live: Option<broadcast::Receiver<Arc<StoredEvent>>>,
    last: Option<EventId>,
    incomplete: bool,
    closing: watch::Receiver<bool>,
    _slot: Slot,
}

impl Subscription {
    /// Whether the replay may miss events: neither the stream nor MongoDB's history reaches
    /// back to the resume point, or more than `EVENTS_REPLAY_MAX` events followed it.
    pub fn replay_incomplete(&self) -> bool {
        self.incomplete
    }

    /// The feed this subscription belongs to (for its settings and counters).
    pub fn feed(&self) -> &Arc<EventFeed> {
        &self.feed
    }

    /// The next event after the last one returned, in stream order.
    pub async fn next(&mut self) -> Result<Arc<StoredEvent>, FeedEnd> {
        loop {
            if *self.closing.borrow() {
                return Err(FeedEnd::Closed);
            }
            if let Some(event) = self.page.pop_front() {
                self.last = Some(event.id);
                return Ok(event);
            }
            match (self.replay, self.history) {
                (Some(cursor), Some(before)) => self.read_history_page(cursor, before).await?,
                (Some(cursor), None) => self.read_replay_page(cursor).await?,
                (None, _) => return self.next_live().await,
            }
        }
    }

    /// Reads the history page after `cursor` (and before `before`); a short page ends the
    /// history, and the replay goes on from the stream.
    async fn read_history_page(
        &mut self,
        cursor: EventId,
        before: Option<EventId>,
    ) -> Result<(), FeedEnd> {
        let page = self
            .feed
            .history
            .read_after(cursor, before, REPLAY_PAGE)
            .await
            .map_err(|_| FeedEnd::Unavailable)?;
        if page.returned < REPLAY_PAGE {
            self.history = None;
        }
        self.replay = Some(page.last.unwrap_or(cursor));
        self.page.extend(page.events.into_iter().map(Arc::new));
        Ok(())
    }

    /// Reads the page after `cursor`. When the stream has nothing more, the subscription
    /// starts listening and reads once more: whatever was published between its last page
    /// and the moment it listened comes from that read, the rest live (overlap dropped by
    /// id).
    async fn read_replay_page(&mut self, cursor: EventId) -> Result<(), FeedEnd> {
        if let Some(page) = self.feed.replay_pages.get(&cursor) {
            self.replay = Some(page.last.unwrap_or(cursor));
            self.page.extend(page.events.iter().cloned());
            return Ok(());
        }
        let page = self
            .feed
            .log
            .read_after(cursor, REPLAY_PAGE)
            .await
            .map_err(|_| FeedEnd::Unavailable)?;
        self.feed.note_unreadable(&page);
        // Judged on what the stream returned, so entries that are not events neither end
        // the replay early nor hold the cursor.
        let full = page.returned == REPLAY_PAGE;
        let events: Vec<_> = page.events.into_iter().map(Arc::new).collect();
        self.replay = Some(page.last.unwrap_or(cursor));
        self.page.extend(events.iter().cloned());
        if full {
            let shared = ReplayPage {
                events,
                last: page.last,
            };
            self.feed.replay_pages.insert(cursor, Arc::new(shared));
        } else if self.live.is_none() {
            self.live = Some(self.feed.sender.subscribe());
        } else {
            self.replay = None;
        }
        Ok(())
    }

    async fn next_live(&mut self) -> Result<Arc<StoredEvent>, FeedEnd> {
        let Some(live) = self.live.as_mut() else {
            return Err(FeedEnd::Closed);
        };
        loop {
            let event = tokio::select! {
                event = live.recv() => event,
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
    use crate::domain::ports::{MockEventHistory, MockEventLog};
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
        with_history(log, MockEventHistory::new(), settings)
    }

    fn with_history(
        log: MockEventLog,
        history: MockEventHistory,
        settings: FeedSettings,
    ) -> Arc<EventFeed> {
        EventFeed::new(Arc::new(log), Arc::new(history), settings)
    }

    fn id(millis: u64) -> EventId {
        EventId {
            millis,
            sequence: 0,
        }
    }

    #[tokio::test]
    async fn a_resumed_subscription_replays_then_goes_live_without_repeating() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| Ok(Some(id(1))));
        log.expect_replay_start().returning(|_, _| Ok(None));
        log.expect_read_after()
            .withf(|after, _| after.millis == 2)
            .times(1)
            .returning(|_, _| Ok(page(vec![stored(3), stored(4)])));
        log.expect_read_after()
            .withf(|after, _| after.millis == 4)
            .returning(|_, _| Ok(page(vec![])));
        let feed = feed(log, FeedSettings::default());
        let mut subscription = feed.subscribe("c", Some(id(2))).await.unwrap();
        assert!(!subscription.replay_incomplete());
        assert_eq!(subscription.next().await.unwrap().id.millis, 3);
        // Published once the replay caught up: 4 was replayed already and is dropped by id.
        feed.sender.send(Arc::new(stored(4))).unwrap();
        feed.sender.send(Arc::new(stored(5))).unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            seen.push(subscription.next().await.unwrap().id.millis);
        }
        assert_eq!(seen, [4, 5]);
    }

    #[tokio::test]
    async fn subscribers_resuming_from_one_point_share_each_full_page() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| Ok(Some(id(0))));
        log.expect_replay_start().returning(|_, _| Ok(None));
        // Two full pages: read from the stream once for both subscribers.
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = reads.clone();
        log.expect_read_after().returning(move |after, limit| {
            counted.fetch_add(1, Ordering::Relaxed);
            let start = after.millis + 1;
            let end = (after.millis + limit as u64).min(2 * REPLAY_PAGE as u64);
            Ok(page((start..=end).map(stored).collect()))
        });
        let feed = feed(log, FeedSettings::default());
        for client in ["a", "b"] {
            let mut subscription = feed.subscribe(client, Some(id(0))).await.unwrap();
            for expected in 1..=REPLAY_PAGE as u64 * 2 {
                assert_eq!(subscription.next().await.unwrap().id.millis, expected);
            }
        }
        assert_eq!(reads.load(Ordering::Relaxed), 2, "each full page read once");
    }

    #[tokio::test]
    async fn a_replay_reads_one_page_at_a_time_and_listens_only_once_caught_up() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| Ok(Some(id(0))));
        log.expect_replay_start().returning(|_, _| Ok(None));
        // Three full pages, then the end of the stream.
        log.expect_read_after().returning(|after, limit| {
            let start = after.millis + 1;
            let end = (after.millis + limit as u64).min(3 * REPLAY_PAGE as u64);
            Ok(page((start..=end).map(stored).collect()))
        });
        let feed = feed(log, FeedSettings::default());
        let mut subscription = feed.subscribe("c", Some(id(0))).await.unwrap();
        assert!(
            subscription.page.is_empty(),
            "nothing read before it is asked for"
        );
        for expected in 1..=REPLAY_PAGE as u64 * 2 {
            assert_eq!(subscription.next().await.unwrap().id.millis, expected);
            assert!(subscription.page.len() < REPLAY_PAGE);
            assert!(subscription.live.is_none(), "not listening while replaying");
        }
    }

    #[tokio::test]
    async fn a_backlog_longer_than_the_replay_bound_starts_later_and_says_so() {
        let mut log = MockEventLog::new();
        log.expect_first_id().returning(|| Ok(Some(id(0))));
        log.expect_replay_start()
            .withf(|after, max| after.millis == 0 && *max == 10)
            .times(1)
            .returning(|_, _| Ok(Some(id(90))));
        log.expect_read_after()
            .withf(|after, _| after.millis == 90)
            .returning(|_, _| Ok(page((91..=100).map(stored).collect())));
        log.expect_read_after()
            .withf(|after, _| after.millis == 100)
            .returning(|_, _| Ok(page(vec![])));
        let settings = FeedSettings {
            replay_max: 10,
            ..FeedSettings::default()
        };
        let feed = feed(log, settings);
        let mut subscription = feed.subscribe("c", Some(id(0))).await.unwrap();
        assert!(subscription.replay_incomplete());
        assert_eq!(subscription.next().await.unwrap().id.millis, 91);
        // The floor is reused (one lookup above), and a resume point after it is served
        // in full.
        let later = feed.subscribe("c", Some(id(95))).await.unwrap();
        assert!(!later.replay_incomplete());
    }

    #[tokio::test]
    async fn what_the_stream_lost_is_replayed_from_the_history_then_the_stream_goes_on() {
        let mut log = MockEventLog::new();
        // Redis restarted empty, then took two new events.
        log.expect_first_id().returning(|| Ok(Some(id(10))));
        log.expect_read_after()
            .withf(|after, _| after.millis == 5)
            .returning(|_, _| Ok(page(vec![stored(10), stored(11)])));
        log.expect_read_after()
            .withf(|after, _| after.millis == 11)
            .returning(|_, _| Ok(page(vec![])));
        let mut history = MockEventHistory::new();
        history.expect_oldest().returning(|| Ok(Some(id(1))));
        history
            .expect_read_after()
            .withf(|after, before, _| after.millis == 2 && *before == Some(id(10)))
            .returning(|_, _, _| Ok(page((3..=5).map(stored).collect())));
        let feed = with_history(log, history, FeedSettings::default());
        let mut subscription = feed.subscribe("c", Some(id(2))).await.unwrap();
        assert!(
            !subscription.replay_incomplete(),
            "the history reaches back"
        );
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(subscription.next().await.unwrap().id.millis);
        }
        assert_eq!(seen, [3, 4, 5, 10, 11]);
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
        log.expect_replay_start().returning(|_, _| Ok(None));
        log.expect_read_after()
            .returning(|_, _| Ok(StreamPage::default()));
        let mut history = MockEventHistory::new();
        history.expect_oldest().returning(|| Ok(Some(id(5))));
        history
            .expect_read_after()
            .returning(|_, _, _| Ok(StreamPage::default()));
        let feed = with_history(log, history, FeedSettings::default());
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
        log.expect_replay_start().returning(|_, _| Ok(None));
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
        let mut history = MockEventHistory::new();
        history.expect_oldest().returning(|| Ok(None));
        history
            .expect_read_after()
            .returning(|_, _, _| Ok(StreamPage::default()));
        let feed = with_history(log, history, FeedSettings::default());
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
