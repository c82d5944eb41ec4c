//! Secrets every instance must share and Redis must not hold, kept in MongoDB's
//! `service_secrets` collection: the first instance to start creates one, every later
//! one reads it. MongoDB is the system of record, so a copy of the cache (an RDB file, a
//! key listing) never carries the secret that makes its keys unreadable.

use std::time::Duration;

use mongodb::bson::{doc, Document};
use mongodb::options::ReturnDocument;
use mongodb::Database;

use super::errors::bounded;
use crate::domain::error::RepositoryError;

const COLLECTION: &str = "service_secrets";
const SECRET_BYTES: usize = 32;

/// The secret called `name`, created (32 random bytes) if no instance has yet. Racing
/// first starts agree: the insert happens once and every caller reads the stored value.
pub async fn shared_secret(
    database: &Database,
    name: &str,
    timeout: Duration,
) -> Result<Vec<u8>, RepositoryError> {
    let fresh: [u8; SECRET_BYTES] = rand::random();
    let secrets = database.collection::<Document>(COLLECTION);
    let upsert = bounded(
        timeout,
        secrets
            .find_one_and_update(
                doc! { "_id": name },
                doc! { "$setOnInsert": { "secret": crate::domain::digest::hex(&fresh) } },
            )
            .upsert(true)
            .return_document(ReturnDocument::After),
    )
    .await;
    let stored = match upsert {
        Ok(stored) => stored,
        // Two first starts at once: the loser's upsert hits the unique `_id`; read the winner's.
        Err(RepositoryError::Duplicate) => {
            bounded(timeout, secrets.find_one(doc! { "_id": name })).await?
        }
        Err(error) => return Err(error),
    };
    let hex = stored
        .as_ref()
        .and_then(|d| d.get_str("secret").ok())
        .ok_or_else(|| RepositoryError::Unexpected(format!("secret {name} is missing").into()))?;
    decode_hex(hex)
        .filter(|bytes| bytes.len() == SECRET_BYTES)
        .ok_or_else(|| RepositoryError::Unexpected(format!("secret {name} is malformed").into()))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    hex.len()
        .is_multiple_of(2)
        .then(|| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let bytes = [0u8, 1, 171, 255];
        assert_eq!(
            decode_hex(&crate::domain::digest::hex(&bytes)),
            Some(bytes.to_vec())
        );
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
