//! The feeds the tier depends on: one tracking connection on a single server, one per
//! primary on a cluster (tracking is per connection, and a connection hears only the node
//! it is on). The tier serves only while every member is confirmed; one member lost is
//! enough to flush it and step aside.

use std::sync::{Arc, Mutex};

use super::tier::NearTier;
use crate::usecases::cache::CacheMetrics;

pub(super) struct Quorum {
    tier: Arc<NearTier>,
    metrics: Arc<CacheMetrics>,
    /// One flag per member. Decisions are taken under this lock, so a member confirming
    /// cannot re-trust the tier on a stale view of another member that is being lost.
    confirmed: Mutex<Vec<bool>>,
}

impl Quorum {
    pub(super) fn new(tier: Arc<NearTier>, metrics: Arc<CacheMetrics>, members: usize) -> Self {
        Self {
            tier,
            metrics,
            confirmed: Mutex::new(vec![false; members]),
        }
    }

    /// The tier this quorum decides for.
    pub(super) fn tier(&self) -> &NearTier {
        &self.tier
    }

    pub(super) fn metrics(&self) -> &CacheMetrics {
        &self.metrics
    }

    pub(super) fn is_confirmed(&self, member: usize) -> bool {
        self.flags()[member]
    }

    /// `member`'s feed is confirmed; when it was the last one missing, the tier serves
    /// again, from empty.
    pub(super) fn confirm(&self, member: usize) {
        let mut confirmed = self.flags();
        confirmed[member] = true;
        if confirmed.iter().all(|c| *c) && !self.tier.is_trusted() {
            self.tier.trust();
            tracing::info!("near cache serving (Redis client tracking confirmed)");
        }
    }

    /// `member`'s feed may have missed an invalidation: flush and bypass the tier.
    pub(super) fn lose(&self, member: usize, reason: &'static str) {
        let mut confirmed = self.flags();
        confirmed[member] = false;
        self.step_aside(reason);
    }

    /// Every member is being replaced (the cluster's primaries changed).
    pub(super) fn dissolve(&self, reason: &'static str) {
        let mut confirmed = self.flags();
        confirmed.iter_mut().for_each(|c| *c = false);
        self.step_aside(reason);
    }

    fn step_aside(&self, reason: &'static str) {
        if self.tier.distrust() {
            self.metrics.near.flushed_on_disconnect();
            tracing::warn!(
                reason,
                "near cache flushed and bypassed until Redis confirms its feed"
            );
        }
    }

    fn flags(&self) -> std::sync::MutexGuard<'_, Vec<bool>> {
        self.confirmed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn quorum(members: usize) -> (Quorum, Arc<NearTier>) {
        let metrics = Arc::new(CacheMetrics::default());
        let tier = Arc::new(NearTier::new(100, Duration::from_secs(1), metrics.clone()));
        (Quorum::new(tier.clone(), metrics, members), tier)
    }

    #[test]
    fn the_tier_serves_only_while_every_member_is_confirmed() {
        let (quorum, tier) = quorum(3);
        quorum.confirm(0);
        quorum.confirm(2);
        assert!(!tier.is_trusted(), "member 1 unconfirmed");
        quorum.confirm(1);
        assert!(tier.is_trusted());
        quorum.lose(2, "test");
        assert!(!tier.is_trusted());
        quorum.confirm(0);
        assert!(!tier.is_trusted(), "member 2 still lost");
        quorum.confirm(2);
        assert!(tier.is_trusted());
        quorum.dissolve("test");
        assert!(!tier.is_trusted());
        assert!(!quorum.is_confirmed(0) && !quorum.is_confirmed(1));
    }
}
