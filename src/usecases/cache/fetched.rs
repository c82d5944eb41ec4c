//! Where a value came from, so responses can say it (`X-Data-Source`).

/// Where a response's data came from, reported to clients as `X-Data-Source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSource {
    Cache,
    /// MongoDB, after the cache was asked and had nothing.
    Database,
    /// MongoDB, without asking the cache: caching is off, Redis is failing, or a repair is
    /// pending. The response cache reports these as `BYPASS`.
    DatabaseWithoutCache,
    /// The cache, from an entry past its TTL (see `staleness.rs`).
    StaleCache(Staleness),
}

/// How stale a served entry was and why it was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staleness {
    /// Time past the entry's TTL, in whole seconds.
    pub seconds: u64,
    pub reason: StaleReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// Within the revalidation window; one background refresh is running.
    Revalidating,
    /// MongoDB could not be read.
    Error,
}

impl DataSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cache | Self::StaleCache(_) => "cache",
            Self::Database | Self::DatabaseWithoutCache => "database",
        }
    }
}

/// A value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub value: T,
    pub source: DataSource,
}

impl<T> Fetched<T> {
    pub fn new(value: T, source: DataSource) -> Self {
        Self { value, source }
    }

    pub fn from_cache(value: T) -> Self {
        Self::new(value, DataSource::Cache)
    }

    pub fn from_database(value: T) -> Self {
        Self::new(value, DataSource::Database)
    }

    pub fn without_cache(value: T) -> Self {
        Self::new(value, DataSource::DatabaseWithoutCache)
    }
}
