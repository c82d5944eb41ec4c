//! Turns for the tests that load the shared MongoDB-wire server to its limit.
//!
//! The suite runs two tests at a time against one MongoDB-wire server. Where that server is
//! the Python stand-in (about 60 transactional writes a second at a full core), two load
//! tests at once (eight writers and 32 readers each) queue a single write for longer than
//! the operation deadline, and the service rightly answers 503: the test then measures the
//! stand-in, not the service. Each load test holds a turn for its whole run, so it shares
//! the server only with the light tests; a test's own load and assertions are unchanged.

use tokio::sync::{Mutex, MutexGuard};

static LOAD: Mutex<()> = Mutex::const_new(());

/// Waits until no other load test runs; the turn lasts as long as the guard.
pub async fn load_turn() -> MutexGuard<'static, ()> {
    LOAD.lock().await
}
