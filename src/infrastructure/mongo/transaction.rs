//! Multi-document transactions that retry what a retry can fix.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use mongodb::error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};

use super::errors::{timed_out, translate};
use crate::domain::error::RepositoryError;

/// Longest pause between two tries of a transaction that hit a conflict.
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Transactions run to an answer, and tries repeated after a conflict, since the process
/// started (process-wide, like the driver's pool); `/metrics` reads them through
/// `transaction_counts`.
static FINISHED: AtomicU64 = AtomicU64::new(0);
static RETRIED: AtomicU64 = AtomicU64::new(0);

/// `finished` (transactions that reached an answer: committed, refused or failed) and
/// `retried` (tries repeated after a conflict); retries per write is their ratio.
pub fn transaction_counts() -> Vec<(&'static str, u64)> {
    vec![
        ("finished", FINISHED.load(Relaxed)),
        ("retried", RETRIED.load(Relaxed)),
    ]
}

/// Runs `attempt` until it commits, fails for a reason a retry cannot fix, or `timeout`
/// has passed in total. Each attempt opens, runs and commits its own transaction; its
/// outer `Result` is the driver's (for retry decisions), the inner one the domain answer.
/// Conflicting writers back off with jittered exponential pauses.
pub(super) async fn retrying<T, F, Fut>(
    timeout: Duration,
    mut attempt: F,
) -> Result<T, RepositoryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Result<T, RepositoryError>, mongodb::error::Error>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(outcome)) => {
                FINISHED.fetch_add(1, Relaxed);
                return outcome;
            }
            Ok(Err(error))
                if worth_retrying(&error) && tokio::time::Instant::now() + pause < deadline =>
            {
                RETRIED.fetch_add(1, Relaxed);
                let jitter = rand::random_range(0.5..1.5);
                tokio::time::sleep(pause.mul_f64(jitter)).await;
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
            }
            Ok(Err(error)) => {
                FINISHED.fetch_add(1, Relaxed);
                return Err(translate(error));
            }
            Err(_) => {
                FINISHED.fetch_add(1, Relaxed);
                return Err(timed_out(timeout));
            }
        }
    }
}

/// Commits, retrying the commit alone while its outcome is unknown (commit is idempotent).
pub(super) async fn commit(
    session: &mut mongodb::ClientSession,
) -> Result<(), mongodb::error::Error> {
    let mut tries = 0;
    loop {
        tries += 1;
        match session.commit_transaction().await {
            Err(error) if tries < 3 && error.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) => {}
            result => return result,
        }
    }
}

/// Conflicts with a concurrent change of the same documents: another attempt will see it.
fn worth_retrying(error: &mongodb::error::Error) -> bool {
    error.contains_label(TRANSIENT_TRANSACTION_ERROR)
        || matches!(translate(error.clone()), RepositoryError::Duplicate)
}
