//! Why an instance could not start.

use crate::domain::error::RepositoryError;
use crate::infrastructure::mongo::MongoStartupError;
use crate::infrastructure::redis::RedisStartupError;
use crate::usecases::auth::AuthError;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Mongo(#[from] MongoStartupError),
    #[error("MongoDB maintenance failed")]
    Indexes(#[source] RepositoryError),
    #[error("could not read or create the shared client-key secret in MongoDB")]
    Secret(#[source] RepositoryError),
    #[error(transparent)]
    Redis(#[from] RedisStartupError),
    #[error("could not ensure the admin account")]
    Admin(#[source] AuthError),
    #[error(
        "{created} products created, but their cache updates could not be made (Redis \
         unreachable); once Redis is back, clear the cache: DELETE /api/cache/invalidate?scope=all"
    )]
    CacheNotSettled { created: u32 },
    #[error("export stopped: {0}")]
    Export(String),
    #[error("could not listen on {address}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}
