use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::{ProductRepository, RedisService, SessionStore};

/// State of one dependency as seen by a single round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependencyHealth {
    pub up: bool,
    /// Round-trip time when `up`.
    pub latency: Option<Duration>,
}

/// Both dependencies. MongoDB down makes the service unready; Redis down only degrades it.
/// `redis` covers every Redis server in use: the cache server and, when `REDIS_CACHE_URL`
/// names a separate one, the server of sessions and rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthReport {
    pub mongo: DependencyHealth,
    pub redis: DependencyHealth,
}

impl HealthReport {
    pub fn ready(&self) -> bool {
        self.mongo.up
    }

    pub fn degraded(&self) -> bool {
        self.mongo.up && !self.redis.up
    }
}

/// Pings MongoDB and Redis concurrently.
#[async_trait]
pub trait CheckHealthUseCase: Interface {
    async fn execute(&self) -> HealthReport;
    /// Only the system of record: what readiness depends on.
    async fn mongo(&self) -> DependencyHealth;
}

#[derive(Component)]
#[shaku(interface = CheckHealthUseCase)]
pub struct CheckHealth {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
}

#[cfg(test)]
impl CheckHealth {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        sessions: Arc<dyn SessionStore>,
    ) -> Self {
        Self {
            repository,
            cache,
            sessions,
        }
    }
}

/// Both Redis round trips as one: up when both answered, with the slower latency.
fn both<E>(cache: Result<Duration, E>, sessions: Result<Duration, E>) -> Result<Duration, E> {
    Ok(cache?.max(sessions?))
}

fn health<E>(result: Result<Duration, E>) -> DependencyHealth {
    match result {
        Ok(latency) => DependencyHealth {
            up: true,
            latency: Some(latency),
        },
        Err(_) => DependencyHealth {
            up: false,
            latency: None,
        },
    }
}

#[async_trait]
impl CheckHealthUseCase for CheckHealth {
    async fn execute(&self) -> HealthReport {
        let (mongo, cache, sessions) = tokio::join!(
            self.repository.ping(),
            self.cache.ping(),
            self.sessions.ping()
        );
        HealthReport {
            mongo: health(mongo),
            redis: health(both(cache, sessions)),
        }
    }

    async fn mongo(&self) -> DependencyHealth {
        health(self.repository.ping().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{MockProductRepository, MockRedisService, MockSessionStore};
    use crate::usecases::test_support::unavailable;

    fn sessions_up() -> Arc<dyn SessionStore> {
        let mut sessions = MockSessionStore::new();
        sessions
            .expect_ping()
            .returning(|| Ok(Duration::from_millis(1)));
        Arc::new(sessions)
    }

    #[tokio::test]
    async fn a_session_server_down_is_degraded_even_with_the_cache_up() {
        let mut repo = MockProductRepository::new();
        repo.expect_ping()
            .returning(|| Ok(Duration::from_millis(2)));
        let mut cache = MockRedisService::new();
        cache
            .expect_ping()
            .returning(|| Ok(Duration::from_millis(1)));
        let mut sessions = MockSessionStore::new();
        sessions
            .expect_ping()
            .returning(|| Err(CacheError::Unavailable("down".into())));
        let report = CheckHealth::new(Arc::new(repo), Arc::new(cache), Arc::new(sessions))
            .execute()
            .await;
        assert!(report.ready() && report.degraded());
    }

    #[tokio::test]
    async fn redis_down_is_degraded_not_unready() {
        let mut repo = MockProductRepository::new();
        repo.expect_ping()
            .returning(|| Ok(Duration::from_millis(2)));
        let mut cache = MockRedisService::new();
        cache
            .expect_ping()
            .returning(|| Err(CacheError::Unavailable("down".into())));
        let report = CheckHealth::new(Arc::new(repo), Arc::new(cache), sessions_up())
            .execute()
            .await;
        assert!(report.ready() && report.degraded());
        assert_eq!(report.redis.latency, None);
    }

    #[tokio::test]
    async fn mongo_down_is_unready() {
        let mut repo = MockProductRepository::new();
        repo.expect_ping().returning(|| Err(unavailable()));
        let mut cache = MockRedisService::new();
        cache
            .expect_ping()
            .returning(|| Ok(Duration::from_millis(1)));
        let report = CheckHealth::new(Arc::new(repo), Arc::new(cache), sessions_up())
            .execute()
            .await;
        assert!(!report.ready());
        assert!(!report.degraded());
    }
}
