use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Cursor, Database};
use shaku::Component;

use super::circuit::Circuit;
use super::errors::{bounded, create_indexes, create_unique_sparse_index, timed_out, translate};
use super::outbox::{OutboxDocument, COLLECTION as OUTBOX};
use super::product_document::{
    image_strings, terms_set, terms_update, to_bson_time, without_search_fields, ProductDocument,
};
use super::product_facets::{facets_pipeline, read_facets};
use super::product_filter::{
    keyset_document, relevance_pipeline, seek_sort, sort_document, to_document,
};
use super::receipts::{store_in, stored_in};
use super::transaction::{commit, retrying};
use super::trash;
use crate::domain::error::RepositoryError;
use crate::domain::event::ProductEvent;
use crate::domain::facets::{Facets, PriceEdges};
use crate::domain::idempotency::Receipt;
use crate::domain::keyset::Keyset;
use crate::domain::outbox::Recorded;
use crate::domain::ports::{ProductRepository, ProductStream};
use crate::domain::product::{NewProduct, Product, ProductChanges, ProductId, Version};
use crate::domain::query::{PageRequest, ProductFilter, ProductSort, SearchText, SortField};
use crate::usecases::turns::Turns;

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
    /// How long a deleted product can be restored (`PRODUCT_RESTORE_DAYS`).
    restore_window: Duration,
    /// Updates and deletes of one product run one at a time in this process (not a
    /// parameter: each repository starts with its own, empty).
    #[shaku(force_default)]
    turns: Arc<Turns<ObjectId>>,
    /// Fails calls fast while MongoDB does not answer (not a parameter either).
    #[shaku(force_default)]
    circuit: Arc<Circuit>,
}

/// Products as stored, in the domain's terms; a corrupt document is the domain error.
type Outcome<T> = Result<Result<T, RepositoryError>, mongodb::error::Error>;

/// Tries of one write that found the product changed between its read and its write.
const MAX_RACES: usize = 16;

/// One try of a write: `None` when the product changed under it.
type Attempt = Result<Option<Result<Recorded, RepositoryError>>, mongodb::error::Error>;

/// An update as each try makes it.
struct UpdateWrite {
    oid: ObjectId,
    changes: ProductChanges,
    update: Document,
    expected: Option<Version>,
    at: DateTime<Utc>,
    receipt: Option<Receipt>,
}

/// A product leaving the catalogue for the trash, or coming back.
#[derive(Debug, Clone, Copy)]
enum Move {
    Delete,
    Restore,
}

/// Runs `once` again while the product changes between its read and its write, up to
/// `MAX_RACES` times.
async fn until_unraced<F, Fut>(mut once: F) -> Outcome<Recorded>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt>,
{
    for _ in 0..MAX_RACES {
        if let Some(outcome) = once().await? {
            return Ok(outcome);
        }
    }
    Ok(Err(RepositoryError::Unavailable(
        "the product kept changing under this write; try again".into(),
    )))
}

impl MongoProductRepository {
    pub fn new(
        database: Database,
        timeout: Duration,
        origin: String,
        restore_window: Duration,
    ) -> Self {
        Self {
            database,
            timeout,
            origin,
            restore_window,
            turns: Arc::default(),
            circuit: Arc::default(),
        }
    }

    /// Waits for `product`'s turn to be written, within the operation deadline; the guard
    /// holds the turn, the duration is what is left of the deadline for the write itself.
    async fn turn_of(
        &self,
        product: ObjectId,
    ) -> Result<(tokio::sync::OwnedMutexGuard<()>, Duration), RepositoryError> {
        let started = tokio::time::Instant::now();
        let turn = tokio::time::timeout(self.timeout, self.turns.wait(product))
            .await
            .map_err(|_| timed_out(self.timeout))?;
        Ok((turn, self.timeout.saturating_sub(started.elapsed())))
    }

    /// A page of `filter`'s products ranked by how well they match `search`.
    async fn ranked(
        &self,
        filter: &ProductFilter,
        search: &SearchText,
        page: PageRequest,
    ) -> Result<Vec<Product>, RepositoryError> {
        let pipeline = relevance_pipeline(filter, search, page);
        let collection = self.collection();
        let aggregate = collection
            .aggregate(pipeline)
            .with_type::<ProductDocument>();
        self.products_of(aggregate).await
    }

