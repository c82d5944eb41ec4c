//! `EventHistory` on its own collection: one document per published event, its `_id` the
//! stream id zero-padded (so string order is stream order, and keeping one twice is a
//! duplicate key, ignored), removed by a TTL index `retention` after it was kept.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use futures_util::TryStreamExt;
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};
use shaku::Component;

use super::errors::{bounded, create_expiry_index};
use crate::domain::error::RepositoryError;
use crate::domain::event::{EventId, StoredEvent};
use crate::domain::ports::{EventHistory, StreamPage};

const COLLECTION: &str = "event_history";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryDocument {
    /// The stream id, zero-padded.
    #[serde(rename = "_id")]
    id: String,
    /// The event as published (its JSON text).
    event: String,
    expire_at: mongodb::bson::DateTime,
}

fn key(id: EventId) -> String {
    format!("{:020}-{:020}", id.millis, id.sequence)
}

#[derive(Component)]
#[shaku(interface = EventHistory)]
pub struct MongoEventHistory {
    database: Database,
    timeout: Duration,
    retention: Duration,
}

impl MongoEventHistory {
    pub fn new(database: Database, timeout: Duration, retention: Duration) -> Self {
        Self {
            database,
            timeout,
            retention,
        }
    }

    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        create_expiry_index(database, COLLECTION, "expireAt").await
    }

    fn collection(&self) -> Collection<HistoryDocument> {
        self.database.collection(COLLECTION)
    }
}

#[async_trait]
impl EventHistory for MongoEventHistory {
    #[tracing::instrument(name = "mongo.history.keep", level = "debug", skip_all)]
    async fn keep(&self, events: &[StoredEvent]) -> Result<(), RepositoryError> {
        let expire_at = mongodb::bson::DateTime::from_millis(
            Utc::now().timestamp_millis() + self.retention.as_millis() as i64,
        );
        let documents: Vec<HistoryDocument> = events
            .iter()
            .filter_map(|stored| {
                Some(HistoryDocument {
                    id: key(stored.id),
                    event: serde_json::to_string(&stored.event).ok()?,
                    expire_at,
                })
            })
            .collect();
        if documents.is_empty() {
            return Ok(());
        }
        let collection = self.collection();
        let insert = collection.insert_many(documents).ordered(false);
        // Ids kept before (another relay's round, or this one's retried) change nothing.
        match bounded(self.timeout, insert).await {
            Ok(_) | Err(RepositoryError::Duplicate) => Ok(()),
            Err(error) => Err(error),
        }
    }

    #[tracing::instrument(name = "mongo.history.read_after", level = "debug", skip_all)]
    async fn read_after(
        &self,
        after: EventId,
        before: Option<EventId>,
        limit: usize,
    ) -> Result<StreamPage, RepositoryError> {
        let mut range = doc! { "$gt": key(after) };
        if let Some(before) = before {
            range.insert("$lt", key(before));
        }
        let collection = self.collection();
        let find = collection
            .find(doc! { "_id": range })
            .sort(doc! { "_id": 1 })
            .limit(limit as i64);
        let documents: Vec<HistoryDocument> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        let mut page = StreamPage::default();
        for document in documents {
            page.returned += 1;
            let Some(id) = EventId::parse(&document.id) else {
                continue;
            };
            page.last = Some(id);
            if let Ok(event) = serde_json::from_str(&document.event) {
                page.events.push(StoredEvent { id, event });
            }
        }
        Ok(page)
    }

    #[tracing::instrument(name = "mongo.history.oldest", level = "debug", skip_all)]
    async fn oldest(&self) -> Result<Option<EventId>, RepositoryError> {
        let collection = self.collection();
        let find = collection.find_one(doc! {}).sort(doc! { "_id": 1 });
        let oldest = bounded(self.timeout, find).await?;
        Ok(oldest.and_then(|d| EventId::parse(&d.id)))
    }
}
