use std::sync::Arc;

use fred::prelude::Client;
use mongodb::Database;
use shaku::module;

use super::Settings;
use crate::domain::client_key::ClientKeys;
use crate::domain::outbox::InstanceId;
use crate::infrastructure::local_rate_limiter::LocalRateLimiter;
use crate::infrastructure::mongo::{
    MongoEventHistory, MongoEventHistoryParameters, MongoOutbox, MongoOutboxParameters,
    MongoProductRepository, MongoProductRepositoryParameters, MongoReceiptStore,
    MongoReceiptStoreParameters, MongoUserRepository, MongoUserRepositoryParameters,
    MongoWishlistRepository, MongoWishlistRepositoryParameters,
};
use crate::infrastructure::near_cache::{NearCachedRedis, NearCachedRedisParameters, NearTier};
use crate::infrastructure::password::Argon2Hasher;
use crate::infrastructure::redis::{
    FredRedisService, RedisClients, RedisEventLog, RedisEventLogParameters, RedisEventPublisher,
    RedisEventPublisherParameters, RedisLoginThrottle, RedisLoginThrottleParameters,
    RedisPopularity, RedisPopularityParameters, RedisQuotaLeases, RedisQuotaLeasesParameters,
    RedisRateLimiter, RedisRateLimiterParameters, RedisSessionStore, RedisSessionStoreParameters,
};
use crate::usecases::auth::{
    Authenticate, AuthenticateParameters, Login, LoginParameters, Logout, LogoutParameters,
    RegisterUser, SessionEnds, SessionFallback,
};
use crate::usecases::cache::{
    CacheContext, CacheWriteEffects, CacheWriteEffectsParameters, FillAdmission,
    GenerationalResponseStore, GenerationalResponseStoreParameters, ListReadThrough,
    ListReadThroughParameters, ProductReadThrough, ProductReadThroughParameters,
    WishlistReadThrough, WishlistReadThroughParameters,
};
use crate::usecases::events::{
    OutboxJournal, OutboxJournalParameters, RelaySignals, WatchWishlist, WatchWishlistParameters,
};
use crate::usecases::{
    CacheConfig, CacheConfigParameters, CacheConfigReport, CacheStats, CacheStatsParameters,
    CheckHealth, CheckRateLimit, CheckRateLimitParameters, CountProducts, CreateProduct,
    DeleteProduct, ExportProducts, FailureReport, GetProduct, InvalidateCache, ListProducts,
    ListWishlist, NearTierBounds, ProductFacets, ProductFacetsParameters, RateDecisions,
    ReceiptKeyedWrites, ReceiptKeyedWritesParameters, RestoreProduct, SetWishlistStatus,
    UpdateProduct,
};

// The DI container: adapters behind their ports, use cases that inject them.
module! {
    pub AppModule {
        components = [
            MongoProductRepository,
            MongoUserRepository,
            MongoWishlistRepository,
            MongoOutbox,
            MongoEventHistory,
            MongoReceiptStore,
            NearCachedRedis,
            RedisEventPublisher,
            RedisEventLog,
            RedisPopularity,
            OutboxJournal,
            WatchWishlist,
            RedisRateLimiter,
            RedisQuotaLeases,
            RedisSessionStore,
            RedisLoginThrottle,
            Argon2Hasher,
            ProductReadThrough,
            ListReadThrough,
            WishlistReadThrough,
            GenerationalResponseStore,
            CacheWriteEffects,
            ReceiptKeyedWrites,
            CreateProduct,
            GetProduct,
            ListProducts,
            CountProducts,
            ProductFacets,
            UpdateProduct,
            DeleteProduct,
            RestoreProduct,
            ExportProducts,
            CheckHealth,
            CacheStats,
            CacheConfig,
            CheckRateLimit,
            InvalidateCache,
            SetWishlistStatus,
            ListWishlist,
            RegisterUser,
            Login,
            Logout,
            Authenticate,
        ],
        providers = []
    }
}

