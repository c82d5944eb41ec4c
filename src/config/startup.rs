use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, Condition};
use actix_web::{web, App, HttpServer};
use std::sync::Arc;

use shaku::HasComponent;
use tokio::task::JoinHandle;

use super::warm::cache_warmer;
use super::wiring::{event_wiring, outbox_relay, prepared_database};
use super::{build_module, client_keys, AppModule, Settings};
use crate::domain::error::RepositoryError;
use crate::domain::ports::{PasswordHasher, SessionStore, UserRepository};
use crate::domain::ports::{ProductRepository, RedisService, WishlistRepository};
use crate::infrastructure::mongo::{self, MongoStartupError};
use crate::infrastructure::near_cache::NearCache;
use crate::infrastructure::redis::{RedisClients, RedisStartupError};
use crate::interface::http::json::BodyLimit;
use crate::interface::http::metrics::{CounterSource, Metrics, ReadCounters};
use crate::interface::http::middleware::{
    authentication, head_as_get, record_request, request_span, security_headers, RenderedAnswers,
};
use crate::interface::http::{self as api, StatusSources};
use crate::usecases::auth::{ensure_admin, AuthError, AuthenticateUseCase};
use crate::usecases::cache::{run_consistency_checker, run_repair_worker, CacheContext};
use crate::usecases::events::{EventFeed, RelayCounters};
use crate::usecases::read_counter::ReadCounter;
use crate::usecases::warming::CacheWarmer;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Mongo(#[from] MongoStartupError),
    #[error("MongoDB maintenance failed")]
    Indexes(#[source] RepositoryError),
    #[error("could not read or create the shared client-key secret in MongoDB")]
    Secret(#[source] RepositoryError),
    #[error(transparent)]
    Redis(#[from] RedisStartupError),
    #[error("could not ensure the admin account")]
    Admin(#[source] AuthError),
    #[error(
        "{created} products created, but their cache updates could not be made (Redis \
         unreachable); once Redis is back, clear the cache: DELETE /api/cache/invalidate?scope=all"
    )]
    CacheNotSettled { created: u32 },
    #[error("could not listen on {address}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

/// How long shutdown waits for post-commit cache work after the HTTP drain.
const POST_COMMIT_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Repairs wishlist counts left wrong by older versions, in the background so start-up is
/// not delayed; a failure is logged and the next start (or `reconcile`) tries again.
async fn reconcile_wishlist_counts(wishlists: Arc<dyn WishlistRepository>) {
    match wishlists.reconcile_counts().await {
        Ok(0) => {}
        Ok(corrected) => tracing::warn!(corrected, "wishlist counts reconciled"),
        Err(error) => tracing::warn!(
            error = %crate::domain::error::error_chain(&error),
            "wishlist count reconciliation failed"
        ),
    }
}

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

/// Warms the cache in the background; waits for it up to `bound`, so readiness (the
/// listener) is never delayed longer. Warming that takes longer goes on and is returned to
/// be stopped at shutdown.
async fn warm_on_start(
    warmer: CacheWarmer,
    top_n: usize,
    bound: std::time::Duration,
) -> Option<JoinHandle<()>> {
    let mut task = tokio::spawn(async move {
        match warmer.warm(top_n, &|_| {}).await {
            Ok(done) => tracing::info!(
                products = done.products,
                pages = done.pages,
                queries = done.queries,
                "cache warmed"
            ),
            Err(error) => tracing::warn!(
                error = %crate::domain::error::error_chain(&error),
                "cache warming failed; caches fill on first reads"
            ),
        }
    });
    match tokio::time::timeout(bound, &mut task).await {
        Ok(_) => None,
        Err(_) => {
            tracing::info!("cache warming goes on in the background");
            Some(task)
        }
    }
}

/// The event pipeline's counters for `/metrics`.
fn event_counts(relay: Arc<RelayCounters>, feed: Arc<EventFeed>) -> ReadCounters {
    use std::sync::atomic::Ordering::Relaxed;
    Arc::new(move || {
        vec![
            ("published", relay.published.load(Relaxed)),
            ("duplicate", relay.duplicates.load(Relaxed)),
            ("reconciled", relay.reconciled.load(Relaxed)),
            ("relay_failure", relay.failures.load(Relaxed)),
            ("received", feed.received.load(Relaxed)),
            ("unreadable", feed.unreadable.load(Relaxed)),
            ("subscriber_stalled", feed.stalled.load(Relaxed)),
        ]
    })
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
    /// Connects to MongoDB (bounded wait, fatal on failure), prepares indexes, starts the
    /// Redis client (non-fatal), wires the module and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        tracing::info!(
            mongo = %settings.mongo.uri,
            redis = %settings.redis.url,
            "starting"
        );
        let database = prepared_database(&settings).await?;
        let keys = client_keys(&settings, &database).await?;
        let redis = RedisClients::build(&settings.redis).await?;
        let context = Arc::new(CacheContext::for_namespace(
            settings.cache,
            &settings.redis.key_prefix,
        ));
        let near = NearCache::start(
            &settings.near_cache,
            &settings.redis,
            context.metrics.clone(),
        )
        .await?;
        let events = event_wiring(&settings).await?;
        let (instance, signals) = (events.instance.clone(), events.signals.clone());
        let module = build_module(
            &settings,
            database,
            redis.clone(),
            near.as_ref().map(|near| near.tier.clone()),
            context.clone(),
            keys,
            events,
        );
        if let Some((email, password)) = &settings.admin {
            let users: Arc<dyn UserRepository> = module.resolve();
            let hasher: Arc<dyn PasswordHasher> = module.resolve();
            let sessions: Arc<dyn SessionStore> = module.resolve();
            ensure_admin(
                users.as_ref(),
                hasher.as_ref(),
                sessions.as_ref(),
                email,
                password,
            )
            .await
            .map_err(StartupError::Admin)?;
            tracing::info!("admin account ensured");
        }
        let repository: Arc<dyn ProductRepository> = module.resolve();
        let cache: Arc<dyn RedisService> = module.resolve();
        let wishlists: Arc<dyn WishlistRepository> = module.resolve();
        let mut background = vec![tokio::spawn(reconcile_wishlist_counts(wishlists))];
        background.push(tokio::spawn(run_repair_worker(
            context.repair.clone(),
            cache.clone(),
            context.metrics.clone(),
        )));
        if let Some(interval) = settings.consistency.interval {
            let sample = settings.consistency.sample;
            background.push(tokio::spawn(run_consistency_checker(
                repository,
                cache,
                context.clone(),
                interval,
                sample,
            )));
        }
        let relay_counters = Arc::new(RelayCounters::default());
        let relay = outbox_relay(
            &module,
            instance.clone(),
            signals,
            relay_counters.clone(),
            &settings,
        );
        background.push(tokio::spawn(relay.run()));
        let feed = EventFeed::new(module.resolve(), module.resolve(), settings.events.feed);
        background.push(tokio::spawn(feed.clone().run()));
        if settings.warming.on_start {
            let warmer = cache_warmer(&module, &settings);
            let bound = settings.warming.readiness_bound;
            if let Some(task) = warm_on_start(warmer, settings.warming.top_n, bound).await {
                background.push(task);
            }
        }
        let reads = Arc::new(ReadCounter::new(
            module.resolve(),
            settings.warming.sample_one_in,
        ));
        background.push(tokio::spawn(reads.clone().run()));
        let read_counts = reads.clone();
        let status = web::Data::new(StatusSources {
            instance: instance.0,
            started: std::time::Instant::now(),
            feed: feed.clone(),
            relay: relay_counters.clone(),
            outbox: module.resolve(),
        });
        let feed_data = web::Data::from(feed.clone());

        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let bind_error = |source| StartupError::Bind {
            address: address.clone(),
            source,
        };
        let listener = TcpListener::bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        let body_limit = web::Data::new(BodyLimit(settings.server.body_limit_bytes));
        let http = settings.http.clone();
        let authenticate: Arc<dyn AuthenticateUseCase> = module.resolve();
        let metrics = web::Data::new(Metrics::new(vec![
            CounterSource {
                name: "mongodb_errors",
                help: "Failed MongoDB calls by kind (timeout, unavailable, unexpected).",
                label: "kind",
                read: Arc::new(mongo::failure_counts),
            },
            CounterSource {
                name: "product_events",
                help: "The event pipeline of this instance: events its relay published, \
                       outbox entries found already published, products whose cache it \
                       settled for another instance's write, relay failures, events its \
                       stream reader received, stream entries skipped as not events, \
                       subscribers disconnected for accepting nothing.",
                label: "outcome",
                read: event_counts(relay_counters.clone(), feed.clone()),
            },
        ]));
        // Wrap order: the last `.wrap` is the outermost. The request span comes first so
        // every line logged below it carries the request id; then the request metrics, so
        // every answer is counted, whichever layer gives it; then the security headers, on
        // every answer including CORS preflights and errors; then CORS, which answers
        // preflights before anything counts them; then compression, outside every layer
        // that reads or stores bodies, so stored responses stay uncompressed and each
        // client gets its own encoding; then HEAD served as GET; then authentication, so
        // the rate limiter and the extractors know the caller. `api::configure` documents
        // the per-scope layers inside these.
        let cors_enabled = !http.cors_origins.is_empty();
        let rendered = near.as_ref().map(|_| {
            Arc::new(RenderedAnswers::new(
                module.resolve(),
                context.metrics.clone(),
                settings.near_cache.max_entries,
                settings.near_cache.ttl,
            ))
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(module.clone())
                .app_data(body_limit.clone())
                .app_data(metrics.clone())
                .app_data(status.clone())
                .app_data(feed_data.clone())
                .wrap(from_fn(authentication(authenticate.clone())))
                .wrap(from_fn(head_as_get))
                .wrap(Compress::default())
                .wrap(Condition::new(
                    cors_enabled,
                    api::cors::cors(&http.cors_origins),
                ))
                .wrap(from_fn(security_headers))
                .wrap(from_fn(record_request(metrics.clone().into_inner())))
                .wrap(from_fn(request_span))
                .configure(api::configure::<AppModule>(
                    &module,
                    http.clone(),
                    rendered.clone(),
                    reads.clone(),
                ))
        })
        .on_connect(api::connection_socket::note_socket)
        .shutdown_timeout(10)
        .disable_signals();
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener).map_err(bind_error)?.run();
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            server,
            redis,
            near,
            cache: context,
            background,
            feed,
            reads: read_counts,
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
