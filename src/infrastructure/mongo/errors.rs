use std::future::IntoFuture;
use std::time::Duration;

use mongodb::error::{Error, ErrorKind, WriteFailure};

use crate::domain::error::RepositoryError;

const DUPLICATE_KEY: i32 = 11000;

/// Translates a driver error into the domain's vocabulary: duplicate keys and outages get
/// their own variants, everything else is unexpected.
pub(super) fn translate(error: Error) -> RepositoryError {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == DUPLICATE_KEY => {
            RepositoryError::Duplicate
        }
        ErrorKind::Command(e) if e.code == DUPLICATE_KEY => RepositoryError::Duplicate,
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
        Err(_) => Err(RepositoryError::Unavailable(
            format!("MongoDB did not answer within {timeout:?}").into(),
        )),
    }
}
