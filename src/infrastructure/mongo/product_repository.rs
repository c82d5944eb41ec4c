use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Document};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database};
use shaku::Component;

use super::errors::{bounded, create_indexes};
use super::outbox::{OutboxDocument, COLLECTION as OUTBOX};
use super::product_document::{image_strings, to_bson_time, ProductDocument};
use super::product_filter::{sort_document, to_document};
use super::transaction::{commit, retrying};
use crate::domain::error::RepositoryError;
use crate::domain::event::ProductEvent;
use crate::domain::outbox::Recorded;
use crate::domain::ports::ProductRepository;
use crate::domain::product::{NewProduct, Product, ProductChanges, ProductId, Version};
use crate::domain::query::{PageRequest, ProductFilter, ProductSort};

const COLLECTION: &str = "products";

/// `ProductRepository` on a MongoDB collection. Every write is one transaction: the
/// product change (which bumps `version`) and its event in the outbox commit together, so
/// no event is lost and none describes a change that did not happen. Every call is bounded
/// by `timeout`; writes run as their own task, so a dropped request cannot stop a
/// transaction between its steps.
#[derive(Component, Clone)]
#[shaku(interface = ProductRepository)]
pub struct MongoProductRepository {
    database: Database,
    timeout: Duration,
    /// This instance, stamped on the outbox entries it records.
    origin: String,
}

/// Products as stored, in the domain's terms; a corrupt document is the domain error.
type Outcome<T> = Result<Result<T, RepositoryError>, mongodb::error::Error>;

impl MongoProductRepository {
    pub fn new(database: Database, timeout: Duration, origin: String) -> Self {
        Self {
            database,
            timeout,
            origin,
        }
    }

    /// Runs `write` (a whole transaction with its retries) as its own task.
    async fn spawned<T, F, Fut>(&self, write: F) -> Result<T, RepositoryError>
    where
        T: Send + 'static,
        F: FnOnce(Self) -> Fut,
        Fut: std::future::Future<Output = Result<T, RepositoryError>> + Send + 'static,
    {
        tokio::spawn(write(self.clone()))
            .await
            .map_err(|e| RepositoryError::Unexpected(Box::new(e)))?
    }

    /// Records `event` in the outbox inside `session`'s transaction, then commits; the
    /// write of `product` is then recorded.
    async fn record_and_commit(
        &self,
        session: &mut mongodb::ClientSession,
        event: &ProductEvent,
        product: Product,
    ) -> Outcome<Recorded> {
        let document = match OutboxDocument::new(event, &self.origin) {
            Ok(document) => document,
            Err(error) => return Ok(Err(error)),
        };
        self.database
            .collection::<OutboxDocument>(OUTBOX)
            .insert_one(&document)
            .session(&mut *session)
            .await?;
        commit(session).await?;
        Ok(Ok(Recorded {
            product,
            entry: document.id(),
        }))
    }

    async fn insert_attempt(&self, document: &ProductDocument) -> Outcome<Recorded> {
        let product = match document.clone().into_product() {
            Ok(product) => product,
            Err(error) => return Ok(Err(error)),
        };
        let mut session = self.database.client().start_session().await?;
        session.start_transaction().await?;
        self.collection()
            .insert_one(document)
            .session(&mut session)
            .await?;
        let event = ProductEvent::created(&product);
        self.record_and_commit(&mut session, &event, product).await
    }

    async fn update_attempt(
        &self,
        oid: ObjectId,
        update: &Document,
        expected: Option<Version>,
    ) -> Outcome<Recorded> {
        let collection = self.collection();
        let mut session = self.database.client().start_session().await?;
        session.start_transaction().await?;
        let mut filter = doc! { "_id": oid };
        if let Some(version) = expected {
            filter.insert("version", version.get() as i64);
        }
        let before = collection
            .find_one_and_update(filter, update.clone())
            .return_document(ReturnDocument::Before)
            .session(&mut session)
            .await?;
        let Some(before) = before else {
            let exists = collection
                .find_one(doc! { "_id": oid })
                .session(&mut session)
                .await?
                .is_some();
            return Ok(Err(if expected.is_some() && exists {
                RepositoryError::VersionConflict
            } else {
                RepositoryError::NotFound
            }));
        };
        let after = collection
            .find_one(doc! { "_id": oid })
            .session(&mut session)
            .await?;
        let (before, after) = match (
            before.into_product(),
            after.map(ProductDocument::into_product),
        ) {
            (Ok(before), Some(Ok(after))) => (before, after),
            (Err(error), _) | (_, Some(Err(error))) => return Ok(Err(error)),
            (_, None) => return Ok(Err(RepositoryError::NotFound)),
        };
        let event = ProductEvent::updated(&before, &after);
        self.record_and_commit(&mut session, &event, after).await
    }

    async fn delete_attempt(&self, oid: ObjectId) -> Outcome<Recorded> {
        let mut session = self.database.client().start_session().await?;
        session.start_transaction().await?;
        let deleted = self
            .collection()
            .find_one_and_delete(doc! { "_id": oid })
            .session(&mut session)
            .await?;
        let deleted = match deleted.map(ProductDocument::into_product) {
            Some(Ok(product)) => product,
            Some(Err(error)) => return Ok(Err(error)),
            None => return Ok(Err(RepositoryError::NotFound)),
        };
        let event = ProductEvent::deleted(&deleted);
        self.record_and_commit(&mut session, &event, deleted).await
    }

