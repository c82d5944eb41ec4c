//! Keyset pagination: a page that starts next to a known item instead of after a count of
//! items. Its cost does not grow with depth (the store seeks to the position in the sort
//! index instead of walking every item before it), and it neither skips nor repeats an
//! item when others are inserted or deleted meanwhile.

use crate::domain::product::{Product, ProductId};
use crate::domain::query::{PageRequest, ProductSort, SortField};

/// An item's value in the field a list is sorted by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortValue {
    /// Milliseconds since the Unix epoch (what the store keeps).
    CreatedAt(i64),
    PriceCents(i64),
    Name(String),
}

impl SortValue {
    /// `product`'s value in `field`; `None` for relevance, which depends on the search and
    /// is paged by number only.
    pub fn of(product: &Product, field: SortField) -> Option<Self> {
        Some(match field {
            SortField::CreatedAt => Self::CreatedAt(product.created_at.timestamp_millis()),
            SortField::Price => Self::PriceCents(product.price.cents()),
            SortField::Name => Self::Name(product.name.as_str().to_owned()),
            SortField::Relevance => return None,
        })
    }

    /// The value as JSON (a number, or the name as a string), for cache keys and cursors.
    pub fn as_json(&self) -> serde_json::Value {
        match self {
            Self::CreatedAt(millis) => serde_json::json!(millis),
            Self::PriceCents(cents) => serde_json::json!(cents),
            Self::Name(name) => serde_json::json!(name),
        }
    }

    /// The field this value belongs to.
    pub fn field(&self) -> SortField {
        match self {
            Self::CreatedAt(_) => SortField::CreatedAt,
            Self::PriceCents(_) => SortField::Price,
            Self::Name(_) => SortField::Name,
        }
    }
}

/// A place in a sorted list: the sort value and id of one item (the id breaks ties, in the
/// same direction as the sort). The item itself need not exist any more.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    pub value: SortValue,
    pub id: ProductId,
}

impl Position {
    pub fn of(product: &Product, field: SortField) -> Option<Self> {
        Some(Self {
            value: SortValue::of(product, field)?,
            id: product.id.clone(),
        })
    }
}

/// Which side of the position a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The items that follow the position in the list's order.
    After,
    /// The items that precede it (the page is still returned in the list's order).
    Before,
}

/// `limit` items on one side of a position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Keyset {
    pub position: Position,
    pub direction: Direction,
    pub limit: u32,
}

/// Which part of a sorted product list a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListWindow {
    /// A numbered page (`page`, `limit`), for shallow depths.
    Numbered(PageRequest),
    /// Next to a position, at any depth.
    Keyset(Keyset),
}

impl ListWindow {
    pub fn limit(&self) -> u32 {
        match self {
            Self::Numbered(page) => page.limit(),
            Self::Keyset(keyset) => keyset.limit,
        }
    }
}

/// One window of a sorted product list, with whether items lie before and after it (where
/// the previous and next cursors lead), and for a numbered page the total that matched the
/// filter. A keyset page is not counted: a count costs in proportion to the products that
/// match, which is what a keyset page avoids (`GET /api/products/count` has it, cached).
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub items: Vec<Product>,
    pub total: Option<u64>,
    pub window: ListWindow,
    pub earlier: bool,
    pub later: bool,
}

impl ListPage {
    /// A numbered page: what lies around it follows from the total.
    pub fn numbered(items: Vec<Product>, total: u64, page: PageRequest) -> Self {
        let end = page.offset() + items.len() as u64;
        Self {
            earlier: page.offset() > 0 && total > 0,
            later: !items.is_empty() && end < total,
            items,
            total: Some(total),
            window: ListWindow::Numbered(page),
        }
    }

    /// A keyset page from the store's answer in seek order (away from the position), which
    /// holds up to one item more than the limit when more lie beyond. Returned in the
    /// list's order. The side the page came from always has the position's item (or the
    /// place it had) behind it.
    pub fn keyset(mut seek_order: Vec<Product>, keyset: Keyset) -> Self {
        let limit = keyset.limit as usize;
        let beyond = seek_order.len() > limit;
        seek_order.truncate(limit);
        let (earlier, later) = match keyset.direction {
            Direction::After => (true, beyond),
            Direction::Before => {
                seek_order.reverse();
                (beyond, true)
            }
        };
        Self {
            items: seek_order,
            total: None,
            window: ListWindow::Keyset(keyset),
            earlier,
            later,
        }
    }

    /// Where the next page starts, when items follow this one.
    pub fn next(&self, sort: ProductSort) -> Option<Keyset> {
        let last = self.items.last().filter(|_| self.later)?;
        Some(Keyset {
            position: Position::of(last, sort.field)?,
            direction: Direction::After,
            limit: self.window.limit(),
        })
    }

    /// Where the previous page ends, when items precede this one.
    pub fn previous(&self, sort: ProductSort) -> Option<Keyset> {
        let first = self.items.first().filter(|_| self.earlier)?;
        Some(Keyset {
            position: Position::of(first, sort.field)?,
            direction: Direction::Before,
            limit: self.window.limit(),
        })
    }
}
