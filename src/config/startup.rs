//! A running instance: built from its settings in named steps (`components`,
//! `background`, `http_server`), served until a signal or a stop, then shut down in order.

use std::sync::Arc;

use actix_web::dev::Server;
use tokio::task::JoinHandle;

use super::background::Background;
use super::components::Components;
use super::http_server::serve;
use super::startup_error::StartupError;
use super::Settings;
use crate::infrastructure::near_cache::NearCache;
use crate::infrastructure::redis::RedisClients;
use crate::usecases::cache::CacheContext;
use crate::usecases::events::EventFeed;
use crate::usecases::read_counter::ReadCounter;

/// How long shutdown waits for post-commit cache work after the HTTP drain.
const POST_COMMIT_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    redis: RedisClients,
    near: Option<NearCache>,
    cache: Arc<CacheContext>,
    background: Vec<JoinHandle<()>>,
    feed: Arc<EventFeed>,
    /// Flushed once more at shutdown.
    reads: Arc<ReadCounter>,
    stop: Arc<tokio::sync::Notify>,
}

/// Stops a running `Application` as SIGTERM would (for embedding and tests).
#[derive(Clone)]
pub struct StopHandle(Arc<tokio::sync::Notify>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

impl Application {
    /// Builds the instance in three steps: its components (connections, the module,
    /// the admin account), its background tasks, and its HTTP server on a bound
    /// listener. Nothing is served until `run_until_stopped`.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        tracing::info!(
            mongo = %settings.mongo.uri,
            redis = %settings.redis.url,
            "starting"
        );
        let components = Components::connect(&settings).await?;
        let background = Background::start(&components, &settings).await;
        let (server, port) = serve(&components, &settings)?;
        Ok(Self {
            port,
            server,
            redis: components.redis,
            near: components.near,
            cache: components.context,
            background: background.tasks,
            feed: components.shared.feed,
            reads: components.shared.reads,
            stop: Arc::default(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// Serves until SIGINT/SIGTERM, then ends event subscriptions (clients resume
    /// elsewhere with their last id), drains in-flight requests (up to 10 s), lets
    /// post-commit cache work finish (up to 5 s) and closes the Redis connection.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (handle, feed, stop) = (self.server.handle(), self.feed.clone(), self.stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown_signal() => {}
                _ = stop.notified() => {}
            }
            tracing::info!("shutting down");
            feed.close();
            handle.stop(true).await;
        });
        let result = self.server.await;
        // Post-commit cache work of the last requests runs on this runtime; let it land.
        if !self.cache.post_commit.wait_idle(POST_COMMIT_DRAIN).await {
            tracing::warn!("post-commit cache work still running at shutdown");
        }
        for task in &self.background {
            task.abort();
        }
        // Reads noted since the last periodic flush would be lost with the process.
        self.reads.flush().await;
        if let Some(near) = &self.near {
            near.stop().await;
        }
        self.redis.quit().await;
        tracing::info!("stopped");
        result
    }
}
