//! Lua scripts, each one atomic on the server. Each touches only the keys it declares, so
//! they run unchanged on Redis Cluster.

use fred::types::scripts::Script;
use std::sync::LazyLock;

/// Deletes KEYS[1] only while it still holds ARGV[1] (the lock token); returns 1 if it did.
pub(super) static RELEASE_LOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
    )
});

/// The current epoch of versioned entries: KEYS[2] when given (created at ARGV seed if
/// missing, so a lost epoch comes back above every stamp already used), else the epoch the
/// caller read itself (clustered: the epoch key lives in another slot). Shared prelude of the
/// two versioned-entry scripts.
const EPOCH_PRELUDE: &str = r#"
local function epoch(seed, given)
  if KEYS[2] then
    local e = redis.call('GET', KEYS[2])
    if not e then e = seed redis.call('SET', KEYS[2], e) end
    return tonumber(e)
  end
  return tonumber(given)
end
"#;

/// Stores `ARGV[1] .. '|' .. ARGV[2]` in KEYS[1] with a PX of ARGV[3], unless KEYS[1]
/// already holds a newer version (the number before the first `|`), whatever its epoch:
/// a retired entry still refuses older fills. Equal versions are rewritten, which refreshes
/// the TTL of unchanged data. The JSON object in ARGV[2] is stamped with the current epoch
/// (`"epoch":N` as its first member). ARGV[4] seeds a missing epoch; ARGV[5] is the epoch
/// when KEYS[2] is not given. Returns 1 if stored.
pub(super) static SET_IF_NEWER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(format!(
        "{EPOCH_PRELUDE}{}",
        r#"
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  if sep then
    local held = tonumber(string.sub(current, 1, sep - 1))
    if held and held > tonumber(ARGV[1]) then return 0 end
  end
end
local e = epoch(ARGV[4], ARGV[5])
local value = ARGV[2]
if value == '{}' then value = '{"epoch":' .. e .. '}'
elseif string.sub(value, 1, 1) == '{' then value = '{"epoch":' .. e .. ',' .. string.sub(value, 2) end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. value, 'PX', ARGV[3])
return 1
"#
    ))
});

/// Returns KEYS[1] if its epoch stamp is not older than the current epoch, else nothing (a
/// retired entry reads as absent). ARGV[1] seeds a missing epoch; ARGV[2] is the epoch when
/// KEYS[2] is not given.
pub(super) static GET_VERSIONED: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(format!(
        "{EPOCH_PRELUDE}{}",
        r#"
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local sep = string.find(raw, '|', 1, true)
if not sep then return false end
local stamp = tonumber(string.match(raw, '^{"epoch":(%-?%d+)', sep + 1) or '0')
if stamp < epoch(ARGV[1], ARGV[2]) then return false end
return raw
"#
    ))
});

/// Returns the counter in KEYS[1], creating it at ARGV[1] first if it is missing (with a PX
/// of ARGV[2] when that is above 0).
pub(super) static GET_OR_INIT_COUNTER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local v = redis.call('GET', KEYS[1]) if v then return tonumber(v) end \
         if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) \
         else redis.call('SET', KEYS[1], ARGV[1]) end return tonumber(ARGV[1])",
    )
});

/// Increments the counter in KEYS[1], creating it at ARGV[1] first if it is missing, and
/// (when ARGV[2] is above 0) sets its PX to ARGV[2]. Returns the new value. One call, so a
/// timeout can never leave a seeded counter without its increment or its expiry.
pub(super) static BUMP_COUNTER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end \
         local n = redis.call('INCR', KEYS[1]) \
         if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end \
         return n",
    )
});

/// Takes one unit from the budget counter KEYS[1] unless it holds ARGV[1] already; the
/// first unit of a window creates the counter with a PX of ARGV[2]. Returns 1 if taken.
/// Refusals change nothing, so callers refused under a low cap do not use up the budget
/// of callers with a higher one.
pub(super) static SPEND_BUDGET: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local n = tonumber(redis.call('GET', KEYS[1]) or '0') \
         if n >= tonumber(ARGV[1]) then return 0 end \
         if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end \
         return 1",
    )
});

/// Records one failed login in the account's hash KEYS[1] (server clock). Fields:
/// `failures` (all addresses), `spread` (distinct failing addresses counted), `until`
/// (account-wide lock), and per address hash h: `a:h` (its failures), `u:h` (its lock).
/// ARGV: threshold, base ms, max ms, memory ms, address hash, addresses that make a
/// failure run account-wide, addresses tracked at most. An address's own failures from the
/// threshold on lock that address; all failures lock the account once they come from
/// enough distinct addresses. Each lock is base doubled per failure past the threshold,
/// capped. Returns the longest lock started (ms), 0 for none.
pub(super) static RECORD_LOGIN_FAILURE: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local threshold = tonumber(ARGV[1])
local function backoff(n)
  return math.min(tonumber(ARGV[2]) * 2 ^ math.min(n - threshold, 40), tonumber(ARGV[3]))
