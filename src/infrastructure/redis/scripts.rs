//! Lua scripts, each one atomic on the server.

use fred::types::scripts::Script;
use std::sync::LazyLock;

/// Deletes KEYS[1] only while it still holds ARGV[1] (the lock token); returns 1 if it did.
pub(super) static RELEASE_LOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
    )
});
