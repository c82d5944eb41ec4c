use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::domain::cache::CachePolicy;
use crate::domain::client_key::{ClientKeys, MIN_SECRET_BYTES};
use crate::domain::ports::LoginThrottlePolicy;
use crate::domain::ports::RateRule;
use crate::domain::user::{Email, Password};
use crate::infrastructure::connection_string::ConnectionString;
use crate::infrastructure::mongo::MongoSettings;
use crate::infrastructure::near_cache::NearCacheSettings;
use crate::infrastructure::redis::{RedisSettings, RedisTls};
use crate::interface::http::client_address::ClientAddressPolicy;
use crate::interface::http::metrics::{MetricsAccess, MetricsToken};
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

struct Reader<F> {
    lookup: F,
    errors: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// An optional path to a file that must exist.
    fn file(&mut self, name: &str) -> Option<std::path::PathBuf> {
        let value = (self.lookup)(name).filter(|v| !v.trim().is_empty())?;
        let path = std::path::PathBuf::from(value.trim());
        if !path.is_file() {
            self.errors
                .push(format!("{name} must name a readable file"));
        }
        Some(path)
    }

    fn string(&self, name: &str, default: &str) -> String {
        (self.lookup)(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    fn parsed<T: FromStr>(&mut self, name: &str, default: T, expected: &str) -> T {
        match (self.lookup)(name).filter(|v| !v.trim().is_empty()) {
            None => default,
            Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
                self.errors
                    .push(format!("{name} must be {expected}, got {raw:?}"));
                default
            }),
        }
    }

    fn millis(&mut self, name: &str, default: u64, min: u64, max: u64) -> Duration {
        let value = self.parsed(
            name,
            default,
            &format!("milliseconds between {min} and {max}"),
        );
        if !(min..=max).contains(&value) {
            self.errors.push(format!(
                "{name} must be between {min} and {max} milliseconds, got {value}"
            ));
        }
        Duration::from_millis(value)
    }

    fn count(&mut self, name: &str, default: u64, min: u64, max: u64) -> u64 {
        let value = self.parsed(
            name,
            default,
            &format!("a whole number between {min} and {max}"),
        );
        if !(min..=max).contains(&value) {
            self.errors.push(format!(
                "{name} must be between {min} and {max}, got {value}"
            ));
        }
        value
    }

    fn seconds(&mut self, name: &str, default: u64, min: u64, max: u64) -> Duration {
        let value = self.parsed(name, default, &format!("seconds between {min} and {max}"));
        if !(min..=max).contains(&value) {
            self.errors.push(format!(
                "{name} must be between {min} and {max} seconds, got {value}"
            ));
        }
        Duration::from_secs(value)
    }

    fn rate(&mut self, name: &str, default: RateRule) -> RateRule {
        match (self.lookup)(name).filter(|v| !v.trim().is_empty()) {
            None => default,
            Some(raw) => RateRule::parse(&raw).unwrap_or_else(|e| {
                self.errors.push(format!("{name} {e}, got {raw:?}"));
                default
            }),
        }
    }

    /// A URL that may be absent (unset or blank).
    fn optional_url(&mut self, name: &str, schemes: &[&str]) -> Option<ConnectionString> {
        (self.lookup)(name)
            .filter(|v| !v.trim().is_empty())
            .map(|_| self.url(name, "", schemes))
    }

    fn url(&mut self, name: &str, default: &str, schemes: &[&str]) -> ConnectionString {
        let value = self.string(name, default);
        let scheme = value.split("://").next().unwrap_or("");
        if !value.contains("://") || !schemes.contains(&scheme) {
            self.errors.push(format!(
                "{name} must start with one of {}",
                schemes.join("://, ") + "://"
            ));
        }
        ConnectionString::new(value)
    }
}

