//! Start-up steps shared by the server and the maintenance subcommands (`seed`, `warm`):
//! the database with its indexes, the event components' wiring, and the outbox relay.

use std::sync::Arc;

use mongodb::Database;
use shaku::HasComponent;

use super::{AppModule, EventWiring, Settings, StartupError};
use crate::domain::outbox::InstanceId;
use crate::infrastructure::mongo::{
    self, MongoEventHistory, MongoOutbox, MongoProductRepository, MongoReceiptStore,
    MongoUserRepository, MongoWishlistRepository,
};
use crate::infrastructure::redis::{build_blocking_client, build_client};
use crate::usecases::events::{OutboxRelay, RelayCounters, RelaySignals};

/// Connects to MongoDB (bounded wait, fatal on failure) and creates the indexes every
/// query relies on (idempotent, so every instance does it).
pub async fn prepared_database(settings: &Settings) -> Result<Database, StartupError> {
    let database = mongo::connect(&settings.mongo).await?;
    MongoProductRepository::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    MongoUserRepository::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    MongoWishlistRepository::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    MongoEventHistory::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    MongoOutbox::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    MongoReceiptStore::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    // Products stored before search used terms get them in the background; search finds
    // each once it is done.
    let (backfill, timeout) = (database.clone(), settings.mongo.operation_timeout);
    tokio::spawn(async move {
        match MongoProductRepository::backfill_search_terms(&backfill, timeout).await {
            Ok(0) => {}
            Ok(updated) => tracing::info!(updated, "search terms filled in for older products"),
            Err(error) => {
                tracing::warn!(error = %error, "search terms backfill stopped; it resumes at the next start")
            }
        }
    });
    Ok(database)
}

/// A fresh instance id, the stream reader's and the replays' own connections, and the
/// relay's signals.
pub async fn event_wiring(settings: &Settings) -> Result<EventWiring, StartupError> {
    Ok(EventWiring {
        instance: InstanceId::random(),
        blocking: build_blocking_client(&settings.redis, settings.events.feed.block).await?,
        replays: build_client(&settings.redis).await?,
        signals: Arc::new(RelaySignals::default()),
    })
}

/// The outbox relay of this process, over the module's components.
pub fn outbox_relay(
    module: &AppModule,
    instance: InstanceId,
    signals: Arc<RelaySignals>,
    counters: Arc<RelayCounters>,
    settings: &Settings,
) -> OutboxRelay {
    OutboxRelay {
        outbox: module.resolve(),
        publisher: module.resolve(),
        history: module.resolve(),
        cache_events: module.resolve(),
        signals,
        counters,
        origin: instance,
        settings: settings.events.relay,
    }
}
