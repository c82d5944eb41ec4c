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
    /// The write would give a product a SKU that another product (`holder`) has.
    #[error("sku {sku} is already used by product {holder}")]
    SkuTaken { sku: String, holder: String },
    /// A keyed write found its receipt already stored: a request with its idempotency key
    /// committed first, and this one changed nothing.
    #[error("a write with this idempotency key already committed")]
    AlreadyApplied,
    /// The store could not be reached in time; the operation may succeed later.
    #[error("data store unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a corrupt record.
    #[error("data store failure")]
    Unexpected(#[source] BoxError),
}

/// What the cache port can report. Callers treat every variant as a miss: Redis trouble
/// must never fail a request that MongoDB can answer. The variants exist so failures can be
/// counted and logged by cause.
#[derive(Debug, Error)]
pub enum CacheError {
    /// Not connected, the connection failed during the call, or no answer came within the
    /// configured bound (then the source is a `TimedOut`).
    #[error("cache unavailable")]
    Unavailable(#[source] BoxError),
    /// A server-side script failed.
    #[error("cache script failed")]
    Script(#[source] BoxError),
    /// A key held a value of another type than the command expects.
    #[error("cache key holds the wrong type")]
    WrongType(#[source] BoxError),
    /// Any other error reply, or a reply of an unexpected shape.
    #[error("cache command failed")]
    Command(#[source] BoxError),
}

/// The cause of a cache failure, for counting and logging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheFailureKind {
    Connection,
    Timeout,
    Script,
    WrongType,
    Command,
}

impl CacheFailureKind {
    pub const ALL: [Self; 5] = [
        Self::Connection,
        Self::Timeout,
        Self::Script,
        Self::WrongType,
        Self::Command,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connection => "connection",
            Self::Timeout => "timeout",
            Self::Script => "script",
            Self::WrongType => "wrong_type",
            Self::Command => "command",
        }
    }
}

/// The cause of an `Unavailable` cache error when the server did not answer in time.
#[derive(Debug, Error)]
#[error("no answer within {0:?}")]
pub struct TimedOut(pub std::time::Duration);

impl CacheError {
    /// A call that got no answer within `bound`.
    pub fn timed_out(bound: std::time::Duration) -> Self {
        Self::Unavailable(Box::new(TimedOut(bound)))
    }

    pub fn kind(&self) -> CacheFailureKind {
        match self {
            Self::Unavailable(cause) if cause.is::<TimedOut>() => CacheFailureKind::Timeout,
            Self::Unavailable(_) => CacheFailureKind::Connection,
            Self::Script(_) => CacheFailureKind::Script,
            Self::WrongType(_) => CacheFailureKind::WrongType,
            Self::Command(_) => CacheFailureKind::Command,
        }
    }
}

/// Renders `error` and its sources as `a: b: c` for one log line. The one formatter of
/// error chains in the service.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
