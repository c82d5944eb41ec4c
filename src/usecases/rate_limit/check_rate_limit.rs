use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::decisions::{FailureReport, RateDecisions, RateSource};
use super::rate_leases::{Local, LocalQuotas};
use crate::domain::client_key::ClientKeys;
use crate::domain::ports::{QuotaLeases, RateDecision, RateLimiter, RateRule};

/// The rate classes of the HTTP contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateClass {
    /// GETs.
    Read,
    /// Product and wishlist changes.
    Write,
    /// Login and register.
    Auth,
}

impl RateClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Auth => "auth",
        }
    }
}

/// The request log of one client in one rate class. Hash tag: the log and its total are
/// updated by one script, so they must share a cluster slot.
fn rate_key(class: RateClass, client_hash: &str) -> String {
    format!("rate:{{{}:{client_hash}}}", class.as_str())
}

/// The limit of each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub read: RateRule,
    pub write: RateRule,
    pub auth: RateRule,
}

impl RateLimits {
    pub fn rule(&self, class: RateClass) -> RateRule {
        match class {
            RateClass::Read => self.read,
            RateClass::Write => self.write,
            RateClass::Auth => self.auth,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        let rule = |limit, secs| RateRule {
            limit,
            window: std::time::Duration::from_secs(secs),
        };
        Self {
            read: rule(300, 60),
            write: rule(60, 60),
            auth: rule(10, 900),
        }
    }
}

/// Decides whether a client may make one more request of a class. Uses the shared Redis
/// limiter, through local leases of quota while a client's quota is large
/// (`rate_leases`); when Redis fails, the in-process limiter with the same limits decides,
/// so an outage weakens protection to per-instance but never removes it.
#[async_trait]
pub trait RateLimitUseCase: Interface {
    /// `client` is a user id or an IP address; it reaches no store but as a keyed digest
    /// (`ClientKeys`), which cannot be reversed without the secret.
    async fn check(&self, class: RateClass, client: &str) -> RateDecision;
}

#[derive(Component)]
#[shaku(interface = RateLimitUseCase)]
pub struct CheckRateLimit {
    #[shaku(inject)]
    shared: Arc<dyn RateLimiter>,
    #[shaku(inject)]
    leases: Arc<dyn QuotaLeases>,
    #[shaku(force_default)]
    quotas: LocalQuotas,
    fallback: Arc<dyn RateLimiter>,
    limits: RateLimits,
    decisions: Arc<RateDecisions>,
    failures: FailureReport,
    keys: ClientKeys,
}

#[cfg(test)]
impl CheckRateLimit {
    pub fn new(
        shared: Arc<dyn RateLimiter>,
        leases: Arc<dyn QuotaLeases>,
        fallback: Arc<dyn RateLimiter>,
        limits: RateLimits,
        decisions: Arc<RateDecisions>,
        failures: FailureReport,
        keys: ClientKeys,
    ) -> Self {
        Self {
            shared,
            leases,
            quotas: LocalQuotas::default(),
            fallback,
            limits,
            decisions,
            failures,
            keys,
        }
    }
}

#[async_trait]
impl RateLimitUseCase for CheckRateLimit {
    async fn check(&self, class: RateClass, client: &str) -> RateDecision {
        let rule = self.limits.rule(class);
        let key = rate_key(class, &self.keys.key(client, 12));
        let decisions = &self.decisions;
        let exact = match self.quotas.decide(&self.leases, &key, rule).await {
            Ok(Local::Decided(decision, source)) => {
                decisions.record(source);
                return decision;
            }
            Ok(Local::AskRedis) => self.shared.check(&key, rule).await,
            Err(error) => Err(error),
        };
        match exact {
            Ok(decision) => {
                decisions.record(RateSource::Redis);
                self.quotas.exact(&key, &decision).await;
                decision
            }
            Err(error) => {
                decisions.record(RateSource::Fallback);
                self.failures.failed("rate_limit.check", &error);
                match self.fallback.check(&key, rule).await {
                    Ok(decision) => decision,
                    Err(_) => RateDecision {
                        allowed: true,
                        limit: rule.limit,
                        remaining: rule.limit,
                        reset_at_ms: 0,
                        retry_after_ms: 0,
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::MockRateLimiter;

    fn decision(allowed: bool) -> RateDecision {
        RateDecision {
            allowed,
            limit: 60,
            remaining: 0,
            reset_at_ms: 1,
            retry_after_ms: 0,
        }
    }

    #[tokio::test]
    async fn uses_the_class_rule_and_never_sends_the_raw_client() {
        let mut shared = MockRateLimiter::new();
        shared
            .expect_check()
            .withf(|key, rule| {
                key.starts_with("rate:{write:") && !key.contains("10.0.0.1") && rule.limit == 60
            })
            .times(1)
            .returning(|_, _| Ok(decision(false)));
        let use_case = CheckRateLimit::new(
            Arc::new(shared),
            Arc::new(crate::domain::ports::MockQuotaLeases::new()),
            Arc::new(MockRateLimiter::new()),
            RateLimits::default(),
            Arc::default(),
            FailureReport::default(),
            ClientKeys::new(b"test secret"),
        );
        assert!(!use_case.check(RateClass::Write, "10.0.0.1").await.allowed);
    }

    #[tokio::test]
    async fn falls_back_to_the_local_limiter_when_redis_fails() {
        let mut shared = MockRateLimiter::new();
        shared
            .expect_check()
            .returning(|_, _| Err(CacheError::Unavailable("down".into())));
        let mut local = MockRateLimiter::new();
        local
            .expect_check()
            .times(1)
            .returning(|_, _| Ok(decision(false)));
        let use_case = CheckRateLimit::new(
            Arc::new(shared),
            Arc::new(crate::domain::ports::MockQuotaLeases::new()),
            Arc::new(local),
            RateLimits::default(),
            Arc::default(),
            FailureReport::default(),
            ClientKeys::new(b"test secret"),
        );
        assert!(
            !use_case.check(RateClass::Read, "u1").await.allowed,
            "the local limiter still limits"
        );
    }
}
