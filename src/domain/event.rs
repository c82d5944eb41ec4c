//! Product events: what changed in the catalogue, in the words other services and shoppers
//! hear it. Built from the stored states before and after a write, so an event says exactly
//! what the write did, never what the client asked for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::product::{Product, ProductId};

/// What happened to a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductEventKind {
    #[serde(rename = "product.created")]
    Created,
    #[serde(rename = "product.updated")]
    Updated,
    #[serde(rename = "product.deleted")]
    Deleted,
    /// A deleted product brought back within the restore window.
    #[serde(rename = "product.restored")]
    Restored,
}

impl ProductEventKind {
    /// The event's name on the wire (the SSE `event:` field).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "product.created",
            Self::Updated => "product.updated",
            Self::Deleted => "product.deleted",
            Self::Restored => "product.restored",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Created, Self::Updated, Self::Deleted, Self::Restored]
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }
}

/// One client-visible field that changed, with its value before and after, as the API
/// shows it (`price` in currency units). `old` is absent on create, `new` on delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// A committed change of one product. `version` orders a product's events and is their
/// de-duplication key: created is 1, each content update one more, and a delete one above
/// the last stored version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductEvent {
    #[serde(rename = "type")]
    pub kind: ProductEventKind,
    pub product_id: String,
    pub version: u64,
    pub changes: Vec<FieldChange>,
    pub at: DateTime<Utc>,
}

/// The client-visible fields of a product, by API name, in a fixed order.
fn fields(product: &Product) -> [(&'static str, Value); 8] {
    let images: Vec<&str> = product
        .images
        .as_slice()
        .iter()
        .map(|url| url.as_str())
        .collect();
    let sku = product.sku.as_ref().map(|sku| sku.as_str());
    [
        ("name", Value::from(product.name.as_str())),
        ("description", Value::from(product.description.as_str())),
        ("price", Value::from(product.price.as_f64())),
        ("stock", Value::from(product.stock.get())),
        ("category", Value::from(product.category.as_str())),
        ("images", Value::from(images)),
        ("isActive", Value::from(product.is_active)),
        ("sku", sku.map_or(Value::Null, Value::from)),
    ]
}

impl ProductEvent {
    pub fn created(product: &Product) -> Self {
        Self::appeared(ProductEventKind::Created, product)
    }

    /// A deleted product back: every field, as on create, at the restored version.
    pub fn restored(product: &Product) -> Self {
        Self::appeared(ProductEventKind::Restored, product)
    }

    /// Every field that has a value (a product without a SKU has no `sku` change).
    fn appeared(kind: ProductEventKind, product: &Product) -> Self {
        let changes = fields(product)
            .into_iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(field, new)| FieldChange {
                field: field.to_owned(),
                old: None,
                new: Some(new),
            })
            .collect();
        Self::new(kind, product, product.version.get(), changes)
    }

    /// The fields whose stored value differs between `before` and `after`; an update that
    /// changed nothing visible has no changes but is still an event (its version moved).
    pub fn updated(before: &Product, after: &Product) -> Self {
        let changes = fields(before)
            .into_iter()
            .zip(fields(after))
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| FieldChange {
                field: field.to_owned(),
                old: Some(old),
                new: Some(new),
            })
            .collect();
        Self::new(
            ProductEventKind::Updated,
            after,
            after.version.get(),
            changes,
        )
    }

    pub fn deleted(product: &Product) -> Self {
        let version = product.version.get() + 1;
        Self::new(ProductEventKind::Deleted, product, version, Vec::new())
    }

    fn new(
        kind: ProductEventKind,
        product: &Product,
        version: u64,
        changes: Vec<FieldChange>,
    ) -> Self {
        let now = Utc::now();
        Self {
            kind,
            product_id: product.id.to_string(),
            version,
            changes,
            at: DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now),
        }
    }

    pub fn product(&self) -> Option<ProductId> {
        ProductId::parse(&self.product_id).ok()
    }

    fn change(&self, field: &str) -> Option<&FieldChange> {
        self.changes.iter().find(|change| change.field == field)
    }

    /// What this event means to a shopper holding the product on their wishlist, if
    /// anything: a lower price, stock back from zero, or the product gone.
    pub fn shopper_event(&self) -> Option<ShopperEvent> {
        let number = |value: &Option<Value>| value.as_ref().and_then(Value::as_f64);
        match self.kind {
            ProductEventKind::Deleted => Some(ShopperEvent::Removed),
            ProductEventKind::Created | ProductEventKind::Restored => None,
            ProductEventKind::Updated => {
                if let Some(price) = self.change("price") {
                    if let (Some(old), Some(new)) = (number(&price.old), number(&price.new)) {
                        if new < old {
                            return Some(ShopperEvent::PriceDropped { old, new });
                        }
                    }
                }
                let stock = self.change("stock")?;
                match (number(&stock.old), number(&stock.new)) {
                    (Some(old), Some(new)) if old == 0.0 && new > 0.0 => {
                        Some(ShopperEvent::BackInStock { stock: new as u64 })
                    }
                    _ => None,
                }
            }
        }
    }
}

