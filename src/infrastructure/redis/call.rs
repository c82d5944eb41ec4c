use std::future::Future;
use std::time::Duration;

use fred::error::ErrorKind;
use fred::prelude::{Client, ClientLike};

use crate::domain::error::CacheError;

/// Runs one Redis command within `timeout`. When the client is not connected it fails at
/// once instead of queueing behind a reconnect, so an outage costs requests nothing;
/// connection-level failures are `Unavailable`, server replies of the wrong kind `Command`.
pub(super) async fn bounded_call<T>(
    client: &Client,
    timeout: Duration,
    command: impl Future<Output = Result<T, fred::error::Error>>,
) -> Result<T, CacheError> {
    if !client.is_connected() {
        return Err(CacheError::Unavailable("Redis is not connected".into()));
    }
    match tokio::time::timeout(timeout, command).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => match error.kind() {
            ErrorKind::IO | ErrorKind::Timeout | ErrorKind::Canceled | ErrorKind::Backpressure => {
                Err(CacheError::Unavailable(Box::new(error)))
            }
            _ => Err(CacheError::Command(Box::new(error))),
        },
        Err(_) => Err(CacheError::Unavailable(
            format!("Redis did not answer within {timeout:?}").into(),
        )),
    }
}
