use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use mongodb::error::{Error, ErrorKind, WriteFailure};
use mongodb::options::IndexOptions;

use crate::domain::error::RepositoryError;

const DUPLICATE_KEY: i32 = 11000;

/// Failed MongoDB calls since the process started, by kind: counted here, where every
/// driver error is translated, so no caller can forget. Process-wide because the driver's
/// connection pool is; `/metrics` reads them through `failure_counts`.
static TIMEOUTS: AtomicU64 = AtomicU64::new(0);
static UNAVAILABLE: AtomicU64 = AtomicU64::new(0);
static UNEXPECTED: AtomicU64 = AtomicU64::new(0);

/// Failed MongoDB calls by kind: `timeout` (no answer within the configured bound),
/// `unavailable` (unreachable, connection lost, transient), `unexpected` (anything else).
pub fn failure_counts() -> Vec<(&'static str, u64)> {
    vec![
        ("timeout", TIMEOUTS.load(Relaxed)),
        ("unavailable", UNAVAILABLE.load(Relaxed)),
        ("unexpected", UNEXPECTED.load(Relaxed)),
    ]
}

/// A call that got no answer within its deadline.
#[derive(Debug, thiserror::Error)]
#[error("MongoDB did not answer within {0:?}")]
struct NoAnswer(Duration);

/// The error for a call that got no answer within `timeout`, counted.
pub(super) fn timed_out(timeout: Duration) -> RepositoryError {
    TIMEOUTS.fetch_add(1, Relaxed);
    RepositoryError::Unavailable(Box::new(NoAnswer(timeout)))
}

/// Whether `error` means MongoDB did not answer at all (no reply in time, no server to
/// select, the connection gone), as opposed to an answer the caller did not want.
pub(super) fn unanswered(error: &RepositoryError) -> bool {
    let RepositoryError::Unavailable(source) = error else {
        return false;
    };
    if source.is::<NoAnswer>() {
        return true;
    }
    source.downcast_ref::<Error>().is_some_and(|driver| {
        matches!(
            driver.kind.as_ref(),
            ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::Shutdown
        )
    })
}

/// Translates a driver error into the domain's vocabulary: duplicate keys and outages get
/// their own variants, everything else is unexpected. Outages and unexpected errors are
/// counted.
pub(super) fn translate(error: Error) -> RepositoryError {
    let translated = classify(error);
    match translated {
        RepositoryError::Unavailable(_) => UNAVAILABLE.fetch_add(1, Relaxed),
        RepositoryError::Unexpected(_) => UNEXPECTED.fetch_add(1, Relaxed),
        _ => 0,
    };
    translated
}

fn classify(error: Error) -> RepositoryError {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == DUPLICATE_KEY => {
            RepositoryError::Duplicate
        }
        ErrorKind::Command(e) if e.code == DUPLICATE_KEY => RepositoryError::Duplicate,
        // An unordered insert whose only failures were keys already there.
        ErrorKind::InsertMany(failure)
            if failure.write_concern_error.is_none()
                && failure
                    .write_errors
                    .as_ref()
                    .is_some_and(|errors| errors.iter().all(|e| e.code == DUPLICATE_KEY)) =>
        {
            RepositoryError::Duplicate
        }
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::Shutdown => RepositoryError::Unavailable(Box::new(error)),
        _ if error.contains_label("RetryableWriteError")
            || error.contains_label("TransientTransactionError") =>
        {
            RepositoryError::Unavailable(Box::new(error))
        }
        _ => RepositoryError::Unexpected(Box::new(error)),
    }
}

/// Runs a driver operation within `timeout` and translates its error; running out of time
/// is `Unavailable`, so a hung server costs a request at most `timeout`.
pub(super) async fn bounded<T>(
    timeout: Duration,
    operation: impl IntoFuture<Output = Result<T, Error>>,
) -> Result<T, RepositoryError> {
    match tokio::time::timeout(timeout, operation.into_future()).await {
        Ok(result) => result.map_err(translate),
        Err(_) => Err(timed_out(timeout)),
    }
}

/// Creates plain (non-unique) indexes on `collection`. Idempotent: an index that exists
/// with the same keys is left alone, so every instance can run it at start-up.
pub(super) async fn create_indexes(
    database: &mongodb::Database,
    collection: &str,
    keys: impl IntoIterator<Item = mongodb::bson::Document>,
) -> Result<(), RepositoryError> {
    let models = keys
        .into_iter()
        .map(|k| mongodb::IndexModel::builder().keys(k).build());
    database
        .collection::<mongodb::bson::Document>(collection)
        .create_indexes(models)
        .await
        .map_err(translate)?;
    Ok(())
}

/// Creates the TTL index that removes a document of `collection` once the time in its
/// `field` has passed (the server's TTL monitor runs about once a minute). Idempotent.
pub(super) async fn create_expiry_index(
    database: &mongodb::Database,
    collection: &str,
    field: &str,
) -> Result<(), RepositoryError> {
    let expiry = IndexOptions::builder().expire_after(Duration::ZERO).build();
    create_field_index(database, collection, field, expiry).await
}

/// Creates a unique index on `field` over the documents that have it (sparse), so any
/// number may lack it. Idempotent.
pub(super) async fn create_unique_sparse_index(
    database: &mongodb::Database,
    collection: &str,
    field: &str,
) -> Result<(), RepositoryError> {
    let unique = IndexOptions::builder().unique(true).sparse(true).build();
    create_field_index(database, collection, field, unique).await
}

/// Creates an ascending index on `field` with `options`; idempotent.
async fn create_field_index(
    database: &mongodb::Database,
    collection: &str,
    field: &str,
    options: IndexOptions,
) -> Result<(), RepositoryError> {
    let index = mongodb::IndexModel::builder()
        .keys(mongodb::bson::doc! { field: 1 })
        .options(options)
        .build();
    database
        .collection::<mongodb::bson::Document>(collection)
        .create_index(index)
        .await
        .map_err(translate)?;
    Ok(())
}