/// A product event as a shopper with the product on their wishlist hears it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShopperEvent {
    PriceDropped { old: f64, new: f64 },
    BackInStock { stock: u64 },
    Removed,
}

impl ShopperEvent {
    pub fn name(self) -> &'static str {
        match self {
            Self::PriceDropped { .. } => "price-dropped",
            Self::BackInStock { .. } => "back-in-stock",
            Self::Removed => "removed",
        }
    }
}

/// Where an event sits in the product event stream: `<milliseconds>-<sequence>`, as Redis
/// Streams number entries. Ordered as the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    pub millis: u64,
    pub sequence: u64,
}

impl EventId {
    /// Before every entry of any stream (`0-0`).
    pub const ZERO: Self = Self {
        millis: 0,
        sequence: 0,
    };

    /// Parses `<ms>-<seq>`; a bare `<ms>` means its first entry.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (millis, sequence) = match raw.split_once('-') {
            Some((millis, sequence)) => (millis.parse().ok()?, sequence.parse().ok()?),
            None => (raw.parse().ok()?, 0),
        };
        Some(Self { millis, sequence })
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.millis, self.sequence)
    }
}

/// An event as stored in the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: EventId,
    pub event: ProductEvent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::{Money, Stock};
    use crate::usecases::test_support::{product, ID};

    #[test]
    fn an_update_lists_only_the_fields_that_changed_with_both_values() {
        let before = product(ID, 2);
        let mut after = product(ID, 3);
        after.price = Money::from_cents(7_990).unwrap();
        let event = ProductEvent::updated(&before, &after);
        assert_eq!(event.version, 3);
        assert_eq!(event.kind, ProductEventKind::Updated);
        let fields: Vec<&str> = event.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["price"]);
        assert_eq!(event.changes[0].new, Some(Value::from(79.9)));
    }

    #[test]
    fn shoppers_hear_of_lower_prices_stock_back_from_zero_and_removal_only() {
        let mut before = product(ID, 1);
        let mut after = product(ID, 2);
        after.price = Money::from_cents(before.price.cents() - 100).unwrap();
        assert!(matches!(
            ProductEvent::updated(&before, &after).shopper_event(),
            Some(ShopperEvent::PriceDropped { .. })
        ));
        after.price = Money::from_cents(before.price.cents() + 100).unwrap();
        assert_eq!(ProductEvent::updated(&before, &after).shopper_event(), None);

        before.stock = Stock::parse(0).unwrap();
        after = before.clone();
        after.stock = Stock::parse(4).unwrap();
        assert_eq!(
            ProductEvent::updated(&before, &after).shopper_event(),
            Some(ShopperEvent::BackInStock { stock: 4 })
        );
        assert_eq!(ProductEvent::created(&after).shopper_event(), None);
        let deleted = ProductEvent::deleted(&after);
        assert_eq!(deleted.version, after.version.get() + 1);
        assert_eq!(deleted.shopper_event(), Some(ShopperEvent::Removed));
    }

    #[test]
    fn a_restore_orders_after_the_delete_it_undoes() {
        let deleted = product(ID, 4);
        let delete = ProductEvent::deleted(&deleted);
        let at = deleted.updated_at + chrono::Duration::days(2);
        let restored = deleted.clone().restored(at);
        let restore = ProductEvent::restored(&restored);
        assert_eq!((delete.version, restore.version), (5, 6));
        assert!(
            restored.revision > deleted.revision + 1,
            "above the delete's tombstone"
        );
        assert_eq!(
            (restored.updated_at, restored.created_at),
            (at, deleted.created_at)
        );
        assert_eq!(restore.kind.as_str(), "product.restored");
        assert_eq!(
            ProductEventKind::parse("product.restored"),
            Some(restore.kind)
        );
        assert_eq!(
            restore.changes.len(),
            7,
            "every field with a value, as on create"
        );
        assert_eq!(restore.shopper_event(), None);
    }

    #[test]
    fn event_ids_order_as_the_stream_does() {
        let a = EventId::parse("1700000000000-2").unwrap();
        let b = EventId::parse("1700000000001-0").unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "1700000000000-2");
        assert_eq!(
            EventId::parse("5"),
            Some(EventId {
                millis: 5,
                sequence: 0
            })
        );
        assert_eq!(EventId::parse("x-1"), None);
    }

    #[test]
    fn the_wire_form_names_the_kind_in_type() {
        let json = serde_json::to_value(ProductEvent::created(&product(ID, 1))).unwrap();
        assert_eq!(json["type"], "product.created");
        assert_eq!(json["productId"], ID);
        assert_eq!(json["changes"][0]["field"], "name");
        assert!(json["changes"][0].get("old").is_none());
    }
}
