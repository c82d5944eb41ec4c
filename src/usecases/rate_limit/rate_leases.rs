//! Rate limiting mostly off the network: while a client's quota is large, an instance
//! leases a slice of it (`QuotaLeases`) and admits from that slice locally; once the quota
//! is small, every request is decided exactly in Redis; a refusal is remembered until the
//! client may retry (at most `DENIAL_MEMORY`), so a client over its limit does not cost a
//! Redis call per request either.
//!
//! The guarantee stays the store's: leased slots are counted in the shared log as requests
//! made at the lease's end, so "never more than N in any window" holds across instances
//! whatever each one does locally. What leasing costs is precision the other way: slots
//! leased and not spent are held until the lease ends (at most `LEASE_FOR`) and then given
//! back, so near the limit a client can be refused slightly early, never admitted late.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::decisions::RateSource;
use crate::domain::error::CacheError;
use crate::domain::ports::{QuotaLeases, RateDecision, RateRule};

/// How long a lease may be spent.
pub const LEASE_FOR: Duration = Duration::from_secs(1);
/// Below this many free slots, decisions are exact (one Redis call each).
pub const EXACT_BELOW: u32 = 64;
/// A lease takes this share (1/n) of the free slots...
const SHARE: u32 = 16;
/// ...and no more than this many while the client's pace on this instance is unknown or
/// slow...
const BASE_LEASE: u32 = 256;
/// ...or, for a busy client, about what this instance spends of its quota in this long,
/// so renewals stay about ten a second however fast the client goes (a fixed 256 was a
/// Redis script per 256 requests: some 250 a second for one client at 65,000 requests a
/// second)...
const LEASE_SPAN: Duration = Duration::from_millis(100);
/// ...and never more than this many.
const MAX_LEASE: u32 = 65_536;
/// From this many free slots on, a lease half spent is renewed ahead, in the background,
/// so requests do not wait for Redis when it runs out. Below it (the last few leases
/// before the quota runs low) no second lease is held, so early refusals stay bounded by
/// one lease.
const RENEW_AHEAD_FROM: u32 = 4_096;
/// Longest a refusal is answered locally before Redis is asked again.
pub const DENIAL_MEMORY: Duration = Duration::from_secs(1);
/// Clients whose state is kept per instance; the least recently used beyond it are
/// forgotten (their unspent slots come back when the lease's log entries expire).
const MAX_CLIENTS: u64 = 100_000;

#[derive(Debug)]
struct Lease {
    ticket: String,
    granted: u32,
    spent: u32,
    /// When it began to be spent: when it arrived, or for one taken ahead, when the one
    /// before it ran out.
    since: Instant,
    until: Instant,
    /// Free slots left for everyone when it was granted.
    remaining: u32,
    reset_at_ms: i64,
}

impl Lease {
    /// A lease from the store's grant, asked for at `asked` (the store stamped the slots at
    /// its own "now + LEASE_FOR", which is later), with `spent` slots already used.
    fn new(grant: crate::domain::ports::QuotaGrant, asked: Instant, spent: u32) -> Self {
        Self {
            ticket: grant.ticket,
            granted: grant.granted,
            spent,
            since: asked,
            until: asked + LEASE_FOR,
            remaining: grant.remaining,
            reset_at_ms: grant.reset_at_ms,
        }
    }

    /// The decision for the request that just spent a slot of this lease. `remaining`
    /// counts this lease's unspent slots as free.
    fn admitted(&self, rule: RateRule) -> RateDecision {
        RateDecision {
            allowed: true,
            limit: rule.limit,
            remaining: self.remaining + (self.granted - self.spent),
            reset_at_ms: self.reset_at_ms,
            retry_after_ms: 0,
        }
    }
}

/// A refusal from Redis, remembered. Its end and the moment the client may retry are on
/// this process' monotonic clock, both counted from when the refusal arrived with the wait
/// Redis computed on its own clock: no wall clock of this machine (which may disagree with
/// Redis') enters `Retry-After`.
#[derive(Debug, Clone, Copy)]
struct Denial {
    repeat_until: Instant,
    retry_at: Instant,
    decision: RateDecision,
}

impl Denial {
    fn new(from: Instant, decision: RateDecision) -> Self {
        let wait =
            Duration::from_millis(u64::try_from(decision.retry_after_ms.max(1)).unwrap_or(1));
        Self {
            repeat_until: from + wait.min(DENIAL_MEMORY),
            retry_at: from + wait,
            decision,
        }
    }

    /// The refusal as repeated at `now`, with the wait left.
    fn repeated(&self, now: Instant) -> RateDecision {
        let left = self.retry_at.saturating_duration_since(now).as_millis();
        RateDecision {
            retry_after_ms: i64::try_from(left).unwrap_or(i64::MAX).max(1),
            ..self.decision
        }
    }
}

