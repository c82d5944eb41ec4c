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
}

impl DataSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cache => "cache",
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
