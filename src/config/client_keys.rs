//! Where the secret behind per-client keys comes from.

use mongodb::Database;

use super::{Settings, StartupError};
use crate::domain::client_key::ClientKeys;
use crate::infrastructure::mongo;

/// `CLIENT_KEY_SECRET` when set; else the secret every instance shares through MongoDB,
/// created by the first instance that starts. Either way all instances of one deployment
/// key a client alike, so limits hold across them.
pub async fn client_keys(
    settings: &Settings,
    database: &Database,
) -> Result<ClientKeys, StartupError> {
    if let Some(keys) = &settings.client_keys {
        return Ok(keys.clone());
    }
    let secret = mongo::shared_secret(database, "client-keys", settings.mongo.operation_timeout)
        .await
        .map_err(StartupError::Secret)?;
    Ok(ClientKeys::new(&secret))
}
