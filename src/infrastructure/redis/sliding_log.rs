//! The one call both rate-limit adapters make: taking slots from a client's sliding log
//! (`TAKE_SLOTS`), one for an exact check, many for a lease; either is one entry in the
//! log, however many slots it takes.

use std::time::Duration;

use fred::prelude::Client;

use super::call::bounded_call;
use super::scripts::TAKE_SLOTS;
use crate::domain::error::CacheError;
use crate::domain::ports::RateRule;

/// The number of slots the request log `log` (prefixed) holds; updated by the same script
/// as the log, so the rate limiter names the log with a hash tag.
pub(super) fn total_key(log: &str) -> String {
    format!("{log}:total")
}

/// What the log answered.
pub(super) struct Taken {
    pub taken: u32,
    /// Slots still free after this call.
    pub remaining: u32,
    pub reset_at_ms: i64,
    pub now_ms: i64,
}

/// Takes up to `want` slots of the log `key` (prefixed) under `rule`, logged `ahead` after
/// the server's now as one entry named `ticket:<slots taken>`.
pub(super) async fn take_slots(
    client: &Client,
    timeout: Duration,
    key: String,
    rule: RateRule,
    want: u32,
    ahead: Duration,
    ticket: &str,
) -> Result<Taken, CacheError> {
    let args = vec![
        rule.limit.to_string(),
        rule.window.as_millis().to_string(),
        want.to_string(),
        ahead.as_millis().to_string(),
        ticket.to_owned(),
    ];
    let total = total_key(&key);
    let keys = vec![key, total];
    let call = TAKE_SLOTS.evalsha_with_reload::<Vec<i64>, _, _>(client, keys, args);
    let reply = bounded_call(client, timeout, call).await?;
    let [taken, remaining, reset_at_ms, now_ms] = reply[..] else {
        return Err(CacheError::Command("unexpected rate limit reply".into()));
    };
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(0);
    Ok(Taken {
        taken: count(taken),
        remaining: count(remaining),
        reset_at_ms,
        now_ms,
    })
}
