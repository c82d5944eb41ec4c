//! Errors that ports report. Adapters translate driver errors into these at the boundary,
//! so use cases can decide on meaning (missing, duplicate, outage) without knowing the driver.

use thiserror::Error;

/// A boxed cause, kept so the interface layer can log the whole chain once.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a repository (system of record) can report.
#[derive(Debug, Error)]
pub enum RepositoryError {
    /// The addressed record does not exist.
    #[error("record not found")]
    NotFound,
    /// A unique constraint rejected the write.
    #[error("duplicate record")]
    Duplicate,
    /// A conditional write found a different version than the one expected.
    #[error("version conflict")]
    VersionConflict,
    /// The store could not be reached in time; the operation may succeed later.
    #[error("data store unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a corrupt record.
    #[error("data store failure")]
    Unexpected(#[source] BoxError),
}

/// What the cache port can report. Callers treat every variant as a miss: Redis trouble
/// must never fail a request that MongoDB can answer.
#[derive(Debug, Error)]
pub enum CacheError {
    /// Not connected, or the call did not finish within its timeout.
    #[error("cache unavailable")]
    Unavailable(#[source] BoxError),
    /// The server answered with an error or a value of the wrong shape.
    #[error("cache command failed")]
    Command(#[source] BoxError),
}