    /// Creates the indexes the queries rely on. Idempotent: an index that exists with the
    /// same keys is left alone, so every instance can run it at start-up.
    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        let keys = [
            doc! { "category": 1, "createdAt": -1 },
            doc! { "createdAt": -1, "_id": -1 },
            doc! { "priceCents": 1, "_id": 1 },
            doc! { "name": 1, "_id": 1 },
            doc! { "version": 1 },
        ];
        create_indexes(database, COLLECTION, keys).await
    }

    fn collection(&self) -> Collection<ProductDocument> {
        self.database.collection(COLLECTION)
    }
}

fn object_id(id: &ProductId) -> Result<ObjectId, RepositoryError> {
    ObjectId::parse_str(id.as_str()).map_err(|e| RepositoryError::Unexpected(Box::new(e)))
}

/// Millisecond precision is what BSON stores; truncate first so what we return equals
/// what a later read returns.
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

fn set_document(changes: &ProductChanges) -> Document {
    let mut set = Document::new();
    if let Some(v) = &changes.name {
        set.insert("name", v.as_str());
    }
    if let Some(v) = &changes.description {
        set.insert("description", v.as_str());
    }
    if let Some(v) = changes.price {
        set.insert("priceCents", v.cents());
    }
    if let Some(v) = changes.stock {
        set.insert("stock", i64::from(v.get()));
    }
    if let Some(v) = &changes.category {
        set.insert("category", v.as_str());
    }
    if let Some(v) = &changes.images {
        set.insert("images", image_strings(v));
    }
    if let Some(v) = changes.is_active {
        set.insert("isActive", v);
    }
    set
}

#[async_trait]
impl ProductRepository for MongoProductRepository {
    #[tracing::instrument(name = "mongo.product.insert", level = "debug", skip_all)]
    async fn insert(&self, product: NewProduct) -> Result<Recorded, RepositoryError> {
        let document = ProductDocument::new(&product, ObjectId::new(), to_bson_time(now()));
        self.spawned(|this| async move {
            retrying(this.timeout, || this.insert_attempt(&document)).await
        })
        .await
    }

    #[tracing::instrument(name = "mongo.product.find_many", level = "debug", skip_all, fields(count = ids.len()))]
    async fn find_many(&self, ids: &[ProductId]) -> Result<Vec<Product>, RepositoryError> {
        let ids = ids.iter().map(object_id).collect::<Result<Vec<_>, _>>()?;
        let collection = self.collection();
        let find = collection.find(doc! { "_id": { "$in": ids } });
        let documents: Vec<ProductDocument> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        documents
            .into_iter()
            .map(ProductDocument::into_product)
            .collect()
    }

    #[tracing::instrument(name = "mongo.product.find_by_id", level = "debug", skip_all)]
    async fn find_by_id(&self, id: &ProductId) -> Result<Option<Product>, RepositoryError> {
        let filter = doc! { "_id": object_id(id)? };
        bounded(self.timeout, self.collection().find_one(filter))
            .await?
            .map(ProductDocument::into_product)
            .transpose()
    }

    #[tracing::instrument(name = "mongo.product.list", level = "debug", skip_all)]
    async fn list(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Vec<Product>, RepositoryError> {
        let collection = self.collection();
        let find = collection
            .find(to_document(filter))
            .sort(sort_document(sort))
            .skip(page.offset())
            .limit(i64::from(page.limit()));
        let documents: Vec<ProductDocument> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        documents
            .into_iter()
            .map(ProductDocument::into_product)
            .collect()
    }

    #[tracing::instrument(name = "mongo.product.count", level = "debug", skip_all)]
    async fn count(&self, filter: &ProductFilter) -> Result<u64, RepositoryError> {
        bounded(
            self.timeout,
            self.collection().count_documents(to_document(filter)),
        )
        .await
    }

    #[tracing::instrument(name = "mongo.product.update", level = "debug", skip_all)]
    async fn update(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
    ) -> Result<Recorded, RepositoryError> {
        let oid = object_id(id)?;
        let mut set = set_document(&changes);
        set.insert("updatedAt", to_bson_time(now()));
        let update = doc! { "$set": set, "$inc": { "version": 1_i64, "revision": 1_i64 } };
        self.spawned(move |this| async move {
            retrying(this.timeout, || this.update_attempt(oid, &update, expected)).await
        })
        .await
    }

    #[tracing::instrument(name = "mongo.product.delete", level = "debug", skip_all)]
    async fn delete(&self, id: &ProductId) -> Result<Recorded, RepositoryError> {
        let oid = object_id(id)?;
        self.spawned(move |this| async move {
            retrying(this.timeout, || this.delete_attempt(oid)).await
        })
        .await
    }

    #[tracing::instrument(name = "mongo.product.ping", level = "debug", skip_all)]
    async fn ping(&self) -> Result<Duration, RepositoryError> {
        let started = Instant::now();
        bounded(self.timeout, self.database.run_command(doc! { "ping": 1 })).await?;
        Ok(started.elapsed())
    }
}
