//! Deleted products, kept for the restore window in a collection of their own and purged
//! by a TTL index after it. A delete moves the product here and a restore moves it back,
//! each in the write's transaction. Kept apart rather than flagged in `products` so that
//! no query of the catalogue (pages, cursors, search, counts, facets, wishlists) needs an
//! extra condition, which would also cost the single-field index plans of servers that
//! cannot combine indexes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use mongodb::bson::oid::ObjectId;
use mongodb::{ClientSession, Collection, Database};
use serde::{Deserialize, Serialize};

use super::errors::{bounded, create_expiry_index};
use super::product_document::{to_bson_time, ProductDocument};
use crate::domain::error::RepositoryError;
use crate::domain::product::Product;

const COLLECTION: &str = "deleted_products";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrashDocument {
    /// The product's id.
    #[serde(rename = "_id")]
    id: ObjectId,
    /// The product as it was when deleted (without search fields: a restore computes them).
    product: ProductDocument,
    deleted_at: mongodb::bson::DateTime,
    /// End of the restore window; the TTL index removes the document after it.
    purge_at: mongodb::bson::DateTime,
}

fn collection(database: &Database) -> Collection<TrashDocument> {
    database.collection(COLLECTION)
}

pub(super) async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
    create_expiry_index(database, COLLECTION, "purgeAt").await
}

/// Keeps `product` (just deleted at `at`) inside `session`'s transaction until
/// `at + window`; a product deleted before and restored since is replaced.
pub(super) async fn keep(
    database: &Database,
    session: &mut ClientSession,
    product: &Product,
    at: DateTime<Utc>,
    window: Duration,
) -> Result<Result<(), RepositoryError>, mongodb::error::Error> {
    let document = match ProductDocument::of(product) {
        Ok(document) => document,
        Err(error) => return Ok(Err(error)),
    };
    let purge_at = at + chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let trashed = TrashDocument {
        id: document.id,
        product: document,
        deleted_at: to_bson_time(at),
        purge_at: to_bson_time(purge_at),
    };
    collection(database)
        .replace_one(doc! { "_id": trashed.id }, &trashed)
        .upsert(true)
        .session(session)
        .await?;
    Ok(Ok(()))
}

/// Takes `id` out of the trash inside `session`'s transaction: the product as it was
/// deleted, or `None` when it is not there or its window has ended (whatever the TTL
/// monitor has yet to remove).
pub(super) async fn take(
    database: &Database,
    session: &mut ClientSession,
    id: ObjectId,
    now: DateTime<Utc>,
) -> Result<Result<Option<Product>, RepositoryError>, mongodb::error::Error> {
    let in_window = doc! { "_id": id, "purgeAt": { "$gt": to_bson_time(now) } };
    let found = collection(database)
        .find_one(in_window)
        .session(&mut *session)
        .await?;
    let Some(trashed) = found else {
        return Ok(Ok(None));
    };
    collection(database)
        .delete_one(doc! { "_id": id })
        .session(session)
        .await?;
    Ok(trashed.product.into_product().map(Some))
}

/// Those of `ids` that are in the trash (deleted, restorable): their wishlist memberships
/// are kept, though no wishlist page shows them.
pub(super) async fn held_among(
    database: &Database,
    ids: &[ObjectId],
    timeout: Duration,
) -> Result<Vec<ObjectId>, RepositoryError> {
    let trash = database.collection::<mongodb::bson::Document>(COLLECTION);
    let find = trash
        .find(doc! { "_id": { "$in": ids } })
        .projection(doc! { "_id": 1 });
    let found: Vec<mongodb::bson::Document> = bounded(timeout, async {
        futures_util::TryStreamExt::try_collect(find.await?).await
    })
    .await?;
    Ok(found
        .iter()
        .filter_map(|document| document.get_object_id("_id").ok())
        .collect())
}
