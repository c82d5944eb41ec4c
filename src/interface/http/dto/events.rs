//! What the event routes send, for the OpenAPI document. The product event's payload is
//! the domain event's own serialisation (`domain::event::ProductEvent`); a test holds the
//! two together.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::event::ShopperEvent;

/// One changed field: its value before and after, as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldChangeData {
    #[schema(example = "price")]
    pub field: String,
    /// Absent on `product.created`.
    #[schema(value_type = Option<Object>, example = 89.9)]
    pub old: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>, example = 79.9)]
    pub new: Option<serde_json::Value>,
}

/// `data:` of a product event. The SSE `event:` field is `type`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductEventData {
    /// `product.created`, `product.updated` or `product.deleted`.
    #[serde(rename = "type")]
    #[schema(example = "product.updated")]
    pub kind: String,
    #[schema(example = "665f1c0e9b1e8a3d4c2b1a09")]
    pub product_id: String,
    /// The product's version after the change (a delete is one above the last); with the
    /// product id, the de-duplication key of at-least-once consumers.
    pub version: u64,
    /// Fields whose value changed (every field on create, none on delete).
    pub changes: Vec<FieldChangeData>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// `data:` of a shopper event (`price-dropped`, `back-in-stock` or `removed`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShopperEventData {
    pub product_id: String,
    pub version: u64,
    /// `price-dropped` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_price: Option<f64>,
    /// `back-in-stock` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<u64>,
}

impl ShopperEventData {
    pub fn new(product_id: &str, version: u64, event: ShopperEvent) -> Self {
        let mut data = Self {
            product_id: product_id.to_owned(),
            version,
            old_price: None,
            new_price: None,
            stock: None,
        };
        match event {
            ShopperEvent::PriceDropped { old, new } => {
                data.old_price = Some(old);
                data.new_price = Some(new);
            }
            ShopperEvent::BackInStock { stock } => data.stock = Some(stock),
            ShopperEvent::Removed => {}
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::ProductEvent;
    use crate::usecases::test_support::{product, ID};

    #[test]
    fn the_documented_schema_reads_every_product_event_exactly() {
        for event in [
            ProductEvent::created(&product(ID, 1)),
            ProductEvent::updated(&product(ID, 1), &product(ID, 2)),
            ProductEvent::deleted(&product(ID, 2)),
        ] {
            let json = serde_json::to_string(&event).unwrap();
            let data: ProductEventData = serde_json::from_str(&json).unwrap();
            assert_eq!(data.kind, event.kind.as_str());
        }
    }
}
