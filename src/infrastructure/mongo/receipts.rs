//! Idempotency receipts (`domain::idempotency`) in their own collection, one document per
//! account and key, removed by a TTL index when they expire. The product repository
//! stores them inside its write transactions (`stored_in`, `store_in`); `ReceiptStore`
//! reads them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use mongodb::bson::doc;
use mongodb::{ClientSession, Collection, Database};
use serde::{Deserialize, Serialize};
use shaku::Component;

use super::errors::{bounded, create_expiry_index};
use super::product_document::{to_bson_time, ProductDocument};
use crate::domain::error::RepositoryError;
use crate::domain::idempotency::{Receipt, StoredReceipt};
use crate::domain::ports::ReceiptStore;
use crate::domain::product::Product;

const COLLECTION: &str = "idempotency_receipts";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptDocument {
    /// The receipt id: a digest of the account and the key.
    #[serde(rename = "_id")]
    id: String,
    fingerprint: String,
    /// The product as the write left it: the body of the answer a repeat replays.
    product: ProductDocument,
    expire_at: mongodb::bson::DateTime,
}

fn collection(database: &Database) -> Collection<ReceiptDocument> {
    database.collection(COLLECTION)
}

/// Whether `receipt`'s id is already stored, as `session`'s transaction sees it.
pub(super) async fn stored_in(
    database: &Database,
    session: &mut ClientSession,
    receipt: &Receipt,
) -> Result<bool, mongodb::error::Error> {
    let found = database
        .collection::<mongodb::bson::Document>(COLLECTION)
        .find_one(doc! { "_id": &receipt.id })
        .projection(doc! { "_id": 1 })
        .session(session)
        .await?;
    Ok(found.is_some())
}

/// Stores `receipt` with `product` inside `session`'s transaction. Two transactions storing
/// one id conflict, and the one that retries finds the other's.
pub(super) async fn store_in(
    database: &Database,
    session: &mut ClientSession,
    receipt: &Receipt,
    product: &Product,
) -> Result<Result<(), RepositoryError>, mongodb::error::Error> {
    let product = match ProductDocument::of(product) {
        Ok(product) => product,
        Err(error) => return Ok(Err(error)),
    };
    let document = ReceiptDocument {
        id: receipt.id.clone(),
        fingerprint: receipt.fingerprint.clone(),
        product,
        expire_at: to_bson_time(receipt.expires_at),
    };
    collection(database)
        .insert_one(document)
        .session(session)
        .await?;
    Ok(Ok(()))
}

/// `ReceiptStore` on the receipts collection.
#[derive(Component)]
#[shaku(interface = ReceiptStore)]
pub struct MongoReceiptStore {
    database: Database,
    timeout: Duration,
}

impl MongoReceiptStore {
    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        create_expiry_index(database, COLLECTION, "expireAt").await
    }
}

#[async_trait]
impl ReceiptStore for MongoReceiptStore {
    #[tracing::instrument(name = "mongo.receipt.find", level = "debug", skip_all)]
    async fn find(&self, id: &str) -> Result<Option<StoredReceipt>, RepositoryError> {
        // The TTL monitor runs about once a minute; an expired receipt is gone from here at
        // once.
        let unexpired = doc! { "_id": id, "expireAt": { "$gt": to_bson_time(Utc::now()) } };
        let found = bounded(self.timeout, collection(&self.database).find_one(unexpired)).await?;
        found
            .map(|document| {
                Ok(StoredReceipt {
                    fingerprint: document.fingerprint,
                    product: document.product.into_product()?,
                })
            })
            .transpose()
    }
}