/// What the event components share with the composition root: this instance's id, the
/// blocking client of the stream reader, the replays' client, and the relay's signals.
pub struct EventWiring {
    pub instance: InstanceId,
    pub blocking: Client,
    /// A connection of its own for replay reads: a burst of reconnecting subscribers
    /// queues its XRANGEs there, not ahead of health checks, sessions and rate limits.
    pub replays: Client,
    pub signals: Arc<RelaySignals>,
}

/// Wires the adapters over the given connections. The cache components are built once
/// here and share `context`; use cases reach the cache only through them. Cache entries
/// (the port `RedisService`) go to `redis.cache`, behind the near tier when there is one;
/// sessions, rate limits, events and read counts (which must not be evicted or flushed with
/// the cache) to `redis.main`.
pub fn build_module(
    settings: &Settings,
    database: Database,
    redis: RedisClients,
    near: Option<Arc<NearTier>>,
    context: Arc<CacheContext>,
    client_keys: ClientKeys,
    events: EventWiring,
) -> Arc<AppModule> {
    let builder = AppModule::builder();
    let builder = mongo_adapters(builder, settings, database, &events.instance);
    let builder = redis_adapters(
        builder,
        settings,
        redis,
        near,
        (events.blocking, events.replays),
        &client_keys,
    );
    let builder = cache_components(builder, &context);
    let builder = use_cases(builder, settings, context, client_keys, events.signals);
    Arc::new(builder.build())
}

type Builder = shaku::ModuleBuilder<AppModule>;

/// The MongoDB adapters: products (with the outbox written in their transactions), the
/// event history, users and wishlists.
fn mongo_adapters(
    builder: Builder,
    settings: &Settings,
    database: Database,
    instance: &InstanceId,
) -> Builder {
    let mongo_timeout = settings.mongo.operation_timeout;
    builder
        .with_component_parameters::<MongoProductRepository>(MongoProductRepositoryParameters {
            database: database.clone(),
            timeout: mongo_timeout,
            origin: instance.0.clone(),
            restore_window: settings.restore_window,
        })
        .with_component_parameters::<MongoOutbox>(MongoOutboxParameters {
            database: database.clone(),
            timeout: mongo_timeout,
        })
        .with_component_parameters::<MongoEventHistory>(MongoEventHistoryParameters {
            database: database.clone(),
            timeout: mongo_timeout,
            retention: settings.events.retention,
        })
        .with_component_parameters::<MongoUserRepository>(MongoUserRepositoryParameters {
            database: database.clone(),
            timeout: mongo_timeout,
        })
        .with_component_parameters::<MongoReceiptStore>(MongoReceiptStoreParameters {
            database: database.clone(),
            timeout: mongo_timeout,
        })
        .with_component_parameters::<MongoWishlistRepository>(MongoWishlistRepositoryParameters {
            database,
            timeout: mongo_timeout,
        })
}

