use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use futures_util::TryStreamExt;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use shaku::Component;

use super::errors::{bounded, translate};
use super::product_document::{to_bson_time, ProductDocument};
use super::transaction::{commit, retrying};
use super::trash;
use crate::domain::error::RepositoryError;
use crate::domain::ports::WishlistRepository;
use crate::domain::product::{Product, ProductId};
use crate::domain::query::{Page, PageRequest};
use crate::domain::user::UserId;

const COLLECTION: &str = "wishlists";
const PRODUCTS: &str = "products";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Membership {
    #[serde(rename = "_id")]
    id: ObjectId,
    user_id: ObjectId,
    product_id: ObjectId,
    created_at: mongodb::bson::DateTime,
}

/// `WishlistRepository` on MongoDB. Membership is one document per (user, product) under a
/// unique index, so concurrent identical requests cannot both count; each membership change
/// and the `$inc` of the product's `wishlistCount` (and `version`) commit in one transaction.
#[derive(Component)]
#[shaku(interface = WishlistRepository)]
pub struct MongoWishlistRepository {
    database: Database,
    timeout: Duration,
}

fn oid(raw: &str) -> Result<ObjectId, RepositoryError> {
    ObjectId::parse_str(raw).map_err(|e| RepositoryError::Unexpected(Box::new(e)))
}

impl MongoWishlistRepository {
    pub fn new(database: Database, timeout: Duration) -> Self {
        Self { database, timeout }
    }

    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        let unique = IndexOptions::builder().unique(true).build();
        let models = [
            IndexModel::builder()
                .keys(doc! { "userId": 1, "productId": 1 })
                .options(unique)
                .build(),
            IndexModel::builder()
                .keys(doc! { "userId": 1, "createdAt": -1, "_id": -1 })
                .build(),
            IndexModel::builder().keys(doc! { "productId": 1 }).build(),
        ];
        database
            .collection::<Document>(COLLECTION)
            .create_indexes(models)
            .await
            .map_err(translate)?;
        Ok(())
    }

    fn memberships(&self) -> Collection<Membership> {
        self.database.collection(COLLECTION)
    }

    fn products(&self) -> Collection<ProductDocument> {
        self.database.collection(PRODUCTS)
    }

    /// Removes the user's memberships of products that no longer exist (purged after their
    /// restore window, or left by older versions), and answers those of deleted products
    /// that can still be restored: kept, but left out of pages and `total`, so both count
    /// live products only.
    async fn drop_dangling(&self, user: ObjectId) -> Result<Vec<ObjectId>, RepositoryError> {
        let memberships = self.database.collection::<Document>(COLLECTION);
        let find = memberships
            .find(doc! { "userId": user })
            .projection(doc! { "productId": 1 });
        let held: Vec<Document> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        let ids: Vec<ObjectId> = held
            .iter()
            .filter_map(|m| m.get_object_id("productId").ok())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let products = self.database.collection::<Document>(PRODUCTS);
        let find = products
            .find(doc! { "_id": { "$in": &ids } })
            .projection(doc! { "_id": 1 });
        let live: Vec<Document> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        let live: std::collections::HashSet<ObjectId> = live
            .iter()
            .filter_map(|p| p.get_object_id("_id").ok())
            .collect();
        let gone: Vec<ObjectId> = ids.into_iter().filter(|id| !live.contains(id)).collect();
        if gone.is_empty() {
            return Ok(Vec::new());
        }
        let restorable = trash::held_among(&self.database, &gone, self.timeout).await?;
        let dangling: Vec<ObjectId> = gone
            .into_iter()
            .filter(|id| !restorable.contains(id))
            .collect();
        if !dangling.is_empty() {
            let filter = doc! { "userId": user, "productId": { "$in": dangling } };
            bounded(self.timeout, memberships.delete_many(filter)).await?;
        }
        Ok(restorable)
    }
}

/// One idempotent membership change, applied as one MongoDB transaction: the membership
/// document and the product's `wishlistCount` move together or not at all, so the count
/// always equals the memberships, whatever is cancelled, times out or runs concurrently.
struct MembershipChange {
    user: ObjectId,
    product: ObjectId,
    member: bool,
}

impl MembershipChange {
    async fn apply(
        &self,
        database: &Database,
        timeout: Duration,
    ) -> Result<(Product, bool), RepositoryError> {
        retrying(timeout, || self.attempt(database)).await
    }

