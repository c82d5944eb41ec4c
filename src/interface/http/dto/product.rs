use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::keyset::{Keyset, ListPage, ListWindow};
use crate::domain::product::{
    Category, Description, Images, Money, NewProduct, Product, ProductChanges, ProductName, Sku,
    Stock,
};
use crate::domain::query::Page;
use crate::interface::http::cursor::CursorCodec;
use crate::interface::http::dto::number_text::NumberText;
use crate::interface::http::dto::ListQuery;
use crate::interface::http::error::{ApiError, FieldError};

/// Body of create (`POST`) and partial update (`PUT`). On create `name`, `description`,
/// `price`, `stock` and `category` are required; on update every field is optional.
/// Server-owned fields (`id`, `wishlistCount`, `version`, `createdAt`, `updatedAt`) are
/// accepted and ignored; any other unknown field is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductPayload {
    /// Optional merchant SKU: 1–64 of `A-Z a-z 0-9 - _ . /`, unique across the catalogue
    /// regardless of case (stored upper-case). An update can give or change it.
    #[schema(example = "TRAIL-SHOE-42")]
    sku: Option<String>,
    /// 3–100 characters after trimming.
    #[schema(example = "Trail Shoe")]
    name: Option<String>,
    /// 10–2000 characters after trimming.
    #[schema(example = "Light trail running shoe")]
    description: Option<String>,
    /// 0 to 1,000,000 with at most two decimal places.
    #[schema(value_type = Option<f64>, example = 89.9)]
    price: Option<NumberText>,
    /// Integer 0 to 1,000,000; an update sets it.
    #[schema(value_type = Option<i64>, example = 12)]
    stock: Option<serde_json::Number>,
    /// 1–50 characters after trimming.
    #[schema(example = "footwear")]
    category: Option<String>,
    /// At most 10 absolute http(s) URLs of at most 2048 characters.
    images: Option<Vec<String>>,
    /// Defaults to `true` on create.
    is_active: Option<bool>,
    #[serde(default, rename = "id")]
    #[schema(ignore)]
    _id: Option<IgnoredAny>,
    #[serde(default, rename = "wishlistCount")]
    #[schema(ignore)]
    _wishlist_count: Option<IgnoredAny>,
    #[serde(default, rename = "version")]
    #[schema(ignore)]
    _version: Option<IgnoredAny>,
    #[serde(default, rename = "createdAt")]
    #[schema(ignore)]
    _created_at: Option<IgnoredAny>,
    #[serde(default, rename = "updatedAt")]
    #[schema(ignore)]
    _updated_at: Option<IgnoredAny>,
}

/// Parses an optional field, recording either its value or its error.
fn field<T, E: std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    name: &str,
    required: bool,
    raw: Option<Result<T, E>>,
) -> Option<T> {
    match raw {
        Some(Ok(value)) => Some(value),
        Some(Err(error)) => {
            errors.push(FieldError::new(name, error));
            None
        }
        None if required => {
            errors.push(FieldError::new(name, "is required"));
            None
        }
        None => None,
    }
}

fn stock(raw: &serde_json::Number) -> Result<Stock, String> {
    match (raw.as_i64(), raw.is_u64()) {
        (Some(value), _) => Stock::parse(value).map_err(|e| e.to_string()),
        (None, true) => Stock::parse(i64::MAX).map_err(|e| e.to_string()),
        (None, false) => Err(format!("must be an integer between 0 and {}", Stock::MAX)),
    }
}

impl ProductPayload {
    fn parse(self, required: bool) -> Result<ProductChanges, ApiError> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let changes = ProductChanges {
            sku: field(e, "sku", false, self.sku.as_deref().map(Sku::parse)),
            name: field(
                e,
                "name",
                required,
                self.name.as_deref().map(ProductName::parse),
            ),
            description: field(
                e,
                "description",
                required,
                self.description.as_deref().map(Description::parse),
            ),
            price: field(
                e,
                "price",
                required,
                self.price.map(|n| Money::parse(n.as_str())),
            ),
            stock: field(e, "stock", required, self.stock.as_ref().map(stock)),
            category: field(
                e,
                "category",
                required,
                self.category.as_deref().map(Category::parse),
            ),
            images: field(
                e,
                "images",
                false,
                self.images.as_deref().map(Images::parse),
            ),
            is_active: self.is_active,
        };
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(ApiError::validation(errors))
        }
    }

    /// Validates every field, reporting all failures at once.
    pub fn into_new_product(self) -> Result<NewProduct, ApiError> {
        let changes = self.parse(true)?;
        match changes {
            ProductChanges {
                sku,
                name: Some(name),
                description: Some(description),
                price: Some(price),
                stock: Some(stock),
                category: Some(category),
                images,
                is_active,
            } => Ok(NewProduct {
                sku,
                name,
                description,
                price,
                stock,
                category,
                images: images.unwrap_or_default(),
                is_active: is_active.unwrap_or(true),
            }),
            _ => Err(ApiError::validation(vec![FieldError::new(
                "body",
                "required fields missing",
            )])),
        }
    }

    /// Validates the fields present; absent ones stay unchanged.
    pub fn into_changes(self) -> Result<ProductChanges, ApiError> {
        self.parse(false)
    }
}

