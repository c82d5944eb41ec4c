//! The near cache on a Redis Cluster: one tracking feed per primary, all members of one
//! quorum, re-made whenever the set of primaries changes.
//!
//! Broadcast tracking is per connection and each node reports only the writes it executes,
//! so a feed per primary hears every tracked write. A failover or a resharding moves slots
//! to a node no feed may be listening to: the supervisor watches the cluster's slot map
//! (fred's change events, and a re-read every second), and on any change of primaries
//! dissolves the quorum (flushing the tier) and starts feeds for the new primaries. Until
//! that happens the feed of a demoted primary loses its confirmation by itself (its
//! heartbeat checks the role), so a missed change costs serving from memory, not
//! coherence.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fred::interfaces::{ClusterInterface, EventInterface};
use fred::prelude::{Client, ClientLike, Server};
use tokio::task::JoinHandle;

use super::feed::{self, FeedTiming, Membership};
use super::quorum::Quorum;
use super::tier::NearTier;
use crate::infrastructure::redis::{build_node_tracking_client, RedisSettings};
use crate::usecases::cache::CacheMetrics;

/// How often the slot map is re-read even without a change event.
const TOPOLOGY_CHECK: Duration = Duration::from_secs(1);

/// What the supervisor needs to start feeds; `nodes` holds the live feed connections so a
/// shutdown can close them.
pub(super) struct ClusterFeeds {
    pub discovery: Client,
    pub server: RedisSettings,
    pub tier: Arc<NearTier>,
    pub metrics: Arc<CacheMetrics>,
    pub timing: FeedTiming,
    pub nodes: Arc<Mutex<Vec<Client>>>,
}

impl ClusterFeeds {
    pub(super) fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(self.supervise())
    }

    async fn supervise(self) {
        let mut changes = self.discovery.cluster_change_rx();
        loop {
            let primaries = self.primaries();
            let quorum = Arc::new(Quorum::new(
                self.tier.clone(),
                self.metrics.clone(),
                primaries.len(),
            ));
            let tasks = self.start_feeds(&primaries, &quorum).await;
            if primaries.is_empty() {
                tracing::debug!("near cache: no cluster primaries known yet");
            }
            let mut check = tokio::time::interval(TOPOLOGY_CHECK);
            loop {
                tokio::select! {
                    event = changes.recv() => {
                        if matches!(event, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                            return;
                        }
                    }
                    _ = check.tick() => {
                        let _ = tokio::time::timeout(self.timing.timeout, self.discovery.sync_cluster()).await;
                    }
                }
                if self.primaries() != primaries {
                    break;
                }
            }
            quorum.dissolve("the cluster's primaries changed");
            for task in tasks {
                task.abort();
            }
            self.close_nodes().await;
        }
    }

    /// The primaries of the slot map the discovery client holds, in a stable order.
    fn primaries(&self) -> Vec<Server> {
        self.discovery
            .cached_cluster_state()
            .map(|state| state.unique_primary_nodes())
            .unwrap_or_default()
    }

    async fn start_feeds(&self, primaries: &[Server], quorum: &Arc<Quorum>) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        for (member, primary) in primaries.iter().enumerate() {
            let client = match build_node_tracking_client(&self.server, primary).await {
                Ok(client) => client,
                Err(error) => {
                    // Its member never confirms: the tier stays off until the next change.
                    tracing::warn!(%error, "near cache: no feed for a cluster primary");
                    continue;
                }
            };
            let membership = Membership {
                quorum: quorum.clone(),
                member,
                must_be_primary: true,
            };
            tasks.extend(feed::spawn(
                client.clone(),
                membership,
                self.server.key_prefix.clone(),
                self.timing,
            ));
            self.nodes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(client);
        }
        tasks
    }

    async fn close_nodes(&self) {
        quit_all(&self.nodes).await;
    }
}

/// Closes every per-node feed connection in `nodes` and empties it (a re-made feed set, or
/// the near cache stopping).
pub(super) async fn quit_all(nodes: &Mutex<Vec<Client>>) {
    let nodes: Vec<Client> = std::mem::take(&mut *nodes.lock().unwrap_or_else(|e| e.into_inner()));
    for node in nodes {
        let _ = node.quit().await;
    }
}