    /// Runs `write` (a whole transaction with its retries) as its own task.
    async fn spawned<T, F, Fut>(&self, write: F) -> Result<T, RepositoryError>
    where
        T: Send + 'static,
        F: FnOnce(Self) -> Fut,
        Fut: std::future::Future<Output = Result<T, RepositoryError>> + Send + 'static,
    {
        self.circuit.admit(&self.database, self.timeout)?;
        let write = write(self.clone());
        let circuit = self.circuit.clone();
        tokio::spawn(async move {
            let outcome = write.await;
            circuit.observe(&outcome);
            outcome
        })
        .await
        .map_err(|e| RepositoryError::Unexpected(Box::new(e)))?
    }

    /// Every product a query (`find` or `aggregate`) answers, read within the deadline and
    /// past the circuit; a corrupt document is the domain error.
    async fn products_of<Q>(&self, query: Q) -> Result<Vec<Product>, RepositoryError>
    where
        Q: std::future::IntoFuture<Output = mongodb::error::Result<Cursor<ProductDocument>>>,
    {
        let documents: Vec<ProductDocument> = self
            .guarded(bounded(self.timeout, async {
                query.await?.try_collect().await
            }))
            .await?;
        documents
            .into_iter()
            .map(ProductDocument::into_product)
            .collect()
    }

