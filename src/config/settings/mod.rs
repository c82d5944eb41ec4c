//! Settings from the environment, one file per section: each reads its variables with the
//! shared `Reader`, which collects every invalid value so all are reported at once.
//! `from_lookup` lists the sections; a new setting goes into its section's file (and
//! `.env.example`, which a test checks).

mod accounts;
mod caching;
mod catalogue;
mod events;
mod http;
mod reader;
mod server;
mod stores;
mod warming;

use std::fmt;
use std::time::Duration;

use reader::Reader;

use crate::domain::cache::CachePolicy;
use crate::domain::client_key::ClientKeys;
use crate::domain::facets::PriceEdges;
use crate::domain::ports::LoginThrottlePolicy;
use crate::domain::user::{Email, Password};
use crate::infrastructure::mongo::MongoSettings;
use crate::infrastructure::near_cache::NearCacheSettings;
use crate::infrastructure::redis::RedisSettings;
use crate::interface::http::HttpSettings;
use crate::usecases::auth::SessionPolicy;
use crate::usecases::events::{FeedSettings, RelaySettings};
use crate::usecases::warming::WarmSettings;
use crate::usecases::RateLimits;

/// How the HTTP server listens.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    pub body_limit_bytes: usize,
    /// Worker threads; `None` lets actix use one per core.
    pub workers: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The background consistency checker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsistencySettings {
    /// `None` turns the checker off.
    pub interval: Option<Duration>,
    /// Cached products compared per run.
    pub sample: usize,
}

/// Everything the service reads from its environment, typed and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub mongo: MongoSettings,
    pub redis: RedisSettings,
    pub cache: CachePolicy,
    pub near_cache: NearCacheSettings,
    pub consistency: ConsistencySettings,
    pub rate_limits: RateLimits,
    pub http: HttpSettings,
    pub sessions: SessionPolicy,
    pub login_throttle: LoginThrottlePolicy,
    /// The admin account ensured at start-up, when both variables are set.
    pub admin: Option<(Email, Password)>,
    /// Keys for per-client records from `CLIENT_KEY_SECRET`; `None`: the secret shared
    /// through MongoDB (see `infrastructure::mongo::shared_secret`).
    pub client_keys: Option<ClientKeys>,
    pub log_format: LogFormat,
    pub events: EventSettings,
    pub warming: WarmSettings,
    /// Where facet price buckets start (`FACET_PRICE_EDGES`).
    pub price_edges: PriceEdges,
    /// How long idempotency receipts are kept (`IDEMPOTENCY_TTL_SECS`).
    pub idempotency_ttl: Duration,
    /// How long a deleted product can be restored (`PRODUCT_RESTORE_DAYS`).
    pub restore_window: Duration,
}

/// Product events: the stream's bound, the outbox relay's pacing, the feed's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSettings {
    /// Entries the stream keeps, approximately (`EVENTS_STREAM_MAX_LEN`); how far back a
    /// client can resume.
    pub stream_max_len: u64,
    /// How long published events stay in MongoDB after they are settled
    /// (`EVENTS_RETENTION_SECS`): replay serves them when the stream no longer has them.
    pub retention: Duration,
    pub relay: RelaySettings,
    pub feed: FeedSettings,
}

/// Every invalid variable, one message each, so a misconfiguration is fixed in one go.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for error in &self.0 {
            writeln!(f, "  - {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Settings {
    /// Reads the process environment (call `dotenvy::dotenv()` first to honour `.env`).
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply variables without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(&lookup);
        let server = server::server(&mut r);
        let mongo = stores::mongo(&mut r);
        let redis = stores::redis(&mut r);
        let cache = caching::cache(&mut r);
        let near_cache = caching::near_cache(&mut r);
        let consistency = caching::consistency(&mut r);
        let rate_limits = http::rate_limits(&mut r);
        let http = http::http(&mut r, &cache);
        let sessions = accounts::sessions(&mut r);
        let login_throttle = accounts::login_throttle(&mut r);
        let admin = accounts::admin(&mut r);
        let client_keys = accounts::client_keys(&mut r);
        let events = events::events(&mut r);
        let warming = warming::warming(&mut r);
        let log_format = server::log_format(&mut r);
        let price_edges = catalogue::price_edges(&mut r);
        let idempotency_ttl = catalogue::idempotency_ttl(&mut r);
        let restore_window = catalogue::restore_window(&mut r);
        if !r.errors.is_empty() {
            return Err(ConfigErrors(r.errors));
        }
        Ok(Self {
            server,
            mongo,
            redis,
            cache,
            near_cache,
            consistency,
            rate_limits,
            http,
            sessions,
            login_throttle,
            admin,
            client_keys,
            log_format,
            events,
            warming,
            price_edges,
            idempotency_ttl,
            restore_window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_valid() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.redis.key_prefix, "pa:");
        assert_eq!(s.log_format, LogFormat::Pretty);
    }

    #[test]
    fn reports_every_bad_value_once() {
        let errors = settings(&[
            ("APP_PORT", "eighty"),
            ("REDIS_URL", "http://x"),
            ("LOG_FORMAT", "xml"),
            ("MONGODB_TIMEOUT_MS", "5"),
        ])
        .unwrap_err();
        assert_eq!(errors.0.len(), 4, "{errors}");
        assert!(errors.to_string().contains("APP_PORT"));
    }

    #[test]
    fn a_key_prefix_with_a_hash_tag_brace_is_refused() {
        let errors = settings(&[("REDIS_KEY_PREFIX", "shop:{eu}:")]).unwrap_err();
        assert!(errors.to_string().contains("REDIS_KEY_PREFIX"), "{errors}");
    }

    /// `.env.example` names every variable this reader asks for (set, or commented out
    /// when it has no fixed default), and the values it sets are the defaults.
    #[test]
    fn the_env_example_lists_every_variable_with_its_default() {
        let example = include_str!("../../../.env.example");
        let set: HashMap<String, String> = example
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let asked = std::sync::Mutex::new(Vec::new());
        Settings::from_lookup(|name| {
            asked.lock().unwrap().push(name.to_owned());
            None
        })
        .unwrap();
        for name in asked.into_inner().unwrap() {
            let listed = set.contains_key(&name) || example.contains(&format!("# {name}="));
            assert!(listed, "{name} is missing from .env.example");
        }
        let from_example = Settings::from_lookup(|name| set.get(name).cloned()).unwrap();
        let defaults = settings(&[]).unwrap();
        assert_eq!(format!("{from_example:?}"), format!("{defaults:?}"));
    }
}