end
local address = 'a:' .. ARGV[5]
local spread = tonumber(redis.call('HGET', KEYS[1], 'spread') or '0')
local mine = nil
if redis.call('HEXISTS', KEYS[1], address) == 1 or spread < tonumber(ARGV[7]) then
  mine = redis.call('HINCRBY', KEYS[1], address, 1)
  if mine == 1 then spread = redis.call('HINCRBY', KEYS[1], 'spread', 1) end
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local lock = 0
if mine and mine >= threshold then
  lock = backoff(mine)
  redis.call('HSET', KEYS[1], 'u:' .. ARGV[5], string.format('%.0f', now + lock))
end
if failures >= threshold and spread >= tonumber(ARGV[6]) then
  local wide = backoff(failures)
  redis.call('HSET', KEYS[1], 'until', string.format('%.0f', now + wide))
  lock = math.max(lock, wide)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return lock
"#,
    )
});

/// Milliseconds the account in KEYS[1] is still locked for the address hash ARGV[1] (the
/// longer of the account-wide and the address's lock, server clock); 0 when not.
pub(super) static LOGIN_LOCKED_FOR: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
local wide = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local mine = tonumber(redis.call('HGET', KEYS[1], 'u:' .. ARGV[1]) or '0')
local t = redis.call('TIME')
local left = math.max(wide, mine) - (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
if left < 0 then return 0 end
return left
"#,
    )
});

/// A successful login from address hash ARGV[1] to the account KEYS[1]: the account-wide
/// count and lock and that address's count and lock are cleared; other addresses keep
/// theirs (a success here says nothing about them).
pub(super) static LOGIN_SUCCEEDED: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
redis.call('HDEL', KEYS[1], 'failures', 'until', 'u:' .. ARGV[1])
if redis.call('HDEL', KEYS[1], 'a:' .. ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[1], 'spread', -1) <= 0 then redis.call('HDEL', KEYS[1], 'spread') end
end
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return 1
"#,
    )
});

/// Takes slots from the sliding-log rate limit of one client: KEYS[1] is the log, a
/// sorted set of takes on the server clock (so every instance agrees), each member named
/// `ticket:slots` and scored with the moment its slots count from; KEYS[2] is the number
/// of slots the log holds. ARGV: limit, window ms, slots wanted, lease ms, a unique ticket.
/// Takes at most what the window leaves free, logged as requests made at now + lease: one
/// exact check is one slot with a lease of 0; a lease of quota is many, and a slot spent at
/// any moment of the lease is counted at least as long as that request must be. Both keys
/// live at least window + lease. Returns {taken, remaining, reset_at_ms, now_ms}.
///
/// Why a sliding log and not GCRA: GCRA keeps one number per client and is cheaper, but
/// after an idle period it admits a full burst and then one request per emission interval,
/// so up to twice the limit can pass within one window, and quota trickles back instead of
/// returning when the window has passed. The contract here is "never more than N in any
/// window" and "a rejected request consumes nothing"; the log gives exactly that.
///
/// Why one member per take and a total beside it: every slot of a take shares its moment,
/// so they enter and leave the window together, and one member carrying their number
/// answers exactly as one member per slot did, at a cost per take instead of per slot (a
/// lease of 256 slots was 256 `ZADD`s, and at 58,000 admitted requests a second the limiter
/// cost Redis a fifth of a core). The total is kept beside the log so a take never sums
/// it; when the total is missing (evicted) it is counted again from the log.
pub(super) static TAKE_SLOTS: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
local function slots(member) return tonumber(string.match(member, ':(%d+)$')) or 1 end
local count = tonumber(redis.call('GET', KEYS[2]) or '-1')
if count < 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  count = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do count = count + slots(member) end
else
  local gone = 0
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)) do
    gone = gone + slots(member)
  end
  if gone > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
    count = math.max(0, count - gone)
  end
end
local grant = math.max(0, math.min(tonumber(ARGV[3]), limit - count))
if grant > 0 then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[5] .. ':' .. grant)
end
redis.call('SET', KEYS[2], count + grant, 'KEEPTTL')
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < window + lease then redis.call('PEXPIRE', key, window + lease) end
end
local reset = now + window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window end
return {grant, math.max(0, limit - count - grant), reset, now}
"#,
    )
});

/// Frees the unspent slots ARGV[2]..=ARGV[3] of the take ARGV[1] (of ARGV[3] slots) in the
/// log KEYS[1] with total KEYS[2] (see `TAKE_SLOTS`): the take keeps its first ARGV[2] - 1
/// slots. Returns how many were freed (0 when the take has left the window).
pub(super) static RETURN_QUOTA: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
local member = ARGV[1] .. ':' .. ARGV[3]
local at = redis.call('ZSCORE', KEYS[1], member)
if not at then return 0 end
local kept = tonumber(ARGV[2]) - 1
local freed = tonumber(ARGV[3]) - kept
redis.call('ZREM', KEYS[1], member)
if kept > 0 then redis.call('ZADD', KEYS[1], at, ARGV[1] .. ':' .. kept) end
local total = tonumber(redis.call('GET', KEYS[2]) or '-1')
if total >= 0 then redis.call('SET', KEYS[2], math.max(0, total - freed), 'KEEPTTL') end
return freed
"#,
    )
});

