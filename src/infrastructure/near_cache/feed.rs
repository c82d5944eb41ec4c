//! The invalidation feed: a RESP3 connection with client tracking in broadcast mode on the
//! cache's key prefixes, and the supervisor that decides whether it is confirmed (the tier
//! serves while every feed of its quorum is).
//!
//! A feed is confirmed while tracking is switched on over the current connection and a
//! heartbeat answered on it since. On a cluster the heartbeat also checks that the node is
//! still a primary: a demoted node no longer sees the writes to its slots. A dropped connection, a
//! reconnect (tracking is per connection, so a new one starts without it), a reply overdue,
//! a failed heartbeat or invalidations arriving faster than they are applied all make the
//! tier flush and step aside until tracking is on again. Redis' replies and pushes on one
//! connection arrive in order, so a heartbeat answered means every invalidation Redis sent
//! before it has reached this process.

use std::sync::Arc;
use std::time::Duration;

use fred::interfaces::{ClientLike, EventInterface, TrackingInterface};
use fred::prelude::Client;
use fred::types::client::Invalidation;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::quorum::Quorum;
use super::TRACKED;
use crate::domain::cache::CacheKeys;

/// How the feed is watched.
#[derive(Debug, Clone, Copy)]
pub struct FeedTiming {
    /// Between two heartbeats on the tracking connection.
    pub heartbeat: Duration,
    /// Bound on a heartbeat or on switching tracking on.
    pub timeout: Duration,
}

/// Where a feed sits: the quorum it is member `member` of (and so the tier it invalidates),
/// and whether its node must be a primary (on a cluster).
pub(super) struct Membership {
    pub quorum: Arc<Quorum>,
    pub member: usize,
    pub must_be_primary: bool,
}

/// Starts the feed's two tasks: applying invalidations, and supervising the connection.
pub(super) fn spawn(
    client: Client,
    membership: Membership,
    key_prefix: String,
    timing: FeedTiming,
) -> Vec<JoinHandle<()>> {
    let Membership {
        quorum,
        member,
        must_be_primary,
    } = membership;
    let feed = Arc::new(Feed {
        client,
        quorum,
        member,
        must_be_primary,
        key_prefix,
        timing,
    });
    vec![
        tokio::spawn(feed.clone().apply_invalidations()),
        tokio::spawn(feed.supervise()),
    ]
}

struct Feed {
    client: Client,
    quorum: Arc<Quorum>,
    member: usize,
    must_be_primary: bool,
    key_prefix: String,
    timing: FeedTiming,
}

impl Feed {
    fn lose(&self, reason: &'static str) {
        self.quorum.lose(self.member, reason);
    }

    async fn apply_invalidations(self: Arc<Self>) {
        let mut invalidations = self.client.invalidation_rx();
        loop {
            match invalidations.recv().await {
                Ok(invalidation) => self.apply(invalidation),
                Err(RecvError::Lagged(_)) => self.lose("invalidations arrived faster than applied"),
                Err(RecvError::Closed) => return,
            }
        }
    }

    fn apply(&self, invalidation: Invalidation) {
        self.quorum
            .metrics()
            .near
            .invalidations_received(invalidation.keys.len() as u64);
        for key in &invalidation.keys {
            let Some(logical) = key
                .as_str()
                .and_then(|key| key.strip_prefix(self.key_prefix.as_str()))
            else {
                continue;
            };
            if logical == CacheKeys::VERSIONED_EPOCH {
                self.quorum.tier().flush();
            } else {
                self.quorum.tier().invalidate(logical);
            }
        }
    }

    async fn supervise(self: Arc<Self>) {
        let mut reconnects = self.client.reconnect_rx();
        let mut errors = self.client.error_rx();
        let mut unresponsive = self.client.unresponsive_rx();
        let mut heartbeat = tokio::time::interval(self.timing.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = reconnects.recv() => {
                    if matches!(event, Err(RecvError::Closed)) { return; }
                    self.lose("reconnected (tracking is off on a new connection)");
                }
                event = errors.recv() => {
                    if matches!(event, Err(RecvError::Closed)) { return; }
                    self.lose("connection error");
                }
                event = unresponsive.recv() => {
                    if matches!(event, Err(RecvError::Closed)) { return; }
                    self.lose("connection unresponsive");
                }
                _ = heartbeat.tick() => self.beat().await,
            }
        }
    }

    /// Keeps a confirmed feed confirmed, or tries to confirm an unconfirmed one.
    async fn beat(&self) {
        if self.quorum.is_confirmed(self.member) {
            if let Err(reason) = self.heartbeat().await {
                self.lose(reason);
            }
        } else if self.client.is_connected() {
            match self.switch_tracking_on().await {
                Ok(()) => self.quorum.confirm(self.member),
                Err(error) => tracing::debug!(%error, "near cache feed not confirmed yet"),
            }
        }
        self.quorum.metrics().near.state(
            true,
            self.quorum.tier().is_trusted(),
            self.quorum.tier().entry_count(),
        );
    }

    /// One round trip on the tracking connection (so every invalidation sent before it
    /// has arrived) and, on a cluster, the node still a primary.
    async fn heartbeat(&self) -> Result<(), &'static str> {
        if !self.must_be_primary {
            return self.ping().await.map_err(|_| "heartbeat failed");
        }
        let replication: String = within(
            self.timing.timeout,
            self.client.custom(fred::cmd!("INFO"), vec!["replication"]),
        )
        .await
        .map_err(|_| "heartbeat failed")?;
        if replication.lines().any(|line| line.trim() == "role:master") {
            Ok(())
        } else {
            Err("the node is no longer a primary")
        }
    }

    async fn ping(&self) -> Result<(), fred::error::Error> {
        within(self.timing.timeout, self.client.ping::<String>(None))
            .await
            .map(drop)
    }

    /// Tracking off (whatever state the connection is in), on again with the prefixes, and
    /// a heartbeat answered after it.
    async fn switch_tracking_on(&self) -> Result<(), fred::error::Error> {
        let _ = within(self.timing.timeout, self.client.stop_tracking()).await;
        let prefixes: Vec<String> = TRACKED
            .iter()
            .map(|tracked| format!("{}{tracked}", self.key_prefix))
            .collect();
        within(
            self.timing.timeout,
            self.client
                .start_tracking(prefixes, true, false, false, false),
        )
        .await?;
        self.heartbeat()
            .await
            .map_err(|reason| fred::error::Error::new(fred::error::ErrorKind::Unknown, reason))
    }
}

async fn within<T>(
    timeout: Duration,
    call: impl std::future::Future<Output = Result<T, fred::error::Error>>,
) -> Result<T, fred::error::Error> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| {
            Err(fred::error::Error::new(
                fred::error::ErrorKind::Timeout,
                "near cache feed call timed out",
            ))
        })
}
