use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Document};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database, IndexModel};
use shaku::Component;

use super::errors::{bounded, translate};
use super::product_document::{image_strings, to_bson_time, ProductDocument};
use super::product_filter::{sort_document, to_document};
use crate::domain::error::RepositoryError;
use crate::domain::ports::ProductRepository;
use crate::domain::product::{NewProduct, Product, ProductChanges, ProductId, Version};
use crate::domain::query::{PageRequest, ProductFilter, ProductSort};

const COLLECTION: &str = "products";

/// `ProductRepository` on a MongoDB collection. Every write is a single-document atomic
/// update that bumps `version`; every call is bounded by `timeout`.
#[derive(Component)]
#[shaku(interface = ProductRepository)]
pub struct MongoProductRepository {
    database: Database,
    timeout: Duration,
}

impl MongoProductRepository {
    pub fn new(database: Database, timeout: Duration) -> Self {
        Self { database, timeout }
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
        let models = keys
            .into_iter()
            .map(|k| IndexModel::builder().keys(k).build());
        database
            .collection::<Document>(COLLECTION)
            .create_indexes(models)
            .await
            .map_err(translate)?;
        Ok(())
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
    async fn insert(&self, product: NewProduct) -> Result<Product, RepositoryError> {
        let document = ProductDocument::new(&product, ObjectId::new(), to_bson_time(now()));
        bounded(self.timeout, self.collection().insert_one(&document)).await?;
        document.into_product()
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
    ) -> Result<Product, RepositoryError> {
        let oid = object_id(id)?;
        let mut filter = doc! { "_id": oid };
        if let Some(version) = expected {
            filter.insert("version", version.get() as i64);
        }
        let mut set = set_document(&changes);
        set.insert("updatedAt", to_bson_time(now()));
        let update = doc! { "$set": set, "$inc": { "version": 1_i64, "revision": 1_i64 } };
        let updated = bounded(
            self.timeout,
            self.collection()
                .find_one_and_update(filter, update)
                .return_document(ReturnDocument::After),
        )
        .await?;
        match updated {
            Some(document) => document.into_product(),
            None if expected.is_some() && self.find_by_id(id).await?.is_some() => {
                Err(RepositoryError::VersionConflict)
            }
            None => Err(RepositoryError::NotFound),
        }
    }

    #[tracing::instrument(name = "mongo.product.delete", level = "debug", skip_all)]
    async fn delete(&self, id: &ProductId) -> Result<Product, RepositoryError> {
        let filter = doc! { "_id": object_id(id)? };
        bounded(self.timeout, self.collection().find_one_and_delete(filter))
            .await?
            .ok_or(RepositoryError::NotFound)?
            .into_product()
    }

    #[tracing::instrument(name = "mongo.product.ping", level = "debug", skip_all)]
    async fn ping(&self) -> Result<Duration, RepositoryError> {
        let started = Instant::now();
        bounded(self.timeout, self.database.run_command(doc! { "ping": 1 })).await?;
        Ok(started.elapsed())
    }
}