/// Slides a session at ARGV[1] (unix ms): its end moves to ARGV[1] + ARGV[2] (idle
/// lifetime, ms) but never past createdAt + ARGV[3] (absolute lifetime, ms); a session
/// already at that limit is deleted. Returns all fields, or nothing when there is no
/// (longer a) session.
pub(super) static TOUCH_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
local created = tonumber(redis.call('HGET', KEYS[1], 'createdAt'))
if not created then return {} end
local now = tonumber(ARGV[1])
local ends = math.min(now + tonumber(ARGV[2]), created + tonumber(ARGV[3]))
if ends <= now then
  redis.call('DEL', KEYS[1])
  return {}
end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1], 'expiresAt', string.format('%.0f', ends))
redis.call('PEXPIRE', KEYS[1], ends - now)
return redis.call('HGETALL', KEYS[1])
"#,
    )
});

/// Sets roles and checkedAt (ARGV[1], ARGV[2]) of the session KEYS[1] only if it still
/// exists: a refresh racing a logout never leaves a session behind.
pub(super) static REFRESH_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end \
         redis.call('HSET', KEYS[1], 'roles', ARGV[1], 'checkedAt', ARGV[2]) \
         return 1",
    )
});

/// Reads the counter KEYS[1] (creating it at ARGV[1] if missing, with an expiry of ARGV[4]
/// ms unless that is 0), then the value under ARGV[2] .. counter .. ARGV[3]. Returns
/// {counter, value-or-nil}. The second key is built
/// in the script, which a single server allows; the adapter does not use this on a cluster.
pub(super) static GET_UNDER_GENERATION: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local g = redis.call('GET', KEYS[1]) \
         if not g then g = ARGV[1] \
           if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], g, 'PX', ARGV[4]) \
           else redis.call('SET', KEYS[1], g) end \
         end \
         return {tonumber(g), redis.call('GET', ARGV[2] .. g .. ARGV[3])}",
    )
});

/// Creates a session in one step: HSET of the fields (ARGV[3..] as name/value pairs) in
/// KEYS[1] with a PX of ARGV[1], and ARGV[2] (its hash) added to the user's index KEYS[2],
/// whose expiry is raised to ARGV[1] if it is shorter. A timeout can no longer leave a
/// session without expiry or outside its index.
pub(super) static CREATE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return 1
"#,
    )
});

/// Ends one session: deletes KEYS[1] and removes ARGV[1] (its hash) from the user's index
/// KEYS[2]. Both keys carry the user's hash tag, so this is one slot on a cluster.
pub(super) static REVOKE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "redis.call('DEL', KEYS[1]) \
         redis.call('SREM', KEYS[2], ARGV[1]) \
         return 1",
    )
});

/// Ends every session in the index KEYS[1] (session keys are ARGV[1] .. hash) and the index
/// itself, atomically: a login that lands during logout-all is either ended with the rest or
/// indexed afterwards, never left alive and unindexed. Returns how many sessions ended. The
/// session keys are built in the script; they share the index's hash tag (one slot), which
/// a cluster node accepts.
pub(super) static REVOKE_ALL_SESSIONS: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local ended = 0 \
         for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do \
           ended = ended + redis.call('DEL', ARGV[1] .. h) end \
         redis.call('DEL', KEYS[1]) \
         return ended",
    )
});

/// Appends a product event to the stream KEYS[1] unless the hash KEYS[2] records that
/// product (ARGV[1]) at version ARGV[2] or later; records the version with the append.
/// ARGV[3] is the event type, ARGV[4] its JSON, ARGV[5] the approximate length the stream
/// is trimmed to. Returns the new entry's id, or nothing for an event already published.
/// Both keys share a hash tag: one slot on a cluster.
pub(super) static PUBLISH_EVENT: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') \
         if last >= tonumber(ARGV[2]) then return false end \
         local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', \
           'type', ARGV[3], 'data', ARGV[4]) \
         redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) \
         return id",
    )
});

/// Where a bounded replay starts: when more than ARGV[2] entries of stream KEYS[1] follow
/// id ARGV[1], the id of the entry after which exactly ARGV[2] remain; else false. Only
/// that one id leaves Redis, however long the backlog; a stream no longer than ARGV[2]
/// is answered from its length alone.
pub(super) static REPLAY_START: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local n = tonumber(ARGV[2]) \
         if redis.call('XLEN', KEYS[1]) <= n then return false end \
         local newest = redis.call('XREVRANGE', KEYS[1], '+', '(' .. ARGV[1], 'COUNT', n + 1) \
         if #newest <= n then return false end \
         return newest[#newest][1]",
    )
});

/// Adds reads to the sorted set KEYS[1] (one day's read counts): ARGV[1] is how long the
/// set is kept (ms), then pairs of count and product. Returns the pairs added.
pub(super) static COUNT_READS: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "for i = 2, #ARGV, 2 do redis.call('ZINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end \
         redis.call('PEXPIRE', KEYS[1], ARGV[1]) \
         return (#ARGV - 1) / 2",
    )
});
