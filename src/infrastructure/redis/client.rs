use std::time::Duration;

use fred::prelude::{Builder, Client, ClientLike, Config, ReconnectPolicy, Server, ServerConfig};
use fred::types::RespVersion;

/// How to reach Redis and how long any one call may take.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// `redis://`, `rediss://` or `redis-cluster://`.
    pub url: crate::infrastructure::connection_string::ConnectionString,
    /// A separate server for cache entries (`REDIS_CACHE_URL`), so sessions, rate-limit
    /// logs and counters can live on a server that never evicts. `None`: the same server.
    pub cache_url: Option<crate::infrastructure::connection_string::ConnectionString>,
    /// Every key this service touches starts with it.
    pub key_prefix: String,
    /// Bound on one command, so a slow or absent Redis costs a request at most this much.
    pub command_timeout: Duration,
    /// Bound on waiting for the first connection at start-up.
    pub startup_timeout: Duration,
    /// Certificates for `rediss://` (ignored for `redis://`).
    pub tls: super::RedisTls,
    /// Replicas that must confirm a cache invalidation before it counts as done (WAIT), so
    /// a failover cannot undo it; 0 for a server without replicas.
    pub wait_replicas: u32,
}

impl RedisSettings {
    /// The settings of the server that holds cache entries, when it is a separate one. It
    /// shares the prefix, timeouts and TLS files of the main server.
    pub fn cache_server(&self) -> Option<Self> {
        self.cache_url.clone().map(|url| Self {
            url,
            cache_url: None,
            ..self.clone()
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RedisStartupError {
    #[error("REDIS_URL (or REDIS_CACHE_URL) is not a valid Redis URL")]
    InvalidUrl(#[source] fred::error::Error),
    #[error("Redis TLS settings are unusable")]
    Tls(#[from] super::RedisTlsError),
}

/// Builds a client that reconnects forever with capped exponential back-off and starts
/// connecting in the background. An unreachable Redis at start is logged, not fatal: the
/// service runs degraded and picks Redis up when it appears.
pub async fn build_client(settings: &RedisSettings) -> Result<Client, RedisStartupError> {
    build(settings, RespVersion::RESP2, None, None).await
}

/// A client for blocking reads (`XREAD BLOCK`) of up to `block`: a connection of its own, so
/// a wait holds up no other command, and one that is not declared hung while it waits.
pub async fn build_blocking_client(
    settings: &RedisSettings,
    block: Duration,
) -> Result<Client, RedisStartupError> {
    build(settings, RespVersion::RESP2, None, Some(block)).await
}

/// A client for the near cache's invalidation feed: RESP3, which client tracking needs
/// to push invalidations on the connection that switched it on, with room to queue a
/// burst of them.
pub async fn build_tracking_client(settings: &RedisSettings) -> Result<Client, RedisStartupError> {
    build(settings, RespVersion::RESP3, None, None).await
}

/// A tracking client (as `build_tracking_client`) connected to one node of the cluster
/// `settings` names, with the cluster URL's credentials: client tracking is per connection,
/// so hearing every primary takes a connection to each.
pub async fn build_node_tracking_client(
    settings: &RedisSettings,
    node: &Server,
) -> Result<Client, RedisStartupError> {
    build(settings, RespVersion::RESP3, Some(node), None).await
}

async fn build(
    settings: &RedisSettings,
    protocol: RespVersion,
    node: Option<&Server>,
    block: Option<Duration>,
) -> Result<Client, RedisStartupError> {
    let mut config =
        Config::from_url(settings.url.expose()).map_err(RedisStartupError::InvalidUrl)?;
    if let Some(node) = node {
        config.server = ServerConfig::Centralized {
            server: node.clone(),
        };
    }
    config.version = protocol;
    config.fail_fast = false;
    if settings.url.expose().starts_with("rediss") {
        config.tls = Some(super::tls::connector(&settings.tls)?.into());
    }
    let command_timeout = settings.command_timeout + block.unwrap_or_default();
    // fred counts a command written again after a MOVED or ASK redirection as another
    // write attempt: with a single attempt every redirected call failed (measured during a
    // resharding: "Too many failed write attempts"). A cluster client gets room for a
    // redirection and a reconnect; a single server none, so a call is written once. Either
    // way each call is bounded by its command timeout, and every script is safe to apply
    // twice (versioned, set-if-newer, idempotent membership, or only more conservative).
    let attempts = if config.server.is_clustered() { 3 } else { 1 };
    let client = Builder::from_config(config)
        .with_connection_config(|c| {
            c.connection_timeout = command_timeout.max(Duration::from_millis(500));
            c.internal_command_timeout = command_timeout.max(Duration::from_millis(500));
            c.max_command_attempts = attempts;
            // Request/response traffic: never let Nagle hold a small command back.
            c.tcp.nodelay = Some(true);
            // A connection with a reply overdue by a second is closed and reconnected.
            c.unresponsive = fred::types::config::UnresponsiveConfig {
                max_timeout: Some(Duration::from_secs(1) + block.unwrap_or_default()),
                interval: Duration::from_millis(250),
            };
        })
        .with_performance_config(|p| {
            p.default_command_timeout = command_timeout;
            p.broadcast_channel_capacity = 4_096;
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2))
        .build()
        .map_err(RedisStartupError::InvalidUrl)?;
    client.connect();
    // A blocking client's connection is busy for up to `block` with each `XREAD BLOCK`,
    // so a heartbeat ping would wait behind it, time out and open the circuit every few
    // seconds (seen: a warning every 4 s from a healthy Redis). Its calls are bounded by
    // `block` plus the command timeout, and fred's unresponsive check closes a hung one.
    if block.is_none() {
        super::circuit::watch(&client);
    }
    match tokio::time::timeout(settings.startup_timeout, client.wait_for_connect()).await {
        Ok(Ok(())) => tracing::info!("connected to Redis"),
        Ok(Err(error)) => tracing::warn!(error = %error, "Redis unreachable; running degraded"),
        Err(_) => tracing::warn!("Redis not connected yet; running degraded until it is"),
    }
    Ok(client)
}

/// The Redis clients of one process: `main` for sessions and rate limits, `cache` for cache
/// entries. The same client unless `REDIS_CACHE_URL` names a separate server.
#[derive(Clone)]
pub struct RedisClients {
    pub main: Client,
    pub cache: Client,
    separate_cache: bool,
}

impl RedisClients {
    /// Builds the main client and, when configured, the cache server's client.
    pub async fn build(settings: &RedisSettings) -> Result<Self, RedisStartupError> {
        let main = build_client(settings).await?;
        match settings.cache_server() {
            Some(cache_server) => {
                tracing::info!(redis = %cache_server.url, "cache entries on a separate Redis");
                Ok(Self {
                    main,
                    cache: build_client(&cache_server).await?,
                    separate_cache: true,
                })
            }
            None => Ok(Self {
                cache: main.clone(),
                main,
                separate_cache: false,
            }),
        }
    }

    /// Closes every connection this process opened.
    pub async fn quit(&self) {
        let _ = self.main.quit().await;
        if self.separate_cache {
            let _ = self.cache.quit().await;
        }
    }
}
