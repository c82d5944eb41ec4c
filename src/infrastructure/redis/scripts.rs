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

/// Stores `ARGV[1] .. '|' .. ARGV[2]` in KEYS[1] with a PX of ARGV[3], unless KEYS[1]
/// already holds a newer version (the number before the first `|`). Equal versions are
/// rewritten, which refreshes the TTL of unchanged data. Returns 1 if stored.
pub(super) static SET_IF_NEWER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        r#"
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  if sep then
    local held = tonumber(string.sub(current, 1, sep - 1))
    if held and held > tonumber(ARGV[1]) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
"#,
    )
});

/// Returns the counter in KEYS[1], creating it at ARGV[1] first if it is missing.
pub(super) static GET_OR_INIT_COUNTER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "local v = redis.call('GET', KEYS[1]) if v then return tonumber(v) end \
         redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1])",
    )
});