#[derive(Debug, Default)]
struct ClientQuota {
    lease: Option<Lease>,
    /// A lease taken ahead, spent once `lease` is.
    next: Option<Lease>,
    /// A lease is being taken ahead.
    renewing: bool,
    /// Free slots the last Redis answer reported.
    last_remaining: Option<u32>,
    /// A refusal remembered, repeated locally until it ends.
    denied: Option<Denial>,
    /// Slots per second this instance spent of the client's quota, as last measured.
    pace: Option<f64>,
}

impl ClientQuota {
    /// Measures the pace at which a lease spent since `since` had `spent` slots spent by
    /// `now` (once it is at least a millisecond old).
    fn note_pace(&mut self, since: Instant, spent: u32, now: Instant) {
        let elapsed = now.saturating_duration_since(since).as_secs_f64();
        if elapsed >= 0.001 {
            self.pace = Some(f64::from(spent) / elapsed);
        }
    }

    /// How many slots to ask for: a share of the free slots, at most what this instance
    /// spends in `LEASE_SPAN` at the client's pace (at least `BASE_LEASE`, at most
    /// `MAX_LEASE`).
    fn lease_size(&self) -> u32 {
        let free = self.last_remaining.unwrap_or(0);
        let by_pace = self
            .pace
            .map_or(0.0, |pace| pace * LEASE_SPAN.as_secs_f64());
        let cap = (by_pace.min(f64::from(MAX_LEASE)) as u32).max(BASE_LEASE);
        (free / SHARE).clamp(2, cap)
    }
}

/// What the local layer decided (and whether that took a call to Redis), or that Redis
/// must decide exactly.
pub(crate) enum Local {
    Decided(RateDecision, RateSource),
    AskRedis,
}

/// One client's state on this instance: the quota behind a short blocking lock, never held
/// across an await, so the requests that decide locally (nearly all) never park or wake
/// another thread; and `taking`, held by the one request that takes a lease from Redis
/// while the others that found none wait for that lease instead of taking their own.
#[derive(Debug, Default)]
struct ClientState {
    quota: std::sync::Mutex<ClientQuota>,
    taking: tokio::sync::Mutex<()>,
}

impl ClientState {
    fn quota(&self) -> std::sync::MutexGuard<'_, ClientQuota> {
        self.quota.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Per-instance quota state, one entry per client key. Built once per process.
pub struct LocalQuotas {
    clients: moka::sync::Cache<String, Arc<ClientState>, foldhash::fast::RandomState>,
}

impl Default for LocalQuotas {
    fn default() -> Self {
        Self {
            clients: moka::sync::Cache::builder()
                .max_capacity(MAX_CLIENTS)
                .time_to_idle(Duration::from_secs(3_600))
                .build_with_hasher(foldhash::fast::RandomState::default()),
        }
    }
}

impl LocalQuotas {
    /// Decides `key` under `rule`: from a live lease, a remembered refusal, or a new lease
    /// while the quota is large; `AskRedis` when the decision must be exact. A new lease
    /// for one key on one instance is taken once, by one request, while the others that
    /// need one wait for it; exact decisions run outside that wait and report back
    /// through `exact`.
    pub(crate) async fn decide(
        &self,
        leases: &Arc<dyn QuotaLeases>,
        key: &str,
        rule: RateRule,
    ) -> Result<Local, CacheError> {
        let state = self.clients.get_with_by_ref(key, Arc::default);
        if let Some(local) = decide_locally(&state, leases, key, rule) {
            return Ok(local);
        }
        let _taking = state.taking.lock().await;
        // Another request may have taken a lease while this one waited.
        if let Some(local) = decide_locally(&state, leases, key, rule) {
            return Ok(local);
        }
        let want = state.quota().lease_size();
        let asked = Instant::now();
        let grant = leases.lease(key, rule, want, LEASE_FOR).await?;
        let mut quota = state.quota();
        quota.last_remaining = Some(grant.remaining);
        if grant.granted == 0 {
            let decision = RateDecision {
                allowed: false,
                limit: rule.limit,
                remaining: 0,
                reset_at_ms: grant.reset_at_ms,
                retry_after_ms: (grant.reset_at_ms - grant.now_ms).max(1),
            };
            quota.denied = Some(Denial::new(asked, decision));
            return Ok(Local::Decided(decision, RateSource::Redis));
        }
        let lease = Lease::new(grant, asked, 1);
        let decision = lease.admitted(rule);
        // A lease taken ahead may have been promoted meanwhile: keep one, free the other.
        if let Some(previous) = quota.lease.replace(lease) {
            give_back_unspent(leases.clone(), key.to_owned(), previous);
        }
        Ok(Local::Decided(decision, RateSource::Redis))
    }