    /// One try. The outer `Result` is the driver's (for retry decisions); the inner one
    /// is the domain answer. Returning early without commit aborts the transaction when the
    /// session is dropped.
    async fn attempt(
        &self,
        database: &Database,
    ) -> Result<Result<(Product, bool), RepositoryError>, mongodb::error::Error> {
        let memberships = database.collection::<Membership>(COLLECTION);
        let products = database.collection::<ProductDocument>(PRODUCTS);
        let key = doc! { "userId": self.user, "productId": self.product };
        let mut session = database.client().start_session().await?;
        session.start_transaction().await?;
        // A deleted product's memberships stay as they are (its count is kept with it for a
        // restore), so neither change applies to a product that is not in the catalogue.
        if products
            .find_one(doc! { "_id": self.product })
            .session(&mut session)
            .await?
            .is_none()
        {
            return Ok(Err(RepositoryError::NotFound));
        }
        let changed = if self.member {
            let present = memberships
                .find_one(key)
                .session(&mut session)
                .await?
                .is_some();
            if !present {
                // A concurrent insert of the same pair makes this fail (duplicate key or a
                // write conflict); the whole attempt is then retried and finds it present.
                let membership = Membership {
                    id: ObjectId::new(),
                    user_id: self.user,
                    product_id: self.product,
                    created_at: to_bson_time(Utc::now()),
                };
                memberships
                    .insert_one(&membership)
                    .session(&mut session)
                    .await?;
            }
            !present
        } else {
            memberships
                .delete_one(key)
                .session(&mut session)
                .await?
                .deleted_count
                > 0
        };
        let stored = if changed {
            let (delta, filter) = if self.member {
                (1_i64, doc! { "_id": self.product })
            } else {
                // Never below zero, even over a count an older version let drift.
                (
                    -1_i64,
                    doc! { "_id": self.product, "wishlistCount": { "$gt": 0_i64 } },
                )
            };
            let update = doc! {
                "$inc": { "wishlistCount": delta, "revision": 1_i64 },
                "$set": { "updatedAt": to_bson_time(Utc::now()) },
            };
            let updated = products
                .find_one_and_update(filter, update)
                .return_document(ReturnDocument::After)
                .session(&mut session)
                .await?;
            match updated {
                Some(document) => Some(document),
                None => {
                    products
                        .find_one(doc! { "_id": self.product })
                        .session(&mut session)
                        .await?
                }
            }
        } else {
            products
                .find_one(doc! { "_id": self.product })
                .session(&mut session)
                .await?
        };
        commit(&mut session).await?;
        Ok(match stored {
            Some(document) => document.into_product().map(|p| (p, changed)),
            None => Err(RepositoryError::NotFound),
        })
    }
}

/// A stored integer, whichever BSON number type the server chose for it.
fn number(value: Option<&mongodb::bson::Bson>) -> Option<i64> {
    use mongodb::bson::Bson;
    match value? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) if n.fract() == 0.0 => Some(*n as i64),
        _ => None,
    }
}

#[async_trait]
impl WishlistRepository for MongoWishlistRepository {
    #[tracing::instrument(name = "mongo.wishlist.set", level = "debug", skip_all, fields(member))]
    async fn set(
        &self,
        user: &UserId,
        product: &ProductId,
        member: bool,
    ) -> Result<(Product, bool), RepositoryError> {
        let change = MembershipChange {
            user: oid(user.as_str())?,
            product: oid(product.as_str())?,
            member,
        };
        // Its own task: a request dropped mid-way (client reset, shutdown) cannot stop the
        // transaction between its steps; it commits or aborts as a whole.
        let (database, timeout) = (self.database.clone(), self.timeout);
        tokio::spawn(async move { change.apply(&database, timeout).await })
            .await
            .map_err(|e| RepositoryError::Unexpected(Box::new(e)))?
    }

