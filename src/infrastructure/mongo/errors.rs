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