    /// Records an exact decision made in Redis for `key`.
    pub(crate) async fn exact(&self, key: &str, decision: &RateDecision) {
        let Some(state) = self.clients.get(key) else {
            return;
        };
        let mut quota = state.quota();
        quota.last_remaining = Some(decision.remaining);
        if !decision.allowed {
            quota.denied = Some(Denial::new(Instant::now(), *decision));
        }
    }
}

/// What can be decided without Redis: a remembered refusal, a slot of the live lease or of
/// the one taken ahead, or `AskRedis` when the quota is small; `None` when a lease must
/// be taken.
fn decide_locally(
    state: &Arc<ClientState>,
    leases: &Arc<dyn QuotaLeases>,
    key: &str,
    rule: RateRule,
) -> Option<Local> {
    let mut quota = state.quota();
    let now = Instant::now();
    if let Some(denial) = quota.denied {
        if now < denial.repeat_until {
            return Some(Local::Decided(denial.repeated(now), RateSource::Local));
        }
        quota.denied = None;
    }
    if let Some(lease) = quota.lease.as_mut() {
        if now < lease.until && lease.spent < lease.granted {
            lease.spent += 1;
            let decision = lease.admitted(rule);
            if lease.spent * 2 >= lease.granted {
                renew_ahead(state, &mut quota, leases, key, rule, now);
            }
            return Some(Local::Decided(decision, RateSource::Local));
        }
    }
    if let Some(lease) = quota.lease.take() {
        quota.note_pace(lease.since, lease.spent, now);
        give_back_unspent(leases.clone(), key.to_owned(), lease);
    }
    if let Some(mut next) = quota.next.take() {
        if now < next.until && next.spent < next.granted {
            next.spent += 1;
            next.since = now;
            let decision = next.admitted(rule);
            quota.lease = Some(next);
            return Some(Local::Decided(decision, RateSource::Local));
        }
        give_back_unspent(leases.clone(), key.to_owned(), next);
    }
    if quota.last_remaining.unwrap_or(0) < EXACT_BELOW {
        return Some(Local::AskRedis);
    }
    None
}

/// Takes the next lease in the background while the current one still serves, when the
/// quota is large and no other is held or on its way. Both leases are taken from the
/// shared log, so the guarantee is unchanged; a failure leaves the next request that runs
/// out to take a lease the usual way.
fn renew_ahead(
    state: &Arc<ClientState>,
    quota: &mut ClientQuota,
    leases: &Arc<dyn QuotaLeases>,
    key: &str,
    rule: RateRule,
    now: Instant,
) {
    let free = quota.last_remaining.unwrap_or(0);
    if quota.renewing || quota.next.is_some() || free < RENEW_AHEAD_FROM {
        return;
    }
    quota.renewing = true;
    if let Some((since, spent)) = quota.lease.as_ref().map(|l| (l.since, l.spent)) {
        quota.note_pace(since, spent, now);
    }
    let want = quota.lease_size();
    let (state, leases, key) = (state.clone(), leases.clone(), key.to_owned());
    tokio::spawn(async move {
        let asked = Instant::now();
        let grant = leases.lease(&key, rule, want, LEASE_FOR).await;
        let mut quota = state.quota();
        quota.renewing = false;
        let Ok(grant) = grant else { return };
        quota.last_remaining = Some(grant.remaining);
        if grant.granted > 0 {
            quota.next = Some(Lease::new(grant, asked, 0));
        }
    });
}

/// Frees a lease's unspent slots in the background; a failure only leaves them to expire.
fn give_back_unspent(leases: Arc<dyn QuotaLeases>, key: String, lease: Lease) {
    if lease.spent >= lease.granted {
        return;
    }
    tokio::spawn(async move {
        let _ = leases
            .give_back(&key, &lease.ticket, lease.spent + 1, lease.granted)
            .await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::{MockQuotaLeases, QuotaGrant};

    fn rule() -> RateRule {
        RateRule {
            limit: 10_000,
            window: Duration::from_secs(60),
        }
    }

    fn grant(granted: u32, remaining: u32) -> QuotaGrant {
        QuotaGrant {
            granted,
            remaining,
            reset_at_ms: 1_000,
            now_ms: 0,
            ticket: "lease:1".into(),
        }
    }

    fn allowed(local: Local) -> bool {
        match local {
            Local::Decided(decision, _) => decision.allowed,
            Local::AskRedis => panic!("expected a local decision"),
        }
    }

    fn exact_decision(allowed: bool, remaining: u32) -> RateDecision {
        RateDecision {
            allowed,
            limit: 10_000,
            remaining,
            // Redis' clock, which need not agree with this machine's: the wait Redis
            // computed is what counts.
            reset_at_ms: 30_000,
            retry_after_ms: if allowed { 0 } else { 30_000 },
        }
    }

    #[tokio::test]
    async fn the_first_request_is_exact_then_a_lease_serves_many_locally() {
        let mut store = MockQuotaLeases::new();
        store
            .expect_lease()
            // 256 while the pace is unknown; a share of the free slots once it is measured.
            .withf(|_, _, want, _| (256..=9_000 / SHARE).contains(want))
            // The first lease, the one taken ahead of it, maybe the one ahead of that.
            .times(2..=3)
            .returning(|_, _, _, _| Ok(grant(256, 9_000)));
        let leases: Arc<dyn QuotaLeases> = Arc::new(store);
        let quotas = LocalQuotas::default();
        assert!(matches!(
            quotas.decide(&leases, "k", rule()).await.unwrap(),
            Local::AskRedis
        ));
        quotas.exact("k", &exact_decision(true, 9_999)).await;
        for _ in 0..256 {
            assert!(allowed(quotas.decide(&leases, "k", rule()).await.unwrap()));
        }
        // Half spent, the next lease was taken in the background: once this one runs out
        // the next request is decided from it, without waiting for Redis.
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..256 {
            let decided = quotas.decide(&leases, "k", rule()).await.unwrap();
            assert!(matches!(decided, Local::Decided(d, RateSource::Local) if d.allowed));
        }
    }

    fn quota(free: u32, pace: Option<f64>) -> ClientQuota {
        ClientQuota {
            last_remaining: Some(free),
            pace,
            ..ClientQuota::default()
        }
    }

    #[test]
    fn a_lease_lasts_about_a_span_at_the_clients_pace_within_a_share_of_the_free_slots() {
        // Pace unknown or slow: a share of the free slots, at most the base lease.
        assert_eq!(quota(1_000_000, None).lease_size(), BASE_LEASE);
        assert_eq!(quota(1_000_000, Some(10.0)).lease_size(), BASE_LEASE);
        assert_eq!(quota(1_600, None).lease_size(), 100);
        // A busy client: about 100 ms of its pace, so a few renewals a second.
        assert_eq!(quota(1_000_000, Some(65_000.0)).lease_size(), 6_500);
        assert_eq!(quota(u32::MAX, Some(1e9)).lease_size(), MAX_LEASE);
        // Never more than a share of what is free, whatever the pace.
        assert_eq!(quota(16_000, Some(65_000.0)).lease_size(), 1_000);
        assert_eq!(quota(10, Some(65_000.0)).lease_size(), 2);
    }

    #[test]
    fn the_pace_is_what_a_lease_had_spent_over_its_age() {
        let mut quota = ClientQuota::default();
        let asked = Instant::now();
        quota.note_pace(asked, 500, asked + Duration::from_micros(100));
        assert_eq!(quota.pace, None, "too young to say");
        quota.note_pace(asked, 500, asked + Duration::from_millis(50));
        assert_eq!(quota.pace, Some(10_000.0));
    }

    #[tokio::test]
    async fn a_small_quota_is_decided_exactly_and_a_refusal_is_remembered() {
        let leases: Arc<dyn QuotaLeases> = Arc::new(MockQuotaLeases::new());
        let quotas = LocalQuotas::default();
        let _ = quotas.decide(&leases, "k", rule()).await.unwrap();
        quotas
            .exact("k", &exact_decision(true, EXACT_BELOW - 1))
            .await;
        assert!(matches!(
            quotas.decide(&leases, "k", rule()).await.unwrap(),
            Local::AskRedis
        ));
        quotas.exact("k", &exact_decision(false, 0)).await;
        match quotas.decide(&leases, "k", rule()).await.unwrap() {
            Local::Decided(decision, source) => {
                assert_eq!(source, RateSource::Local);
                assert!(!decision.allowed);
                assert!(decision.retry_after_ms > 25_000, "the real retry time");
            }
            Local::AskRedis => panic!("a refusal is repeated locally"),
        }
    }

    #[tokio::test]
    async fn an_exhausted_lease_gives_nothing_back_and_a_spent_quota_refuses() {
        let mut store = MockQuotaLeases::new();
        let mut seq = mockall::Sequence::new();
        store
            .expect_lease()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(grant(2, 5_000)));
        store
            .expect_lease()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(grant(0, 0)));
        store.expect_give_back().times(0);
        let leases: Arc<dyn QuotaLeases> = Arc::new(store);
        let quotas = LocalQuotas::default();
        let _ = quotas.decide(&leases, "k", rule()).await.unwrap();
        quotas.exact("k", &exact_decision(true, 9_000)).await;
        assert!(allowed(quotas.decide(&leases, "k", rule()).await.unwrap()));
        assert!(allowed(quotas.decide(&leases, "k", rule()).await.unwrap()));
        assert!(!allowed(quotas.decide(&leases, "k", rule()).await.unwrap()));
    }
}
