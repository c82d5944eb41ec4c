use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use crate::domain::error::RepositoryError;
use crate::domain::product::{
    Category, Description, Images, Money, NewProduct, Product, ProductId, ProductName, Sku, Stock,
    Version,
};
use crate::domain::search::ProductTerms;

/// The stored shape of a product. Money is kept as integer cents so it stays exact and
/// sorts numerically.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProductDocument {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Upper-case, unique when present (a sparse unique index); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i64,
    pub category: String,
    pub images: Vec<String>,
    pub is_active: bool,
    pub wishlist_count: i64,
    pub version: i64,
    /// Absent in documents written before it existed; read as `version` then (and backfilled
    /// by `reconcile_counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    pub created_at: mongodb::bson::DateTime,
    pub updated_at: mongodb::bson::DateTime,
    /// What search finds the product by (`domain::search`), under a multikey index; absent
    /// in documents written before search used it, until the start-up backfill reaches them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_terms: Vec<String>,
    /// The name's terms, which rank a match higher.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_terms: Vec<String>,
    /// The terms' prefixes, under a multikey index: what the last word of a search finds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_prefixes: Vec<String>,
}

pub(super) fn to_bson_time(at: DateTime<Utc>) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_millis(at.timestamp_millis())
}

fn from_bson_time(at: mongodb::bson::DateTime) -> Result<DateTime<Utc>, RepositoryError> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).ok_or_else(|| corrupt("timestamp"))
}

/// A negative count (drift left by an older version) is read as 0 and logged, never a
/// failed read: the product, its list pages and wishlists stay readable, and
/// `reconcile_counts` repairs the stored value.
fn clamped_count(id: &ObjectId, count: i64) -> u64 {
    u64::try_from(count).unwrap_or_else(|_| {
        tracing::warn!(product = %id, count, "negative wishlistCount read as 0");
        0
    })
}

/// The `$set` of `product`'s search terms, for a write that may have changed its text.
pub(super) fn terms_update(product: &Product) -> mongodb::bson::Document {
    terms_set(
        product.name.as_str(),
        product.description.as_str(),
        product.category.as_str(),
    )
}

/// The search fields of a product with this text.
pub(super) fn terms_set(name: &str, description: &str, category: &str) -> mongodb::bson::Document {
    let terms = ProductTerms::of(name, description, category);
    mongodb::bson::doc! {
        "searchTerms": terms.all,
        "nameTerms": terms.name,
        "searchPrefixes": terms.prefixes,
    }
}

/// A projection that leaves the search fields out: reads of products never use them, and
/// they are most of a document's size.
pub(super) fn without_search_fields() -> mongodb::bson::Document {
    mongodb::bson::doc! { "searchTerms": 0, "nameTerms": 0, "searchPrefixes": 0 }
}

fn corrupt(field: &str) -> RepositoryError {
    RepositoryError::Unexpected(format!("stored product has an invalid {field}").into())
}

pub(super) fn image_strings(images: &Images) -> Vec<String> {
    images
        .as_slice()
        .iter()
        .map(|u| u.as_str().to_owned())
        .collect()
}

impl ProductDocument {
    /// A fresh document: version 1, no wishlists, both timestamps equal.
    pub fn new(product: &NewProduct, id: ObjectId, now: mongodb::bson::DateTime) -> Self {
        Self::without_terms(product, id, now).with_terms()
    }

    /// The document of a stored product, without search fields (for copies of it kept
    /// elsewhere, such as idempotency receipts).
    pub fn of(product: &Product) -> Result<Self, RepositoryError> {
        let id = ObjectId::parse_str(product.id.as_str()).map_err(|_| corrupt("id"))?;
        let content = NewProduct {
            sku: product.sku.clone(),
            name: product.name.clone(),
            description: product.description.clone(),
            price: product.price,
            stock: product.stock,
            category: product.category.clone(),
            images: product.images.clone(),
            is_active: product.is_active,
        };
        Ok(Self {
            wishlist_count: i64::try_from(product.wishlist_count).unwrap_or(i64::MAX),
            version: product.version.get() as i64,
            revision: Some(product.revision as i64),
            updated_at: to_bson_time(product.updated_at),
            ..Self::without_terms(&content, id, to_bson_time(product.created_at))
        })
    }

    fn without_terms(product: &NewProduct, id: ObjectId, now: mongodb::bson::DateTime) -> Self {
        Self {
            id,
            sku: product.sku.as_ref().map(|sku| sku.as_str().to_owned()),
            name: product.name.as_str().to_owned(),
            description: product.description.as_str().to_owned(),
            price_cents: product.price.cents(),
            stock: i64::from(product.stock.get()),
            category: product.category.as_str().to_owned(),
            images: image_strings(&product.images),
            is_active: product.is_active,
            wishlist_count: 0,
            version: Version::FIRST.get() as i64,
            revision: Some(Version::FIRST.get() as i64),
            created_at: now,
            updated_at: now,
            search_terms: Vec::new(),
            name_terms: Vec::new(),
            search_prefixes: Vec::new(),
        }
    }

    /// The document with its search terms computed from its name, description and
    /// category.
    pub fn with_terms(mut self) -> Self {
        let terms = ProductTerms::of(&self.name, &self.description, &self.category);
        self.search_terms = terms.all;
        self.name_terms = terms.name;
        self.search_prefixes = terms.prefixes;
        self
    }

    /// Re-parses every field, so a document edited by hand into an invalid state is reported
    /// instead of being served.
    pub fn into_product(self) -> Result<Product, RepositoryError> {
        let version = u64::try_from(self.version).map_err(|_| corrupt("version"))?;
        Ok(Product {
            id: ProductId::parse(&self.id.to_hex()).map_err(|_| corrupt("id"))?,
            sku: self
                .sku
                .as_deref()
                .map(Sku::parse)
                .transpose()
                .map_err(|_| corrupt("sku"))?,
            name: ProductName::parse(&self.name).map_err(|_| corrupt("name"))?,
            description: Description::parse(&self.description)
                .map_err(|_| corrupt("description"))?,
            price: Money::from_cents(self.price_cents).map_err(|_| corrupt("price"))?,
            stock: Stock::parse(self.stock).map_err(|_| corrupt("stock"))?,
            category: Category::parse(&self.category).map_err(|_| corrupt("category"))?,
            images: Images::parse(&self.images).map_err(|_| corrupt("images"))?,
            is_active: self.is_active,
            wishlist_count: clamped_count(&self.id, self.wishlist_count),
            version: Version::new(version),
            revision: u64::try_from(self.revision.unwrap_or(self.version))
                .map_err(|_| corrupt("revision"))?
                .max(version),
            created_at: from_bson_time(self.created_at)?,
            updated_at: from_bson_time(self.updated_at)?,
        })
    }
}