    /// Runs the read `call` unless the circuit turns it away, and tells the circuit how it
    /// went.
    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, RepositoryError>>,
    ) -> Result<T, RepositoryError> {
        self.circuit.admit(&self.database, self.timeout)?;
        let outcome = call.await;
        self.circuit.observe(&outcome);
        outcome
    }

    /// Opens a transaction for a write, unless the write's receipt is already stored: then
    /// `AlreadyApplied`, and nothing is written.
    async fn begin(&self, receipt: Option<&Receipt>) -> Outcome<mongodb::ClientSession> {
        let mut session = self.database.client().start_session().await?;
        session.start_transaction().await?;
        if let Some(receipt) = receipt {
            if stored_in(&self.database, &mut session, receipt).await? {
                return Ok(Err(RepositoryError::AlreadyApplied));
            }
        }
        Ok(Ok(session))
    }

    /// Records `event` in the outbox (and the write's receipt, if it has one) inside
    /// `session`'s transaction, then commits; the write of `product` is then recorded.
    async fn record_and_commit(
        &self,
        session: &mut mongodb::ClientSession,
        event: &ProductEvent,
        product: Product,
        receipt: Option<&Receipt>,
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
        if let Some(receipt) = receipt {
            if let Err(error) = store_in(&self.database, session, receipt, &product).await? {
                return Ok(Err(error));
            }
        }
        commit(session).await?;
        Ok(Ok(Recorded {
            product,
            entry: document.id(),
        }))
    }

    /// `SkuTaken` when a product other than `this` holds `sku`, as `session`'s transaction
    /// sees it. Checked before the write rather than left to the unique index: a duplicate
    /// key is also what a write conflict can look like, and those are retried.
    async fn sku_free(
        &self,
        session: &mut mongodb::ClientSession,
        sku: Option<&str>,
        this: ObjectId,
    ) -> Outcome<()> {
        let Some(sku) = sku else {
            return Ok(Ok(()));
        };
        let holder = self
            .database
            .collection::<Document>(COLLECTION)
            .find_one(doc! { "sku": sku, "_id": { "$ne": this } })
            .projection(doc! { "_id": 1 })
            .session(session)
            .await?;
        Ok(match holder.and_then(|h| h.get_object_id("_id").ok()) {
            Some(holder) => Err(RepositoryError::SkuTaken {
                sku: sku.to_owned(),
                holder: holder.to_hex(),
            }),
            None => Ok(()),
        })
    }

    async fn insert_attempt(
        &self,
        document: &ProductDocument,
        receipt: Option<&Receipt>,
    ) -> Outcome<Recorded> {
        let product = match document.clone().into_product() {
            Ok(product) => product,
            Err(error) => return Ok(Err(error)),
        };
        let mut session = match self.begin(receipt).await? {
            Ok(session) => session,
            Err(error) => return Ok(Err(error)),
        };
        let sku = document.sku.as_deref();
        if let Err(error) = self.sku_free(&mut session, sku, document.id).await? {
            return Ok(Err(error));
        }
        self.collection()
            .insert_one(document)
            .session(&mut session)
            .await?;
        let event = ProductEvent::created(&product);
        self.record_and_commit(&mut session, &event, product, receipt)
            .await
    }

    /// The product as this transaction sees it.
    async fn read_in(
        &self,
        session: &mut mongodb::ClientSession,
        oid: ObjectId,
    ) -> Outcome<Option<Product>> {
        let found = self
            .collection()
            .find_one(doc! { "_id": oid })
            .projection(without_search_fields())
            .session(session)
            .await?;
        Ok(found.map(ProductDocument::into_product).transpose())
    }

    /// One try of an update: read, check, update at the version read, record. `None` when
    /// another write changed the product between the read and the update (the caller
    /// tries again). A read and an `update_one` rather than one `findAndModify`, which some
    /// MongoDB-compatible servers answer by scanning; the stored result is computed from
    /// what was read (`Product::with_changes`), the same `$set` and `$inc` the update made.
    async fn update_once(&self, write: &UpdateWrite) -> Attempt {
        let mut session = match self.begin(write.receipt.as_ref()).await? {
            Ok(session) => session,
            Err(error) => return Ok(Some(Err(error))),
        };
        let before = match self.read_in(&mut session, write.oid).await? {
            Ok(Some(before)) => before,
            Ok(None) => return Ok(Some(Err(RepositoryError::NotFound))),
            Err(error) => return Ok(Some(Err(error))),
        };
        if write
            .expected
            .is_some_and(|expected| expected != before.version)
        {
            return Ok(Some(Err(RepositoryError::VersionConflict)));
        }
        let sku = write.changes.sku.as_ref().map(|sku| sku.as_str());
        if let Err(error) = self.sku_free(&mut session, sku, write.oid).await? {
            return Ok(Some(Err(error)));
        }
        let after = before.with_changes(&write.changes, write.at);
        let mut update = write.update.clone();
        if write.changes.touches_text() {
            if let Ok(set) = update.get_document_mut("$set") {
                set.extend(terms_update(&after));
            }
        }
        let at_version = doc! { "_id": write.oid, "version": before.version.get() as i64 };
        let updated = self
            .collection()
            .update_one(at_version, update)
            .session(&mut session)
            .await?;
        if updated.matched_count == 0 {
            return Ok(None);
        }
        let event = ProductEvent::updated(&before, &after);
        let receipt = write.receipt.as_ref();
        Ok(Some(
            self.record_and_commit(&mut session, &event, after, receipt)
                .await?,
        ))
    }

    async fn update_attempt(&self, write: &UpdateWrite) -> Outcome<Recorded> {
        until_unraced(|| self.update_once(write)).await
    }

    /// One try of a delete, as `update_once`: read, delete at the version read, keep it in
    /// the trash, record.
    async fn delete_once(&self, oid: ObjectId, receipt: Option<&Receipt>) -> Attempt {
        let mut session = match self.begin(receipt).await? {
            Ok(session) => session,
            Err(error) => return Ok(Some(Err(error))),
        };
        let deleted = match self.read_in(&mut session, oid).await? {
            Ok(Some(product)) => product,
            Ok(None) => return Ok(Some(Err(RepositoryError::NotFound))),
            Err(error) => return Ok(Some(Err(error))),
        };
        let at_version = doc! { "_id": oid, "version": deleted.version.get() as i64 };
        let removed = self
            .collection()
            .delete_one(at_version)
            .session(&mut session)
            .await?;
        if removed.deleted_count == 0 {
            return Ok(None);
        }
        let window = self.restore_window;
        if let Err(error) =
            trash::keep(&self.database, &mut session, &deleted, now(), window).await?
        {
            return Ok(Some(Err(error)));
        }
        let event = ProductEvent::deleted(&deleted);
        Ok(Some(
            self.record_and_commit(&mut session, &event, deleted, receipt)
                .await?,
        ))
    }

    /// One try of a restore: out of the trash, back into the catalogue two versions up,
    /// record.
    async fn restore_once(&self, oid: ObjectId, receipt: Option<&Receipt>) -> Outcome<Recorded> {
        let mut session = match self.begin(receipt).await? {
            Ok(session) => session,
            Err(error) => return Ok(Err(error)),
        };
        let at = now();
        let restored = match trash::take(&self.database, &mut session, oid, at).await? {
            Ok(Some(deleted)) => deleted.restored(at),
            Ok(None) => return Ok(Err(RepositoryError::NotFound)),
            Err(error) => return Ok(Err(error)),
        };
        let document = match ProductDocument::of(&restored) {
            Ok(document) => document.with_terms(),
            Err(error) => return Ok(Err(error)),
        };
        let sku = document.sku.as_deref();
        if let Err(error) = self.sku_free(&mut session, sku, oid).await? {
            return Ok(Err(error));
        }
        self.collection()
            .insert_one(document)
            .session(&mut session)
            .await?;
        let event = ProductEvent::restored(&restored);
        self.record_and_commit(&mut session, &event, restored, receipt)
            .await
    }

    /// One try of moving `oid` out of the catalogue or back into it.
    async fn move_attempt(
        &self,
        kind: Move,
        oid: ObjectId,
        receipt: Option<&Receipt>,
    ) -> Outcome<Recorded> {
        match kind {
            Move::Delete => until_unraced(|| self.delete_once(oid, receipt)).await,
            Move::Restore => self.restore_once(oid, receipt).await,
        }
    }

    /// Deletes or restores `id` in its turn, as its own task, retried within the deadline.
    async fn moved(
        &self,
        kind: Move,
        id: &ProductId,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError> {
        let oid = object_id(id)?;
        self.spawned(move |this| async move {
            let (_turn, left) = this.turn_of(oid).await?;
            let receipt = receipt.as_ref();
            retrying(left, || this.move_attempt(kind, oid, receipt)).await
        })
        .await
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
            doc! { "searchTerms": 1 },
            doc! { "searchPrefixes": 1 },
        ];
        create_indexes(database, COLLECTION, keys).await?;
        create_unique_sparse_index(database, COLLECTION, "sku").await?;
        trash::ensure_indexes(database).await
    }

    /// Gives every product stored before search used terms its terms, in `_id` order, a
    /// batch at a time; returns how many it updated. Safe beside writes: a write sets the
    /// terms too, and this only fills documents that have none.
    pub async fn backfill_search_terms(
        database: &Database,
        timeout: Duration,
    ) -> Result<u64, RepositoryError> {
        const BATCH: i64 = 500;
        let products = database.collection::<ProductDocument>(COLLECTION);
        let (mut after, mut updated) = (None::<ObjectId>, 0);
        loop {
            let mut query = doc! { "searchTerms": { "$exists": false } };
            if let Some(after) = after {
                query.insert("_id", doc! { "$gt": after });
            }
            let find = products.find(query).sort(doc! { "_id": 1 }).limit(BATCH);
            let batch: Vec<ProductDocument> =
                bounded(timeout, async { find.await?.try_collect().await }).await?;
            let Some(last) = batch.last() else {
                return Ok(updated);
            };
            after = Some(last.id);
            for document in batch {
                let unset = doc! { "_id": document.id, "searchTerms": { "$exists": false } };
                let set = doc! { "$set": terms_set(&document.name, &document.description, &document.category) };
                bounded(timeout, products.update_one(unset, set)).await?;
                updated += 1;
            }
        }
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
    if let Some(v) = &changes.sku {
        set.insert("sku", v.as_str());
    }
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
    async fn insert(
        &self,
        product: NewProduct,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError> {
        let document = ProductDocument::new(&product, ObjectId::new(), to_bson_time(now()));
        self.spawned(|this| async move {
            let receipt = receipt.as_ref();
            retrying(this.timeout, || this.insert_attempt(&document, receipt)).await
        })
        .await
    }

    #[tracing::instrument(name = "mongo.product.find_many", level = "debug", skip_all, fields(count = ids.len()))]
    async fn find_many(&self, ids: &[ProductId]) -> Result<Vec<Product>, RepositoryError> {
        let ids = ids.iter().map(object_id).collect::<Result<Vec<_>, _>>()?;
        let collection = self.collection();
        let find = collection
            .find(doc! { "_id": { "$in": ids } })
            .projection(without_search_fields());
        self.products_of(find).await
    }

    #[tracing::instrument(name = "mongo.product.find_by_id", level = "debug", skip_all)]
    async fn find_by_id(&self, id: &ProductId) -> Result<Option<Product>, RepositoryError> {
        let filter = doc! { "_id": object_id(id)? };
        let collection = self.collection();
        let find = collection
            .find_one(filter)
            .projection(without_search_fields());
        self.guarded(bounded(self.timeout, find))
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
        if let (SortField::Relevance, Some(search)) = (sort.field, &filter.search) {
            return self.ranked(filter, search, page).await;
        }
        let collection = self.collection();
        let find = collection
            .find(to_document(filter))
            .projection(without_search_fields())
            .sort(sort_document(sort))
            .skip(page.offset())
            .limit(i64::from(page.limit()));
        self.products_of(find).await
    }

    #[tracing::instrument(name = "mongo.product.list_keyset", level = "debug", skip_all)]
    async fn list_keyset(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        keyset: &Keyset,
    ) -> Result<Vec<Product>, RepositoryError> {
        let Some(query) = keyset_document(filter, sort, keyset) else {
            return Ok(Vec::new());
        };
        let collection = self.collection();
        let find = collection
            .find(query)
            .projection(without_search_fields())
            .sort(sort_document(seek_sort(sort, keyset.direction)))
            .limit(i64::from(keyset.limit) + 1);
        self.products_of(find).await
    }

    #[tracing::instrument(name = "mongo.product.facets", level = "debug", skip_all)]
    async fn facets(
        &self,
        filter: &ProductFilter,
        edges: &PriceEdges,
    ) -> Result<Facets, RepositoryError> {
        let pipeline = facets_pipeline(filter, edges);
        let collection = self.database.collection::<Document>(COLLECTION);
        let aggregate = collection.aggregate(pipeline);
        let answer: Vec<Document> = self
            .guarded(bounded(self.timeout, async {
                aggregate.await?.try_collect().await
            }))
            .await?;
        read_facets(answer.first(), edges)
    }

    #[tracing::instrument(name = "mongo.product.count", level = "debug", skip_all)]
    async fn count(&self, filter: &ProductFilter) -> Result<u64, RepositoryError> {
        self.guarded(bounded(
            self.timeout,
            self.collection().count_documents(to_document(filter)),
        ))
        .await
    }

    #[tracing::instrument(name = "mongo.product.export", level = "debug", skip_all)]
    async fn export(&self, filter: &ProductFilter) -> Result<ProductStream, RepositoryError> {
        const BATCH: u32 = 200;
        let collection = self.collection();
        let find = collection
            .find(to_document(filter))
            .projection(without_search_fields())
            .sort(doc! { "_id": 1 })
            .batch_size(BATCH);
        let cursor = self.guarded(bounded(self.timeout, find)).await?;
        let timeout = self.timeout;
        let products = futures_util::stream::unfold(Some(cursor), move |cursor| async move {
            let mut cursor = cursor?;
            match tokio::time::timeout(timeout, cursor.try_next()).await {
                Ok(Ok(Some(document))) => Some((document.into_product(), Some(cursor))),
                Ok(Ok(None)) => None,
                Ok(Err(error)) => Some((Err(translate(error)), None)),
                Err(_) => Some((Err(timed_out(timeout)), None)),
            }
        });
        Ok(Box::pin(products))
    }

    #[tracing::instrument(name = "mongo.product.update", level = "debug", skip_all)]
    async fn update(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError> {
        let at = now();
        let mut set = set_document(&changes);
        set.insert("updatedAt", to_bson_time(at));
        let write = UpdateWrite {
            oid: object_id(id)?,
            update: doc! { "$set": set, "$inc": { "version": 1_i64, "revision": 1_i64 } },
            changes,
            expected,
            at,
            receipt,
        };
        self.spawned(move |this| async move {
            let (_turn, left) = this.turn_of(write.oid).await?;
            retrying(left, || this.update_attempt(&write)).await
        })
        .await
    }

    #[tracing::instrument(name = "mongo.product.delete", level = "debug", skip_all)]
    async fn delete(
        &self,
        id: &ProductId,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError> {
        self.moved(Move::Delete, id, receipt).await
    }

    #[tracing::instrument(name = "mongo.product.restore", level = "debug", skip_all)]
    async fn restore(
        &self,
        id: &ProductId,
        receipt: Option<Receipt>,
    ) -> Result<Recorded, RepositoryError> {
        self.moved(Move::Restore, id, receipt).await
    }

    #[tracing::instrument(name = "mongo.product.ping", level = "debug", skip_all)]
    async fn ping(&self) -> Result<Duration, RepositoryError> {
        let started = Instant::now();
        // Not turned away by the circuit: health checks measure MongoDB itself, and an
        // answer closes the circuit.
        let outcome = bounded(self.timeout, self.database.run_command(doc! { "ping": 1 })).await;
        self.circuit.observe(&outcome);
        outcome?;
        Ok(started.elapsed())
    }
}