impl Settings {
    /// Reads the process environment (call `dotenvy::dotenv()` first to honour `.env`).
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply variables without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut r = Reader {
            lookup,
            errors: Vec::new(),
        };
        let host = r.string("APP_HOST", "127.0.0.1");
        if host.parse::<std::net::IpAddr>().is_err() && host != "localhost" {
            r.errors.push(format!(
                "APP_HOST must be an IP address or localhost, got {host:?}"
            ));
        }
        let port = r.parsed("APP_PORT", 8080_u16, "a port number 0-65535");
        let body_limit_bytes = r.parsed("BODY_LIMIT_BYTES", 64 * 1024_usize, "a byte count");
        if !(1024..=16 * 1024 * 1024).contains(&body_limit_bytes) {
            r.errors
                .push("BODY_LIMIT_BYTES must be between 1024 and 16777216".to_owned());
        }
        let workers = match r.parsed("APP_WORKERS", 0_usize, "a thread count") {
            0 => None,
            n => Some(n),
        };
        let mongo = MongoSettings {
            uri: r.url(
                "MONGODB_URI",
                "mongodb://127.0.0.1:27017",
                &["mongodb", "mongodb+srv"],
            ),
            database: r.string("MONGODB_DB", "product_catalog"),
            server_selection_timeout: r.millis("MONGODB_TIMEOUT_MS", 2_000, 100, 60_000),
            operation_timeout: r.millis("MONGODB_OPERATION_TIMEOUT_MS", 5_000, 100, 120_000),
            startup_timeout: r.millis("MONGODB_STARTUP_TIMEOUT_MS", 15_000, 100, 600_000),
        };
        if mongo.database.is_empty()
            || mongo.database.len() > 63
            || mongo.database.contains(['/', '\\', '.', ' ', '"', '$'])
        {
            r.errors
                .push("MONGODB_DB must be 1-63 characters without / \\ . space \" $".to_owned());
        }
        let redis = RedisSettings {
            url: r.url(
                "REDIS_URL",
                "redis://127.0.0.1:6379",
                &["redis", "rediss", "redis-cluster"],
            ),
            cache_url: r.optional_url("REDIS_CACHE_URL", &["redis", "rediss", "redis-cluster"]),
            key_prefix: r.string("REDIS_KEY_PREFIX", "pa:"),
            command_timeout: r.millis("REDIS_TIMEOUT_MS", 250, 10, 10_000),
            startup_timeout: r.millis("REDIS_STARTUP_TIMEOUT_MS", 1_000, 0, 60_000),
            tls: RedisTls {
                ca_file: r.file("REDIS_TLS_CA_FILE"),
                cert_file: r.file("REDIS_TLS_CERT_FILE"),
                key_file: r.file("REDIS_TLS_KEY_FILE"),
            },
            wait_replicas: r.parsed("REDIS_WAIT_REPLICAS", 0_u32, "a replica count"),
        };
        if redis.key_prefix.contains(['{', '}']) {
            // A brace in the prefix would become every key's Redis Cluster hash tag and put
            // the whole keyspace in one slot.
            r.errors
                .push("REDIS_KEY_PREFIX must not contain { or }".to_owned());
        }
        let defaults = CachePolicy::default();
        let cache = CachePolicy {
            enabled: r.parsed("CACHE_ENABLED", true, "true or false"),
            product_ttl: r.seconds(
                "CACHE_TTL_PRODUCT_SECS",
                defaults.product_ttl.as_secs(),
                1,
                86_400,
            ),
            list_ttl: r.seconds(
                "CACHE_TTL_LIST_SECS",
                defaults.list_ttl.as_secs(),
                1,
                86_400,
            ),
            missing_ttl: r.seconds(
                "CACHE_TTL_MISSING_SECS",
                defaults.missing_ttl.as_secs(),
                1,
                3_600,
            ),
            lock_wait: r.millis(
                "CACHE_LOCK_WAIT_MS",
                defaults.lock_wait.as_millis() as u64,
                0,
                10_000,
            ),
            max_entry_bytes: r.count(
                "CACHE_MAX_ENTRY_BYTES",
                defaults.max_entry_bytes as u64,
                1_024,
                16 * 1024 * 1024,
            ) as usize,
            list_fill_budget: r.count(
                "CACHE_LIST_FILL_BUDGET",
                defaults.list_fill_budget,
                0,
                1_000_000,
            ),
            ..defaults
        };
        let near = NearCacheSettings::default();
        let near_cache = NearCacheSettings {
            enabled: r.parsed("NEAR_CACHE_ENABLED", near.enabled, "true or false"),
            max_entries: r.count("NEAR_CACHE_MAX_ENTRIES", near.max_entries, 1, 10_000_000),
            ttl: r.millis("NEAR_CACHE_TTL_MS", near.ttl.as_millis() as u64, 10, 60_000),
        };
        let interval = r.seconds("CONSISTENCY_CHECK_INTERVAL_SECS", 60, 0, 86_400);
        let consistency = ConsistencySettings {
            interval: (!interval.is_zero()).then_some(interval),
            sample: r.parsed("CONSISTENCY_CHECK_SAMPLE", 100_usize, "a key count"),
        };
        let limits = RateLimits::default();
        let rate_limits = RateLimits {
            read: r.rate("RATE_LIMIT_READ", limits.read),
            write: r.rate("RATE_LIMIT_WRITE", limits.write),
            auth: r.rate("RATE_LIMIT_AUTH", limits.auth),
        };
        let cors_origins: Vec<String> = r
            .string("CORS_ALLOWED_ORIGINS", "")
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
        for origin in cors_origins
            .iter()
            .filter(|o| !crate::interface::http::cors::is_origin(o))
        {
            r.errors.push(format!(
                "CORS_ALLOWED_ORIGINS entries must look like https://host[:port], got {origin:?}"
            ));
        }
        let trust_proxy = r.parsed("TRUST_PROXY", false, "true or false");
        let mut trusted_proxies = Vec::new();
        for net in r
            .string("TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match net.parse::<ipnet::IpNet>() {
                Ok(net) => trusted_proxies.push(net),
                Err(_) => r.errors.push(format!(
                    "TRUSTED_PROXIES entries must be CIDR blocks like 10.0.0.0/8, got {net:?}"
                )),
            }
        }
        let client_addresses = ClientAddressPolicy {
            trusted_proxies: if trust_proxy {
                trusted_proxies
            } else {
                Vec::new()
            },
        };
        let http = HttpSettings {
            cors_origins,
            client_addresses,
            product_response_ttl: r.seconds("HTTP_CACHE_TTL_PRODUCT_SECS", 60, 1, 86_400),
            metrics_access: MetricsAccess(
                Some(r.string("METRICS_TOKEN", ""))
                    .filter(|token| !token.is_empty())
                    .map(|token| MetricsToken::new(token.trim())),
            ),
        };
        let sessions = SessionPolicy {
            ttl: r.seconds("SESSION_TTL_SECS", 86_400, 1, 30 * 86_400),
            max_lifetime: r.seconds("SESSION_MAX_LIFETIME_SECS", 7 * 86_400, 1, 365 * 86_400),
            recheck: r.seconds("SESSION_RECHECK_SECS", 60, 1, 86_400),
            ..SessionPolicy::default()
        };
        let throttle = LoginThrottlePolicy::default();
        let login_throttle = LoginThrottlePolicy {
            max_failures: r.count(
                "LOGIN_MAX_FAILURES",
                u64::from(throttle.max_failures),
                1,
                1_000,
            ) as u32,
            base: r.millis(
                "LOGIN_BACKOFF_BASE_MS",
                throttle.base.as_millis() as u64,
                1,
                3_600_000,
            ),
            max: r.seconds("LOGIN_BACKOFF_MAX_SECS", throttle.max.as_secs(), 1, 86_400),
            ..throttle
        };
        let admin = match ((r.lookup)("ADMIN_EMAIL"), (r.lookup)("ADMIN_PASSWORD")) {
            (Some(email), Some(password)) if !email.is_empty() && !password.is_empty() => {
                match (Email::parse(&email), Password::parse(&password)) {
                    (Ok(email), Ok(password)) => Some((email, password)),
                    (Err(e), _) => {
                        r.errors.push(format!("ADMIN_EMAIL {e}"));
                        None
                    }
                    (_, Err(e)) => {
                        r.errors.push(format!("ADMIN_PASSWORD {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let client_keys = Some(r.string("CLIENT_KEY_SECRET", ""))
            .filter(|secret| !secret.is_empty())
            .and_then(|secret| {
                if secret.len() < MIN_SECRET_BYTES {
                    r.errors.push(format!(
                        "CLIENT_KEY_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
                    ));
                    return None;
                }
                Some(ClientKeys::new(secret.as_bytes()))
            });
        let relay = RelaySettings::default();
        let feed = FeedSettings::default();
        let events = EventSettings {
            stream_max_len: r.count("EVENTS_STREAM_MAX_LEN", 10_000, 100, 10_000_000),
            retention: r.seconds("EVENTS_RETENTION_SECS", 86_400, 60, 90 * 86_400),
            relay: RelaySettings {
                poll: r.millis("OUTBOX_POLL_MS", relay.poll.as_millis() as u64, 10, 60_000),
                grace: r.millis(
                    "OUTBOX_GRACE_MS",
                    relay.grace.as_millis() as u64,
                    0,
                    600_000,
                ),
                ..relay
            },
            feed: FeedSettings {
                max_connections: r.count(
                    "EVENTS_MAX_CONNECTIONS",
                    feed.max_connections as u64,
                    1,
                    1_000_000,
                ) as usize,
                max_per_client: r.count(
                    "EVENTS_MAX_PER_CLIENT",
                    feed.max_per_client as u64,
                    1,
                    10_000,
                ) as usize,
                heartbeat: r.millis(
                    "EVENTS_HEARTBEAT_MS",
                    feed.heartbeat.as_millis() as u64,
                    100,
                    600_000,
                ),
                write_timeout: r.millis(
                    "EVENTS_WRITE_TIMEOUT_MS",
                    feed.write_timeout.as_millis() as u64,
                    100,
                    600_000,
                ),
                replay_max: r.count("EVENTS_REPLAY_MAX", feed.replay_max as u64, 1, 10_000_000)
                    as usize,
                ..feed
            },
        };
        let warm = WarmSettings::default();
        let warming = WarmSettings {
            on_start: r.parsed("CACHE_WARM_ON_START", warm.on_start, "true or false"),
            top_n: r.count("CACHE_WARM_TOP_N", warm.top_n as u64, 0, 100_000) as usize,
            readiness_bound: r.millis(
                "CACHE_WARM_TIMEOUT_MS",
                warm.readiness_bound.as_millis() as u64,
                0,
                600_000,
            ),
            sample_one_in: r.count(
                "POPULARITY_SAMPLE_ONE_IN",
                u64::from(warm.sample_one_in),
                1,
                1_000_000,
            ) as u32,
        };
        let log_format = match r.string("LOG_FORMAT", "pretty").as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                r.errors
                    .push(format!("LOG_FORMAT must be json or pretty, got {other:?}"));
                LogFormat::Pretty
            }
        };
        if !r.errors.is_empty() {
            return Err(ConfigErrors(r.errors));
        }
        Ok(Self {
            server: ServerSettings {
                host,
                port,
                body_limit_bytes,
                workers,
            },
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
        let example = include_str!("../../.env.example");
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
