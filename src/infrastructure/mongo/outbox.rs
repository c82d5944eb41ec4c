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
use crate::domain::event::{EventId, ProductEvent};
use crate::domain::outbox::{OutboxEntry, OutboxId, Relayed};
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
    /// The stream id it was published under (`stream_key`), once relayed: the event
    /// history is read by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) stream_key: Option<String>,
    /// When a relayed and settled entry is removed (TTL index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expire_at: Option<mongodb::bson::DateTime>,
}

/// A stream id as stored: zero-padded, so its string order is the stream's order.
pub(super) fn stream_key(id: EventId) -> String {
    format!("{:020}-{:020}", id.millis, id.sequence)
}

pub(super) fn parse_stream_key(key: &str) -> Option<EventId> {
    let (millis, sequence) = key.split_once('-')?;
    Some(EventId {
        millis: millis.parse().ok()?,
        sequence: sequence.parse().ok()?,
    })
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
            stream_key: None,
            expire_at: None,
        })
    }

    pub(super) fn id(&self) -> OutboxId {
        OutboxId(self.id.to_hex())
    }

    pub(super) fn into_entry(self) -> Result<OutboxEntry, RepositoryError> {
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
/// write transactions. Entries both relayed and settled stay `retention` longer as the
/// event history (`MongoEventHistory`), then a TTL index removes them.
#[derive(Component)]
#[shaku(interface = Outbox)]
pub struct MongoOutbox {
    database: Database,
    timeout: Duration,
    retention: Duration,
}

impl MongoOutbox {
    pub fn new(database: Database, timeout: Duration, retention: Duration) -> Self {
        Self {
            database,
            timeout,
            retention,
        }
    }

    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        let keys = [
            doc! { "relayed": 1, "productId": 1, "version": 1 },
            doc! { "cacheSettled": 1, "recordedAt": 1 },
            doc! { "streamKey": 1 },
        ];
        create_indexes(database, COLLECTION, keys).await?;
        let expiry = mongodb::IndexModel::builder()
            .keys(doc! { "expireAt": 1 })
            .options(
                mongodb::options::IndexOptions::builder()
                    .expire_after(Duration::ZERO)
                    .build(),
            )
            .build();
        database
            .collection::<Document>(COLLECTION)
            .create_index(expiry)
            .await
            .map_err(super::errors::translate)?;
        Ok(())
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
    async fn mark(&self, relayed: &[Relayed], settled: &[OutboxId]) -> Result<(), RepositoryError> {
        let collection = self.database.collection::<Document>(COLLECTION);
        let (with_key, without_key): (Vec<&Relayed>, Vec<&Relayed>) =
            relayed.iter().partition(|r| r.stream_id.is_some());
        for entry in with_key {
            let (Ok(id), Some(stream_id)) = (ObjectId::parse_str(&entry.id.0), entry.stream_id)
            else {
                continue;
            };
            let update = doc! { "$set": { "relayed": true, "streamKey": stream_key(stream_id) } };
            bounded(
                self.timeout,
                collection.update_one(doc! { "_id": id }, update),
            )
            .await?;
        }
        let others: Vec<OutboxId> = without_key.into_iter().map(|r| r.id.clone()).collect();
        for (ids, field) in [(&others[..], "relayed"), (settled, "cacheSettled")] {
            if ids.is_empty() {
                continue;
            }
            let filter = doc! { "_id": { "$in": object_ids(ids) } };
            let update = doc! { "$set": { field: true } };
            bounded(self.timeout, collection.update_many(filter, update)).await?;
        }
        // Done entries become history until their expiry; only the ones just marked are
        // looked at (by id), however much history is kept.
        let touched: Vec<OutboxId> = relayed
            .iter()
            .map(|r| r.id.clone())
            .chain(settled.iter().cloned())
            .collect();
        let expire_at = mongodb::bson::DateTime::from_millis(
            Utc::now().timestamp_millis() + self.retention.as_millis() as i64,
        );
        let done = doc! {
            "_id": { "$in": object_ids(&touched) },
            "relayed": true,
            "cacheSettled": true,
            "expireAt": { "$exists": false },
        };
        let update = doc! { "$set": { "expireAt": expire_at } };
        bounded(self.timeout, collection.update_many(done, update)).await?;
        Ok(())
    }

    #[tracing::instrument(name = "mongo.outbox.pending", level = "debug", skip_all)]
    async fn pending(&self) -> Result<u64, RepositoryError> {
        let waiting = doc! { "$or": [ { "relayed": false }, { "cacheSettled": false } ] };
        bounded(self.timeout, self.collection().count_documents(waiting)).await
    }
}
