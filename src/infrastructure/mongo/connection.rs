use std::time::Duration;

use mongodb::bson::doc;
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

/// How to reach MongoDB and how long to wait for it.
#[derive(Debug, Clone)]
pub struct MongoSettings {
    pub uri: crate::infrastructure::connection_string::ConnectionString,
    pub database: String,
    /// Bound on finding a usable server for one operation; past it the request gets 503.
    pub server_selection_timeout: Duration,
    /// Bound on any one repository call, so a hung server cannot hold a request forever.
    pub operation_timeout: Duration,
    /// Bound on the first successful ping at start-up.
    pub startup_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MongoStartupError {
    #[error("MONGODB_URI is not a valid MongoDB connection string")]
    InvalidUri(#[source] mongodb::error::Error),
    #[error("MongoDB did not answer within {0:?}; is it running and is MONGODB_URI right?")]
    Unreachable(Duration, #[source] mongodb::error::Error),
    #[error("MongoDB did not answer within {0:?}; is it running and is MONGODB_URI right?")]
    TimedOut(Duration),
}

/// Connects and waits (bounded) until the server answers a ping, so a wrong URI is a clear
/// start-up error rather than a stream of 503s. The driver reconnects by itself afterwards.
pub async fn connect(settings: &MongoSettings) -> Result<Database, MongoStartupError> {
    let mut options = ClientOptions::parse(settings.uri.expose())
        .await
        .map_err(MongoStartupError::InvalidUri)?;
    options.app_name = Some(env!("CARGO_PKG_NAME").to_owned());
    options.server_selection_timeout = Some(settings.server_selection_timeout);
    options.connect_timeout = Some(settings.server_selection_timeout);
    let client = Client::with_options(options).map_err(MongoStartupError::InvalidUri)?;
    let database = client.database(&settings.database);

    let deadline = tokio::time::Instant::now() + settings.startup_timeout;
    loop {
        let attempt = tokio::time::timeout_at(deadline, database.run_command(doc! { "ping": 1 }));
        match attempt.await {
            Ok(Ok(_)) => return Ok(database),
            Ok(Err(error)) if tokio::time::Instant::now() >= deadline => {
                return Err(MongoStartupError::Unreachable(
                    settings.startup_timeout,
                    error,
                ))
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "MongoDB not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(_) => return Err(MongoStartupError::TimedOut(settings.startup_timeout)),
        }
    }
}
