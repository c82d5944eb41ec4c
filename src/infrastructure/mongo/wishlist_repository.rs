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
/// is followed by one atomic `$inc` of the product's `wishlistCount` (and `version`).
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

    async fn current(&self, product: ObjectId) -> Result<Product, RepositoryError> {
        bounded(
            self.timeout,
            self.products().find_one(doc! { "_id": product }),
        )
        .await?
        .ok_or(RepositoryError::NotFound)?
        .into_product()
    }

    /// Moves the count by `delta` and bumps the version in one atomic update.
    async fn count(
        &self,
        product: ObjectId,
        delta: i64,
    ) -> Result<Option<ProductDocument>, RepositoryError> {
        let update = doc! {
            "$inc": { "wishlistCount": delta, "version": 1_i64 },
            "$set": { "updatedAt": to_bson_time(Utc::now()) },
        };
        bounded(
            self.timeout,
            self.products()
                .find_one_and_update(doc! { "_id": product }, update)
                .return_document(ReturnDocument::After),
        )
        .await
    }
}

#[async_trait]
impl WishlistRepository for MongoWishlistRepository {
    async fn set(
        &self,
        user: &UserId,
        product: &ProductId,
        member: bool,
    ) -> Result<(Product, bool), RepositoryError> {
        let (user_oid, product_oid) = (oid(user.as_str())?, oid(product.as_str())?);
        let key = doc! { "userId": user_oid, "productId": product_oid };
        if member {
            self.current(product_oid).await?;
            let membership = Membership {
                id: ObjectId::new(),
                user_id: user_oid,
                product_id: product_oid,
                created_at: to_bson_time(Utc::now()),
            };
            match bounded(self.timeout, self.memberships().insert_one(&membership)).await {
                Ok(_) => {}
                Err(RepositoryError::Duplicate) => {
                    return Ok((self.current(product_oid).await?, false))
                }
                Err(error) => return Err(error),
            }
            match self.count(product_oid, 1).await {
                Ok(Some(updated)) => Ok((updated.into_product()?, true)),
                Ok(None) => {
                    // Deleted meanwhile: take the membership back so nothing dangles.
                    let _ = bounded(self.timeout, self.memberships().delete_one(key)).await;
                    Err(RepositoryError::NotFound)
                }
                Err(error) => {
                    let _ = bounded(self.timeout, self.memberships().delete_one(key)).await;
                    Err(error)
                }
            }
        } else {
            let removed = bounded(self.timeout, self.memberships().delete_one(key.clone())).await?;
            if removed.deleted_count == 0 {
                return Ok((self.current(product_oid).await?, false));
            }
            match self.count(product_oid, -1).await {
                Ok(Some(updated)) => Ok((updated.into_product()?, true)),
                Ok(None) => Err(RepositoryError::NotFound),
                Err(error) => {
                    let restore = Membership {
                        id: ObjectId::new(),
                        user_id: user_oid,
                        product_id: product_oid,
                        created_at: to_bson_time(Utc::now()),
                    };
                    let _ = bounded(self.timeout, self.memberships().insert_one(&restore)).await;
                    Err(error)
                }
            }
        }
    }

    async fn contains(&self, user: &UserId, product: &ProductId) -> Result<bool, RepositoryError> {
        let filter = doc! { "userId": oid(user.as_str())?, "productId": oid(product.as_str())? };
        Ok(bounded(self.timeout, self.memberships().find_one(filter))
            .await?
            .is_some())
    }

    async fn list(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Page<Product>, RepositoryError> {
        let filter = doc! { "userId": oid(user.as_str())? };
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

    async fn remove_product(&self, product: &ProductId) -> Result<u64, RepositoryError> {
        let removed = bounded(
            self.timeout,
            self.memberships()
                .delete_many(doc! { "productId": oid(product.as_str())? }),
        )
        .await?;
        Ok(removed.deleted_count)
    }
}
