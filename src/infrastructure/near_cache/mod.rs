//! The near cache: an in-process tier in front of Redis for what cached reads fetch
//! (product entries, list and count pages, stored responses and the generations they sit
//! under), kept coherent across instances by Redis itself.
//!
//! Why client tracking and not an invalidation channel: with `CLIENT TRACKING ON BCAST
//! PREFIX …` Redis tells this process of every change to a tracked key, whoever made it and
//! however (a write from another instance, a Lua script, an expiry, an eviction, an admin's
//! `DEL`). A channel would hear only of the writes that remember to publish, and a publish
//! after a write can be lost between the two calls; tracking has no second call to lose.
//! The feed also tells when it may be incomplete (its connection dropped), which a
//! fire-and-forget channel cannot. Broadcast mode costs Redis no per-key memory. A
//! `FLUSHDB` is the one change fred does not pass on (it sends no key names); flushing
//! Redis does not make the tier wrong, since each held value is still what it was when
//! read and the next write to any of those keys is tracked as usual.
//!
//! Staleness bounds: a value changed on another instance is dropped here as soon as Redis'
//! push arrives (one network hop after the write); whatever happens to the feed, nothing
//! is served older than `NEAR_CACHE_TTL_MS`, and while the feed is down nothing is served
//! from the tier at all.
//!
//! | file | what it holds |
//! | --- | --- |
//! | `tier` | the moka cache, read tickets, trust |
//! | `layered` | `NearCachedRedis`: the `RedisService` port with the tier in front |
//! | `feed` | one tracking connection and its supervisor |
//! | `quorum` | the feeds the tier depends on: it serves while every one is confirmed |
//! | `cluster` | on a Redis Cluster: a feed per primary, re-made when the primaries change |

mod cluster;
mod feed;
mod layered;
mod quorum;
mod tier;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fred::prelude::{Client, ClientLike};
use tokio::task::JoinHandle;

pub use feed::FeedTiming;
pub use layered::{NearCachedRedis, NearCachedRedisParameters};
pub use tier::{NearEntry, NearTier, ReadTicket};

use super::redis::{build_tracking_client, RedisSettings, RedisStartupError};
use crate::usecases::cache::CacheMetrics;

/// Logical key prefixes whose changes the tier hears of, and the only keys it may hold.
/// They must not overlap (Redis refuses overlapping broadcast prefixes).
const TRACKED: [&str; 3] = ["product:", "products:", "http:"];

/// Whether the tier may hold `key`: only keys whose every change Redis reports.
fn is_tracked(key: &str) -> bool {
    TRACKED.iter().any(|prefix| key.starts_with(prefix))
}

/// `NEAR_CACHE_ENABLED`, `NEAR_CACHE_MAX_ENTRIES`, `NEAR_CACHE_TTL_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearCacheSettings {
    pub enabled: bool,
    /// Bound on entries held; the least useful go first (moka's TinyLFU).
    pub max_entries: u64,
    /// Hard cap on how long any entry is served from memory.
    pub ttl: Duration,
}

impl Default for NearCacheSettings {
    /// 50,000 entries hold a 10,000-product catalogue three times over (entry, stored
    /// response and response generation per product) plus the hot list pages.
    fn default() -> Self {
        Self {
            enabled: true,
            max_entries: 50_000,
            ttl: Duration::from_millis(1_000),
        }
    }
}

/// A running near cache: the tier, its tracking connection (on a cluster: the connection
/// that watches the slot map, and one per primary) and the feeds' tasks.
pub struct NearCache {
    pub tier: Arc<NearTier>,
    client: Client,
    nodes: Arc<Mutex<Vec<Client>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl NearCache {
    /// Starts the tier (untrusted until its feeds are confirmed, a heartbeat later) when
    /// enabled.
    pub async fn start(
        settings: &NearCacheSettings,
        redis: &RedisSettings,
        metrics: Arc<CacheMetrics>,
    ) -> Result<Option<Self>, RedisStartupError> {
        if !settings.enabled {
            return Ok(None);
        }
        let server = redis.cache_server().unwrap_or_else(|| redis.clone());
        let client = build_tracking_client(&server).await?;
        let tier = Arc::new(NearTier::new(
            settings.max_entries,
            settings.ttl,
            metrics.clone(),
        ));
        metrics.near.state(true, false, 0);
        let timing = FeedTiming {
            heartbeat: Duration::from_millis(200),
            timeout: server.command_timeout.max(Duration::from_millis(100)),
        };
        let nodes = Arc::new(Mutex::new(Vec::new()));
        let tasks = if client.is_clustered() {
            let feeds = cluster::ClusterFeeds {
                discovery: client.clone(),
                server,
                tier: tier.clone(),
                metrics,
                timing,
                nodes: nodes.clone(),
            };
            vec![feeds.spawn()]
        } else {
            let membership = feed::Membership {
                quorum: Arc::new(quorum::Quorum::new(tier.clone(), metrics, 1)),
                member: 0,
                must_be_primary: false,
            };
            feed::spawn(
                client.clone(),
                membership,
                server.key_prefix.clone(),
                timing,
            )
        };
        Ok(Some(Self {
            tier,
            client,
            nodes,
            tasks,
        }))
    }

    /// Stops the feeds and closes their connections.
    pub async fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
        cluster::quit_all(&self.nodes).await;
        let _ = self.client.quit().await;
    }
}
