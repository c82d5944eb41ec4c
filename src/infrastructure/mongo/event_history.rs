//! `EventHistory` on the outbox collection: entries keep the stream id they were published
//! under, and stay (relayed and settled) for the retention period.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use shaku::Component;

use super::errors::bounded;
use super::outbox::{parse_stream_key, stream_key, OutboxDocument, COLLECTION};
use crate::domain::error::RepositoryError;
use crate::domain::event::{EventId, StoredEvent};
use crate::domain::ports::{EventHistory, StreamPage};

#[derive(Component)]
#[shaku(interface = EventHistory)]
pub struct MongoEventHistory {
    database: Database,
    timeout: Duration,
}

impl MongoEventHistory {
    pub fn new(database: Database, timeout: Duration) -> Self {
        Self { database, timeout }
    }

    fn collection(&self) -> Collection<OutboxDocument> {
        self.database.collection(COLLECTION)
    }
}

#[async_trait]
impl EventHistory for MongoEventHistory {
    #[tracing::instrument(name = "mongo.history.read_after", level = "debug", skip_all)]
    async fn read_after(
        &self,
        after: EventId,
        before: Option<EventId>,
        limit: usize,
    ) -> Result<StreamPage, RepositoryError> {
        let mut range = doc! { "$gt": stream_key(after) };
        if let Some(before) = before {
            range.insert("$lt", stream_key(before));
        }
        let collection = self.collection();
        let find = collection
            .find(doc! { "streamKey": range })
            .sort(doc! { "streamKey": 1 })
            .limit(limit as i64);
        let documents: Vec<OutboxDocument> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        let mut page = StreamPage::default();
        for document in documents {
            page.returned += 1;
            let Some(id) = document.stream_key.as_deref().and_then(parse_stream_key) else {
                continue;
            };
            page.last = Some(id);
            if let Ok(entry) = document.into_entry() {
                page.events.push(StoredEvent {
                    id,
                    event: entry.event,
                });
            }
        }
        Ok(page)
    }

    #[tracing::instrument(name = "mongo.history.oldest", level = "debug", skip_all)]
    async fn oldest(&self) -> Result<Option<EventId>, RepositoryError> {
        let collection = self.collection();
        let find = collection
            .find_one(doc! { "streamKey": { "$exists": true } })
            .sort(doc! { "streamKey": 1 });
        let oldest = bounded(self.timeout, find).await?;
        Ok(oldest
            .and_then(|d| d.stream_key)
            .as_deref()
            .and_then(parse_stream_key))
    }
}