    #[tracing::instrument(name = "mongo.wishlist.list", level = "debug", skip_all)]
    async fn list(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Page<Product>, RepositoryError> {
        let user_oid = oid(user.as_str())?;
        let deleted = self.drop_dangling(user_oid).await?;
        let mut filter = doc! { "userId": user_oid };
        if !deleted.is_empty() {
            filter.insert("productId", doc! { "$nin": deleted });
        }
        let memberships = self.memberships();
        let find = memberships
            .find(filter.clone())
            .sort(doc! { "createdAt": -1, "_id": -1 })
            .skip(page.offset())
            .limit(i64::from(page.limit()));
        let members: Vec<Membership> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        let total = bounded(self.timeout, memberships.count_documents(filter)).await?;
        let ids: Vec<ObjectId> = members.iter().map(|m| m.product_id).collect();
        let products = self.products();
        let find = products.find(doc! { "_id": { "$in": &ids } });
        let documents: Vec<ProductDocument> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        let mut by_id: HashMap<ObjectId, ProductDocument> =
            documents.into_iter().map(|d| (d.id, d)).collect();
        let items = ids
            .iter()
            .filter_map(|id| by_id.remove(id))
            .map(ProductDocument::into_product)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    #[tracing::instrument(name = "mongo.wishlist.reconcile", level = "debug", skip_all)]
    async fn reconcile_counts(&self) -> Result<u64, RepositoryError> {
        let pipeline = vec![doc! { "$group": { "_id": "$productId", "n": { "$sum": 1_i64 } } }];
        let memberships = self.database.collection::<Document>(COLLECTION);
        let groups: Vec<Document> = bounded(self.timeout * 10, async {
            memberships.aggregate(pipeline).await?.try_collect().await
        })
        .await?;
        let mut counts: HashMap<ObjectId, i64> = HashMap::new();
        for group in groups {
            if let (Ok(id), Some(n)) = (group.get_object_id("_id"), number(group.get("n"))) {
                counts.insert(id, n);
            }
        }
        let products = self.database.collection::<Document>(PRODUCTS);
        // Read as a stream, a batch at a time: collecting every product first took the
        // instance from 45 MB to a 131 MB peak at start-up with 100,000 products, a cost
        // that grows with the catalogue.
        let find = products
            .find(doc! {})
            .projection(doc! { "_id": 1, "wishlistCount": 1, "version": 1, "revision": 1 });
        let mut stored = bounded(self.timeout * 10, find).await?;
        let mut corrected = 0;
        while let Some(product) = bounded(self.timeout, stored.try_next()).await? {
            let Ok(id) = product.get_object_id("_id") else {
                continue;
            };
            let version = number(product.get("version")).unwrap_or(0);
            let revision = number(product.get("revision"));
            if revision.is_none_or(|r| r < version) {
                // Written before revisions existed: start the revision above the version.
                let backfill =
                    doc! { "$set": { "revision": version.max(revision.unwrap_or(0)) + 1 } };
                let filter = doc! { "_id": id, "revision": product.get("revision").cloned() };
                bounded(self.timeout, products.update_one(filter, backfill)).await?;
            }
            let held = number(product.get("wishlistCount")).unwrap_or(-1);
            let real = counts.get(&id).copied().unwrap_or(0);
            if held == real {
                continue;
            }
            // The revision moves so cached copies are replaced (the consistency checker and
            // the next fill see a newer revision than the cache holds).
            let update = doc! {
                "$set": { "wishlistCount": real, "updatedAt": to_bson_time(Utc::now()) },
                "$inc": { "revision": 1_i64 },
            };
            let filter = doc! { "_id": id, "wishlistCount": product.get("wishlistCount").cloned() };
            let result = bounded(self.timeout, products.update_one(filter, update)).await?;
            if result.modified_count > 0 {
                tracing::warn!(product = %id, held, real, "wishlistCount corrected");
                corrected += 1;
            }
        }
        Ok(corrected)
    }

    #[tracing::instrument(name = "mongo.wishlist.product_ids", level = "debug", skip_all)]
    async fn product_ids(
        &self,
        user: &UserId,
    ) -> Result<std::collections::HashSet<ProductId>, RepositoryError> {
        let memberships = self.database.collection::<Document>(COLLECTION);
        let find = memberships
            .find(doc! { "userId": oid(user.as_str())? })
            .projection(doc! { "productId": 1 });
        let held: Vec<Document> =
            bounded(self.timeout, async { find.await?.try_collect().await }).await?;
        Ok(held
            .iter()
            .filter_map(|m| m.get_object_id("productId").ok())
            .filter_map(|id| ProductId::parse(&id.to_hex()).ok())
            .collect())
    }
}
