//! The background tasks of a running instance, started once the components exist and
//! stopped at shutdown: wishlist-count reconciliation, the cache repair worker and
//! consistency checker, the outbox relay, the event stream reader, start-up warming and
//! the read counter.

use std::sync::Arc;
use std::time::Duration;

use shaku::HasComponent;
use tokio::task::JoinHandle;

use super::components::Components;
use super::warm::cache_warmer;
use super::wiring::outbox_relay;
use super::Settings;
use crate::domain::ports::{ProductRepository, RedisService, WishlistRepository};
use crate::usecases::cache::{run_consistency_checker, run_repair_worker};
use crate::usecases::warming::CacheWarmer;

/// The tasks, over components the composition root built; aborted at shutdown.
pub(super) struct Background {
    pub tasks: Vec<JoinHandle<()>>,
}

impl Background {
    pub async fn start(components: &Components, settings: &Settings) -> Self {
        let module = &components.module;
        let wishlists: Arc<dyn WishlistRepository> = module.resolve();
        let cache: Arc<dyn RedisService> = module.resolve();
        let context = &components.context;
        let mut tasks = vec![
            tokio::spawn(reconcile_wishlist_counts(wishlists)),
            tokio::spawn(run_repair_worker(
                context.repair.clone(),
                cache.clone(),
                context.metrics.clone(),
            )),
        ];
        if let Some(interval) = settings.consistency.interval {
            let repository: Arc<dyn ProductRepository> = module.resolve();
            tasks.push(tokio::spawn(run_consistency_checker(
                repository,
                cache,
                context.clone(),
                interval,
                settings.consistency.sample,
            )));
        }
        let shared = &components.shared;
        let relayer = outbox_relay(
            module,
            components.instance.clone(),
            components.signals.clone(),
            shared.relay.clone(),
            settings,
        );
        tasks.push(tokio::spawn(relayer.run()));
        tasks.push(tokio::spawn(shared.feed.clone().run()));
        if settings.warming.on_start {
            let warmer = cache_warmer(module, settings);
            let bound = settings.warming.readiness_bound;
            tasks.extend(warm_on_start(warmer, settings.warming.top_n, bound).await);
        }
        tasks.push(tokio::spawn(shared.reads.clone().run()));
        Self { tasks }
    }
}

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

/// Warms the cache in the background; waits for it up to `bound`, so readiness (the
/// listener) is never delayed longer. Warming that takes longer goes on and is returned to
/// be stopped at shutdown.
async fn warm_on_start(
    warmer: CacheWarmer,
    top_n: usize,
    bound: Duration,
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
