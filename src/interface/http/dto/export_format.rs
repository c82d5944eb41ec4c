//! The lines of a product export, NDJSON or CSV: what `GET /api/products/export` streams
//! and `product-catalog export` writes, and what an import reads back.

use crate::domain::product::Product;
use crate::interface::http::dto::ProductResponse;

/// The columns of a CSV export, in order; `images` are separated by spaces (URLs hold
/// none), an absent `sku` is an empty field.
pub const CSV_COLUMNS: [&str; 13] = [
    "id",
    "sku",
    "name",
    "description",
    "price",
    "stock",
    "category",
    "images",
    "isActive",
    "wishlistCount",
    "version",
    "createdAt",
    "updatedAt",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One product object per line, as the API shows it.
    Ndjson,
    /// A header row (`CSV_COLUMNS`), then one row per product.
    Csv,
}

/// Rendering failed (a bug: the values are plain text and numbers).
#[derive(Debug, thiserror::Error)]
#[error("could not render an export line: {0}")]
pub struct ExportLineError(String);

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What comes before the first product: the CSV header row.
    pub fn header(self) -> Result<Option<Vec<u8>>, ExportLineError> {
        match self {
            Self::Ndjson => Ok(None),
            Self::Csv => csv_row(&CSV_COLUMNS.map(str::to_owned)).map(Some),
        }
    }

    /// One product's line, with its line ending.
    pub fn line(self, product: Product) -> Result<Vec<u8>, ExportLineError> {
        let p = ProductResponse::from(product);
        match self {
            Self::Ndjson => {
                let mut line =
                    serde_json::to_vec(&p).map_err(|e| ExportLineError(e.to_string()))?;
                line.push(b'\n');
                Ok(line)
            }
            Self::Csv => {
                let at = |t: chrono::DateTime<chrono::Utc>| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                };
                csv_row(&[
                    p.id,
                    p.sku.unwrap_or_default(),
                    p.name,
                    p.description,
                    p.price.to_string(),
                    p.stock.to_string(),
                    p.category,
                    p.images.join(" "),
                    p.is_active.to_string(),
                    p.wishlist_count.to_string(),
                    p.version.to_string(),
                    at(p.created_at),
                    at(p.updated_at),
                ])
            }
        }
    }
}

fn csv_row(fields: &[String]) -> Result<Vec<u8>, ExportLineError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .map_err(|e| ExportLineError(e.to_string()))?;
    writer
        .into_inner()
        .map_err(|e| ExportLineError(e.to_string()))
}
