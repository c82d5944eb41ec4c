use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};
use shaku::Component;

use super::errors::{bounded, create_indexes};
use crate::domain::error::RepositoryError;
use crate::domain::event::ProductEvent;
use crate::domain::outbox::{OutboxEntry, OutboxId};
use crate::domain::ports::Outbox;

pub(super) const COLLECTION: &str = "outbox";

/// One outbox entry as stored. The event is kept as its JSON text, exactly what the relay
/// publishes, so no BSON mapping can alter it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutboxDocument {
    #[serde(rename = "_id")]
    id: ObjectId,
    product_id: String,
    version: i64,
    event: String,
    origin: String,
    recorded_at: mongodb::bson::DateTime,
    relayed: bool,
    cache_settled: bool,
}

impl OutboxDocument {
    pub(super) fn new(event: &ProductEvent, origin: &str) -> Result<Self, RepositoryError> {
        Ok(Self {
            id: ObjectId::new(),
            product_id: event.product_id.clone(),
            version: event.version as i64,
            event: serde_json::to_string(event)
                .map_err(|e| RepositoryError::Unexpected(Box::new(e)))?,
            origin: origin.to_owned(),
            recorded_at: mongodb::bson::DateTime::from_millis(event.at.timestamp_millis()),
            relayed: false,
            cache_settled: false,
        })
    }

    pub(super) fn id(&self) -> OutboxId {
        OutboxId(self.id.to_hex())
    }

    fn into_entry(self) -> Result<OutboxEntry, RepositoryError> {
        let event = serde_json::from_str(&self.event)
            .map_err(|e| RepositoryError::Unexpected(Box::new(e)))?;
        Ok(OutboxEntry {
            id: OutboxId(self.id.to_hex()),
            event,
            origin: self.origin,
            recorded_at: DateTime::from_timestamp_millis(self.recorded_at.timestamp_millis())
                .unwrap_or_default(),
        })
    }
}

/// `Outbox` on a MongoDB collection; the product repository inserts into it inside its
/// write transactions.
#[derive(Component)]
#[shaku(interface = Outbox)]
pub struct MongoOutbox {
    database: Database,
    timeout: Duration,
}

impl MongoOutbox {
    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        let keys = [
            doc! { "relayed": 1, "productId": 1, "version": 1 },
            doc! { "cacheSettled": 1, "recordedAt": 1 },
        ];
        create_indexes(database, COLLECTION, keys).await
    }

    fn collection(&self) -> Collection<OutboxDocument> {
        self.database.collection(COLLECTION)
    }

    async fn find(
        &self,
        filter: Document,
        sort: Document,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, RepositoryError> {
        let collection = self.collection();
        let find = collection.find(filter).sort(sort).limit(limit as i64);
        let documents: Vec<OutboxDocument> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        // An entry whose event no longer parses (edited by hand) is skipped, not allowed
        // to stop the relay for every other entry.
        Ok(documents
            .into_iter()
            .filter_map(|document| {
                let id = document.id();
                document
                    .into_entry()
                    .inspect_err(
                        |_| tracing::warn!(entry = %id.0, "unreadable outbox entry skipped"),
                    )
                    .ok()
            })
            .collect())
    }
}

fn object_ids(ids: &[OutboxId]) -> Vec<ObjectId> {
    ids.iter()
        .filter_map(|id| ObjectId::parse_str(&id.0).ok())
        .collect()
}

#[async_trait]
impl Outbox for MongoOutbox {
    #[tracing::instrument(name = "mongo.outbox.unrelayed", level = "debug", skip_all)]
    async fn unrelayed(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepositoryError> {
        self.find(
            doc! { "relayed": false },
            doc! { "productId": 1, "version": 1 },
            limit,
        )
        .await
    }

    #[tracing::instrument(name = "mongo.outbox.unsettled", level = "debug", skip_all)]
    async fn unsettled(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, RepositoryError> {
        let before = mongodb::bson::DateTime::from_millis(before.timestamp_millis());
        self.find(
            doc! { "cacheSettled": false, "recordedAt": { "$lt": before } },
            doc! { "recordedAt": 1 },
            limit,
        )
        .await
    }

    #[tracing::instrument(name = "mongo.outbox.mark", level = "debug", skip_all)]
    async fn mark(
        &self,
        relayed: &[OutboxId],
        settled: &[OutboxId],
    ) -> Result<(), RepositoryError> {
        let collection = self.database.collection::<Document>(COLLECTION);
        for (ids, field) in [(relayed, "relayed"), (settled, "cacheSettled")] {
            if ids.is_empty() {
                continue;
            }
            let filter = doc! { "_id": { "$in": object_ids(ids) } };
            let update = doc! { "$set": { field: true } };
            bounded(self.timeout, collection.update_many(filter, update)).await?;
        }
        let done = doc! { "relayed": true, "cacheSettled": true };
        bounded(self.timeout, collection.delete_many(done)).await?;
        Ok(())
    }

    #[tracing::instrument(name = "mongo.outbox.pending", level = "debug", skip_all)]
    async fn pending(&self) -> Result<u64, RepositoryError> {
        bounded(self.timeout, self.collection().count_documents(doc! {})).await
    }
}
