use std::future::Future;
use std::time::Duration;

use fred::error::ErrorKind;
use fred::prelude::{Client, ClientLike};

use super::circuit::circuit_for;
use crate::domain::error::{CacheError, CacheFailureKind};

/// Runs one Redis command within `timeout`. When the client is not connected, or its
/// circuit is open (Redis stopped answering), it fails at once instead of waiting, so an
/// outage or a hung server costs requests nothing; connection-level failures are
/// `Unavailable`, the rest by cause (see `translate`).
pub(super) async fn bounded_call<T>(
    client: &Client,
    timeout: Duration,
    command: impl Future<Output = Result<T, fred::error::Error>>,
) -> Result<T, CacheError> {
    if !client.is_connected() {
        return Err(not_connected());
    }
    let circuit = circuit_for(client);
    if circuit.is_open() {
        return Err(CacheError::Unavailable(
            "Redis is not answering (circuit open)".into(),
        ));
    }
    let result = within(timeout, command).await;
    match &result {
        Ok(_) => circuit.succeeded(),
        Err(error) if error.kind() == CacheFailureKind::Timeout => circuit.timed_out(),
        Err(_) => {}
    }
    result
}

/// Runs one command within `timeout` without the circuit: the whole of a call for a
/// client of its own that blocks (`XREAD BLOCK`, bounded by the block plus the command
/// timeout). That client is not heartbeated (a ping would queue behind the block), so a
/// circuit opened by its calls would never be closed; a hung connection is closed by
/// fred's unresponsive check instead.
pub(super) async fn bounded_blocking_call<T>(
    client: &Client,
    timeout: Duration,
    command: impl Future<Output = Result<T, fred::error::Error>>,
) -> Result<T, CacheError> {
    if !client.is_connected() {
        return Err(not_connected());
    }
    within(timeout, command).await
}

/// `command` bounded by `timeout`, its failure translated: the part both calls share.
async fn within<T>(
    timeout: Duration,
    command: impl Future<Output = Result<T, fred::error::Error>>,
) -> Result<T, CacheError> {
    match tokio::time::timeout(timeout, command).await {
        Ok(result) => result.map_err(|error| translate(error, timeout)),
        Err(_) => Err(CacheError::timed_out(timeout)),
    }
}

fn not_connected() -> CacheError {
    CacheError::Unavailable("Redis is not connected".into())
}

/// Sorts a fred error by cause, so failures can be counted and logged by kind.
fn translate(error: fred::error::Error, timeout: Duration) -> CacheError {
    match error.kind() {
        ErrorKind::Timeout => CacheError::timed_out(timeout),
        ErrorKind::IO | ErrorKind::Canceled | ErrorKind::Backpressure => {
            CacheError::Unavailable(Box::new(error))
        }
        _ if error.details().starts_with("WRONGTYPE") => CacheError::WrongType(Box::new(error)),
        _ if is_script_error(error.details()) => CacheError::Script(Box::new(error)),
        _ => CacheError::Command(Box::new(error)),
    }
}

/// Error replies raised by or around a Lua script (`ERR Error running script`, `NOSCRIPT`,
/// `BUSY`, `@user_script:` positions).
fn is_script_error(details: &str) -> bool {
    details.contains("script") || details.starts_with("NOSCRIPT") || details.starts_with("BUSY")
}
