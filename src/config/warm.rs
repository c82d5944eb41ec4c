//! `product-catalog warm`: fills the cache with the most-read products, the default first
//! list page and the count, through the same rules as the server's start-up warming. A
//! progress bar on a terminal, a one-line summary otherwise.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use shaku::HasComponent;

use super::wiring::{event_wiring, prepared_database};
use super::{build_module, client_keys, AppModule, Settings, StartupError};
use crate::interface::http::handlers::ProductAnswer;
use crate::usecases::cache::CacheContext;
use crate::usecases::warming::{CacheWarmer, ResponseWarming, WarmError, WarmProgress};

#[derive(Debug, thiserror::Error)]
pub enum WarmFailure {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("warming failed")]
    Warm(#[from] WarmError),
}

/// The warmer over a module's components; product responses are stored as the HTTP
/// layer renders them.
pub fn cache_warmer(module: &AppModule, settings: &Settings) -> CacheWarmer {
    CacheWarmer {
        popularity: module.resolve(),
        repository: module.resolve(),
        products: module.resolve(),
        lists: module.resolve(),
        counts: module.resolve(),
        responses: Some(ResponseWarming {
            store: module.resolve(),
            renderer: Arc::new(ProductAnswer),
            ttl: settings.http.product_response_ttl,
        }),
    }
}

/// Warms the top `CACHE_WARM_TOP_N` products, the first page and the count.
pub async fn warm(settings: Settings) -> Result<WarmProgress, WarmFailure> {
    let database = prepared_database(&settings).await?;
    let keys = client_keys(&settings, &database).await?;
    let redis = crate::infrastructure::redis::RedisClients::build(&settings.redis)
        .await
        .map_err(StartupError::from)?;
    let context = Arc::new(CacheContext::new(settings.cache));
    let events = event_wiring(&settings).await?;
    let module = build_module(&settings, database, redis, None, context, keys, events);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("warming {bar:30} {pos}/{len} products {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let show = |progress: WarmProgress| {
        if let Some(bar) = &bar {
            bar.set_length(progress.planned as u64);
            bar.set_position(progress.products as u64);
            bar.set_message(format!(
                "{} pages, {} MongoDB queries",
                progress.pages, progress.queries
            ));
        }
    };
    let result = cache_warmer(&module, &settings)
        .warm(settings.warming.top_n, &show)
        .await;
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(result?)
}