/// The Redis adapters: cache entries on `redis.cache` (behind the near tier when there is
/// one); events, read counts, rate limits, sessions and login throttling on `redis.main`.
fn redis_adapters(
    builder: Builder,
    settings: &Settings,
    redis: RedisClients,
    near: Option<Arc<NearTier>>,
    (blocking, replays): (Client, Client),
    client_keys: &ClientKeys,
) -> Builder {
    let redis_timeout = settings.redis.command_timeout;
    let prefix = settings.redis.key_prefix.clone();
    builder
        .with_component_parameters::<RedisEventPublisher>(RedisEventPublisherParameters {
            client: redis.main.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
            max_len: settings.events.stream_max_len,
        })
        .with_component_parameters::<RedisEventLog>(RedisEventLogParameters {
            client: replays,
            blocking,
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<RedisPopularity>(RedisPopularityParameters {
            client: redis.main.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<RedisRateLimiter>(RedisRateLimiterParameters {
            client: redis.main.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<RedisQuotaLeases>(RedisQuotaLeasesParameters {
            client: redis.main.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<RedisSessionStore>(RedisSessionStoreParameters {
            client: redis.main.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<RedisLoginThrottle>(RedisLoginThrottleParameters {
            client: redis.main.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
            policy: settings.login_throttle,
            keys: client_keys.clone(),
        })
        .with_component_parameters::<NearCachedRedis>(NearCachedRedisParameters {
            redis: Arc::new(FredRedisService::new(
                redis.cache,
                prefix,
                redis_timeout,
                settings.redis.wait_replicas,
            )),
            tier: near,
        })
}

/// The cache components, built once and sharing `context`.
fn cache_components(builder: Builder, context: &Arc<CacheContext>) -> Builder {
    builder
        .with_component_parameters::<ProductReadThrough>(ProductReadThroughParameters {
            context: context.clone(),
        })
        .with_component_parameters::<ListReadThrough>(ListReadThroughParameters {
            admission: Arc::new(FillAdmission::new(context.policy.list_window())),
            context: context.clone(),
        })
        .with_component_parameters::<WishlistReadThrough>(WishlistReadThroughParameters {
            context: context.clone(),
        })
        .with_component_parameters::<GenerationalResponseStore>(
            GenerationalResponseStoreParameters {
                context: context.clone(),
            },
        )
        .with_component_parameters::<CacheWriteEffects>(CacheWriteEffectsParameters {
            context: context.clone(),
        })
}

/// The effective cache settings, server addresses without their credentials.
fn cache_config(settings: &Settings) -> CacheConfigReport {
    CacheConfigReport {
        redis: settings.redis.url.redacted(),
        cache_redis: settings.redis.cache_url.as_ref().map(|url| url.redacted()),
        key_prefix: settings.redis.key_prefix.clone(),
        policy: settings.cache,
        product_response_ttl: settings.http.product_response_ttl,
        near_tier: settings.near_cache.enabled.then_some(NearTierBounds {
            max_entries: settings.near_cache.max_entries,
            ttl: settings.near_cache.ttl,
        }),
    }
}

/// Use cases that take parameters besides their injected ports.
fn use_cases(
    builder: Builder,
    settings: &Settings,
    context: Arc<CacheContext>,
    client_keys: ClientKeys,
    signals: Arc<RelaySignals>,
) -> Builder {
    let fallback = Arc::new(SessionFallback::default());
    let session_ends = Arc::new(SessionEnds::default());
    let decisions = Arc::new(RateDecisions::default());
    let failures = FailureReport::new({
        let context = context.clone();
        move |operation, error| context.failed(operation, error)
    });
    builder
        .with_component_parameters::<CacheStats>(CacheStatsParameters {
            context,
            decisions: decisions.clone(),
        })
        .with_component_parameters::<CacheConfig>(CacheConfigParameters {
            report: cache_config(settings),
        })
        .with_component_parameters::<ProductFacets>(ProductFacetsParameters {
            edges: settings.price_edges.clone(),
        })
        .with_component_parameters::<ReceiptKeyedWrites>(ReceiptKeyedWritesParameters {
            ttl: settings.idempotency_ttl,
            wait: settings.mongo.operation_timeout,
        })
        .with_component_parameters::<OutboxJournal>(OutboxJournalParameters { signals })
        .with_component_parameters::<Login>(LoginParameters {
            policy: settings.sessions,
            fallback: fallback.clone(),
            decoy: Default::default(),
        })
        .with_component_parameters::<Logout>(LogoutParameters {
            fallback: fallback.clone(),
            ends: session_ends.clone(),
        })
        .with_component_parameters::<WatchWishlist>(WatchWishlistParameters {
            ends: session_ends,
            recheck: settings.sessions.recheck,
        })
        .with_component_parameters::<Authenticate>(AuthenticateParameters {
            policy: settings.sessions,
            fallback,
        })
        .with_component_parameters::<CheckRateLimit>(CheckRateLimitParameters {
            fallback: Arc::new(LocalRateLimiter::default()),
            limits: settings.rate_limits,
            decisions,
            failures,
            keys: client_keys,
        })
}
