//! Serving entries past their TTL, one mechanism for two cases. A hit in the last part of
//! its TTL (`CachePolicy::refresh_ahead`) starts one background refresh per key; while that
//! refresh runs, the entry is served even past its TTL, for at most
//! `CACHE_STALE_WHILE_REVALIDATE_SECS`. Otherwise a read past the TTL goes to MongoDB as a
//! miss would, and when MongoDB cannot be read an entry within `CACHE_STALE_IF_ERROR_SECS`
//! is served instead of a 503. Entries therefore stay in Redis for their TTL plus the
//! longer of the two windows.
//!
//! Never across a write: a write retires its entries (new version, new generation) before it
//! answers, so an entry that can be served stale is the latest one written. Data a write
//! does not invalidate but the TTL bounds (a product's `wishlistCount` inside list pages)
//! is stale for at most the TTL plus one refresh, and only for entries read often enough
//! to be refreshed ahead; a page read once after its TTL is read afresh.
//!
//! Product entries carry their expiry in their JSON (`expires_at_ms`); list, count and
//! wishlist pages are stored as `~<fresh until, unix ms>~<page>` (`wrap` / `unwrap`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::fetched::{DataSource, Fetched, StaleReason, Staleness};
use crate::domain::error::RepositoryError;

const MARK: char = '~';

/// How long past its TTL (`fresh_until_ms`) an entry is at `now_ms`; `None` while fresh.
pub(crate) fn past(fresh_until_ms: i64, now_ms: i64) -> Option<Duration> {
    (now_ms >= fresh_until_ms)
        .then(|| Duration::from_millis(u64::try_from(now_ms - fresh_until_ms).unwrap_or(0)))
}

/// Whether a failed MongoDB read is an outage, when a stale entry may stand in.
pub(crate) fn is_outage(error: &RepositoryError) -> bool {
    matches!(error, RepositoryError::Unavailable(_))
}

/// `value`, served `by` past its TTL for `reason`.
pub(crate) fn served<T>(value: T, by: Duration, reason: StaleReason) -> Fetched<T> {
    Fetched::new(
        value,
        DataSource::StaleCache(Staleness {
            seconds: by.as_secs(),
            reason,
        }),
    )
}

/// A page as stored: its TTL's end in front of it.
pub(crate) fn wrap(fresh_until_ms: i64, page: &str) -> String {
    format!("{MARK}{fresh_until_ms}{MARK}{page}")
}

/// The TTL's end and the page of a stored value; a value stored without one (before this
/// format) counts as fresh.
pub(crate) fn unwrap(stored: &str) -> (Option<i64>, &str) {
    stored
        .strip_prefix(MARK)
        .and_then(|rest| rest.split_once(MARK))
        .and_then(|(until, page)| Some((Some(until.parse().ok()?), page)))
        .unwrap_or((None, stored))
}

/// Keys being refreshed in the background by this process, so a hot stale key gets one
/// refresh however many requests see it.
#[derive(Debug, Default)]
pub struct Refreshes(Mutex<HashSet<String>>);

/// Held by the one refresh of a key; ends it when dropped (finished, failed or cancelled).
pub(crate) struct RefreshTurn {
    refreshes: Arc<Refreshes>,
    key: String,
}

impl Refreshes {
    /// Whether a refresh of `key` is running in this process.
    pub(crate) fn running(&self, key: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    /// The turn to refresh `key`, unless a refresh of it is already running.
    pub(crate) fn begin(self: &Arc<Self>, key: &str) -> Option<RefreshTurn> {
        let mut running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        running.insert(key.to_owned()).then(|| RefreshTurn {
            refreshes: self.clone(),
            key: key.to_owned(),
        })
    }
}

impl Drop for RefreshTurn {
    fn drop(&mut self) {
        let mut running = self.refreshes.0.lock().unwrap_or_else(|e| e.into_inner());
        running.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_page_unwraps_to_its_deadline_and_an_old_one_is_fresh() {
        let stored = wrap(1_700, r#"{"items":[]}"#);
        assert_eq!(unwrap(&stored), (Some(1_700), r#"{"items":[]}"#));
        assert_eq!(unwrap("42"), (None, "42"));
        assert_eq!(unwrap("~x~42"), (None, "~x~42"));
    }

    #[test]
    fn staleness_starts_at_the_deadline() {
        assert_eq!(past(1_000, 999), None);
        assert_eq!(past(1_000, 1_000), Some(Duration::ZERO));
        assert_eq!(past(1_000, 3_500), Some(Duration::from_millis(2_500)));
    }

    #[test]
    fn one_refresh_per_key_until_it_ends() {
        let refreshes = Arc::new(Refreshes::default());
        let turn = refreshes.begin("k").expect("first");
        assert!(
            refreshes.begin("k").is_none(),
            "a second while the first runs"
        );
        assert!(refreshes.begin("other").is_some());
        drop(turn);
        assert!(refreshes.begin("k").is_some(), "again once it ended");
    }
}
