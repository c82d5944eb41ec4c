//! The composition root of a running server: every long-lived component is built here,
//! once, before anything runs: the connections, the shaku module (every adapter and use
//! case) and, beside it, the server's shared state (`shared_state.rs`). Background tasks
//! and the HTTP server only use what this built.

use std::sync::Arc;

use mongodb::Database;
use shaku::HasComponent;

use super::shared_state::SharedState;
use super::startup_error::StartupError;
use super::wiring::{event_wiring, prepared_database};
use super::{build_module, client_keys, AppModule, Settings};
use crate::domain::outbox::InstanceId;
use crate::domain::ports::{PasswordHasher, SessionStore, UserRepository};
use crate::infrastructure::mongo;
use crate::infrastructure::near_cache::NearCache;
use crate::infrastructure::redis::RedisClients;
use crate::interface::http::cursor::CursorCodec;
use crate::usecases::auth::ensure_admin;
use crate::usecases::cache::CacheContext;
use crate::usecases::events::RelaySignals;

pub(super) struct Components {
    pub module: Arc<AppModule>,
    pub redis: RedisClients,
    pub near: Option<NearCache>,
    pub context: Arc<CacheContext>,
    /// This process among the instances (tells its outbox entries from others').
    pub instance: InstanceId,
    /// How this instance's writes wake its outbox relay.
    pub signals: Arc<RelaySignals>,
    /// Built beside the module, from its components.
    pub shared: SharedState,
}

impl Components {
    /// Connects to MongoDB (bounded wait, fatal on failure) and prepares its indexes,
    /// starts the Redis clients (non-fatal) and the near tier, wires the module, and
    /// ensures the admin account when one is configured.
    pub async fn connect(settings: &Settings) -> Result<Self, StartupError> {
        let database = prepared_database(settings).await?;
        let keys = client_keys(settings, &database).await?;
        let cursors = cursor_codec(settings, &database).await?;
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
        let events = event_wiring(settings).await?;
        let (instance, signals) = (events.instance.clone(), events.signals.clone());
        let module = build_module(
            settings,
            database,
            redis.clone(),
            near.as_ref().map(|near| near.tier.clone()),
            context.clone(),
            keys,
            events,
        );
        let shared = SharedState::build(
            &module,
            near.is_some(),
            &context,
            &instance,
            settings,
            cursors,
        );
        let components = Self {
            module,
            redis,
            near,
            context,
            instance,
            signals,
            shared,
        };
        components.ensure_admin(settings).await?;
        Ok(components)
    }

    async fn ensure_admin(&self, settings: &Settings) -> Result<(), StartupError> {
        let Some((email, password)) = &settings.admin else {
            return Ok(());
        };
        let users: Arc<dyn UserRepository> = self.module.resolve();
        let hasher: Arc<dyn PasswordHasher> = self.module.resolve();
        let sessions: Arc<dyn SessionStore> = self.module.resolve();
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
        Ok(())
    }
}

/// Page cursors are signed with a secret every instance shares through MongoDB (created by
/// the first to start), so a cursor from one instance reads on every other.
async fn cursor_codec(
    settings: &Settings,
    database: &Database,
) -> Result<CursorCodec, StartupError> {
    let secret = mongo::shared_secret(database, "cursors", settings.mongo.operation_timeout)
        .await
        .map_err(StartupError::Secret)?;
    Ok(CursorCodec::new(&secret))
}
