//! The product event stream on a Redis Stream: an idempotent publish script for the outbox
//! relay, and range / blocking reads for the instance's one stream reader and for replays.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{Client, StreamsInterface};
use shaku::Component;

use super::call::{bounded_blocking_call, bounded_call};
use super::scripts::{PUBLISH_EVENT, REPLAY_START};
use crate::domain::error::CacheError;
use crate::domain::event::{EventId, ProductEvent, StoredEvent};
use crate::domain::ports::{EventLog, EventPublisher, Publication, StreamPage};

/// The product event stream, and the last version published per product (a hash) that
/// makes publishing idempotent. One hash tag: the publish script touches both, in one slot
/// on a cluster.
const EVENT_STREAM: &str = "events:{products}:stream";
const EVENT_VERSIONS: &str = "events:{products}:versions";

/// `EventPublisher` on the stream. `max_len` bounds the stream (trimmed approximately,
/// which costs Redis nothing extra).
#[derive(Component)]
#[shaku(interface = EventPublisher)]
pub struct RedisEventPublisher {
    client: Client,
    key_prefix: String,
    timeout: Duration,
    max_len: u64,
}

#[async_trait]
impl EventPublisher for RedisEventPublisher {
    #[tracing::instrument(name = "redis.events.publish", level = "debug", skip_all, fields(product = %event.product_id, version = event.version))]
    async fn publish(&self, event: &ProductEvent) -> Result<Publication, CacheError> {
        let keys = vec![
            format!("{}{}", self.key_prefix, EVENT_STREAM),
            format!("{}{}", self.key_prefix, EVENT_VERSIONS),
        ];
        let data = serde_json::to_string(event).map_err(|e| CacheError::Command(Box::new(e)))?;
        let args = vec![
            event.product_id.clone(),
            event.version.to_string(),
            event.kind.as_str().to_owned(),
            data,
            self.max_len.to_string(),
        ];
        let id: Option<String> = bounded_call(
            &self.client,
            self.timeout,
            PUBLISH_EVENT.evalsha_with_reload(&self.client, keys, args),
        )
        .await?;
        Ok(match id.as_deref().and_then(EventId::parse) {
            Some(id) => Publication::Appended(id),
            None => Publication::AlreadyPublished,
        })
    }
}

/// `EventLog` on the stream. `blocking` is a client of its own for `XREAD BLOCK`.
#[derive(Component)]
#[shaku(interface = EventLog)]
pub struct RedisEventLog {
    client: Client,
    blocking: Client,
    key_prefix: String,
    timeout: Duration,
}

/// One stream entry as Redis returns it: its id and its fields.
type Entry = (String, HashMap<String, String>);

/// An entry back into an event; `None` for entries that are not ours (or corrupt).
fn stored(id: EventId, fields: &HashMap<String, String>) -> Option<StoredEvent> {
    let event = serde_json::from_str(fields.get("data")?).ok()?;
    Some(StoredEvent { id, event })
}

/// The page of `entries`: every entry moves the cursor, only events are kept.
fn page(entries: impl IntoIterator<Item = Entry>) -> StreamPage {
    let mut page = StreamPage::default();
    for (id, fields) in entries {
        page.returned += 1;
        // Ids are Redis' own (`<ms>-<seq>`); one that does not parse cannot be in a stream.
        let Some(id) = EventId::parse(&id) else {
            continue;
        };
        page.last = Some(id);
        page.events.extend(stored(id, &fields));
    }
    page
}

impl RedisEventLog {
    pub fn new(client: Client, blocking: Client, key_prefix: String, timeout: Duration) -> Self {
        Self {
            client,
            blocking,
            key_prefix,
            timeout,
        }
    }

    fn key(&self) -> String {
        format!("{}{}", self.key_prefix, EVENT_STREAM)
    }

    async fn call<T>(
        &self,
        command: impl Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, CacheError> {
        bounded_call(&self.client, self.timeout, command).await
    }

    async fn first(&self) -> Result<Option<EventId>, CacheError> {
        let entries: Vec<Entry> = self
            .call(self.client.xrange(self.key(), "-", "+", Some(1)))
            .await?;
        Ok(entries.first().and_then(|(id, _)| EventId::parse(id)))
    }

    async fn last(&self) -> Result<Option<EventId>, CacheError> {
        let entries: Vec<Entry> = self
            .call(self.client.xrevrange(self.key(), "+", "-", Some(1)))
            .await?;
        Ok(entries.first().and_then(|(id, _)| EventId::parse(id)))
    }
}

#[async_trait]
impl EventLog for RedisEventLog {
    #[tracing::instrument(name = "redis.events.read_after", level = "debug", skip_all)]
    async fn read_after(&self, after: EventId, limit: usize) -> Result<StreamPage, CacheError> {
        let start = format!("({after}");
        let entries: Vec<Entry> = self
            .call(
                self.client
                    .xrange(self.key(), start, "+", Some(limit as u64)),
            )
            .await?;
        Ok(page(entries))
    }

    async fn wait_after(
        &self,
        after: EventId,
        block: Duration,
        limit: usize,
    ) -> Result<StreamPage, CacheError> {
        let key = self.key();
        let response = bounded_blocking_call(
            &self.blocking,
            block + self.timeout,
            self.blocking
                .xread_map::<String, String, String, String, _, _>(
                    Some(limit as u64),
                    Some(block.as_millis() as u64),
                    key.clone(),
                    after.to_string(),
                ),
        )
        .await?;
        Ok(page(response.into_values().flatten()))
    }

    #[tracing::instrument(name = "redis.events.replay_start", level = "debug", skip_all)]
    async fn replay_start(
        &self,
        after: EventId,
        max: usize,
    ) -> Result<Option<EventId>, CacheError> {
        let start: Option<String> = self
            .call(REPLAY_START.evalsha_with_reload(
                &self.client,
                vec![self.key()],
                vec![after.to_string(), max.to_string()],
            ))
            .await?;
        Ok(start.as_deref().and_then(EventId::parse))
    }

    async fn first_id(&self) -> Result<Option<EventId>, CacheError> {
        self.first().await
    }

    async fn last_id(&self) -> Result<Option<EventId>, CacheError> {
        self.last().await
    }
}