/// A product as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductResponse {
    #[schema(example = "665f1c0e9b1e8a3d4c2b1a09")]
    pub id: String,
    /// The merchant's SKU, upper-case; `null` when none was given.
    #[schema(example = "TRAIL-SHOE-42")]
    pub sku: Option<String>,
    pub name: String,
    pub description: String,
    #[schema(example = 89.9)]
    pub price: f64,
    pub stock: u32,
    pub category: String,
    pub images: Vec<String>,
    pub is_active: bool,
    pub wishlist_count: u64,
    /// Bumped by every write; the `ETag` and `If-Match` value.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductResponse {
    fn from(p: Product) -> Self {
        Self {
            id: p.id.to_string(),
            sku: p.sku.map(|sku| sku.as_str().to_owned()),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            price: p.price.as_f64(),
            stock: p.stock.get(),
            category: p.category.as_str().to_owned(),
            images: p
                .images
                .as_slice()
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            is_active: p.is_active,
            wishlist_count: p.wishlist_count,
            version: p.version.get(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// One page of a product list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductList {
    pub products: Vec<ProductResponse>,
    /// Products that match the filter; `null` on a page reached by cursor (not counted,
    /// so its cost stays flat: `/api/products/count` has it).
    pub total: Option<u64>,
    /// The page number; `null` on a page reached by cursor.
    pub page: Option<u32>,
    pub limit: u32,
    /// `null` on a page reached by cursor.
    pub total_pages: Option<u64>,
    /// Send as `cursor` (with the same query) for the items after this page; `null` at
    /// the end (always `null` on the wishlist).
    pub next_cursor: Option<String>,
    /// Send as `cursor` for the items before this page; `null` at the start.
    pub prev_cursor: Option<String>,
}

impl From<Page<Product>> for ProductList {
    fn from(page: Page<Product>) -> Self {
        Self {
            total_pages: Some(page.request.total_pages(page.total)),
            products: page.items.into_iter().map(Into::into).collect(),
            total: Some(page.total),
            page: Some(page.request.page()),
            limit: page.request.limit(),
            next_cursor: None,
            prev_cursor: None,
        }
    }
}

impl ProductList {
    /// A page of the catalogue, with cursors to its neighbours in the list `query` names.
    pub fn listed(page: ListPage, query: &ListQuery, cursors: &CursorCodec) -> Self {
        let cursor = |keyset: Option<Keyset>| {
            keyset.map(|keyset| cursors.encode(&keyset, &query.filter, query.sort))
        };
        let (next_cursor, prev_cursor) = (
            cursor(page.next(query.sort)),
            cursor(page.previous(query.sort)),
        );
        let limit = page.window.limit();
        Self {
            total_pages: page.total.map(|total| total.div_ceil(u64::from(limit))),
            page: match &page.window {
                ListWindow::Numbered(request) => Some(request.page()),
                ListWindow::Keyset(_) => None,
            },
            products: page.items.into_iter().map(Into::into).collect(),
            total: page.total,
            limit,
            next_cursor,
            prev_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: serde_json::Value) -> ProductPayload {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn create_reports_every_failing_field() {
        let Err(ApiError::Unprocessable { errors, .. }) =
            payload(serde_json::json!({"name": "x", "price": 1.005, "stock": -1}))
                .into_new_product()
        else {
            panic!("expected 422");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "description", "price", "stock", "category"]
        );
    }

    #[test]
    fn server_owned_fields_are_ignored() {
        let p = payload(serde_json::json!({
            "name": "Trail Shoe", "description": "Light trail shoe", "price": 89.9, "stock": 1,
            "category": "footwear", "id": "x", "version": 99, "wishlistCount": 5
        }))
        .into_new_product()
        .unwrap();
        assert_eq!(p.price.cents(), 8990);
        assert!(p.is_active);
    }

    #[test]
    fn stock_must_be_an_integer() {
        let Err(ApiError::Unprocessable { errors, .. }) =
            payload(serde_json::json!({"stock": 1.5})).into_changes()
        else {
            panic!("expected 422");
        };
        assert_eq!(errors[0].field, "stock");
    }
}
