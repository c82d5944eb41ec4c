//! `product-catalog export [--csv]`: every product to standard output, NDJSON (or CSV), in
//! id order, straight from MongoDB in constant memory: the lines `GET
//! /api/products/export` streams.

use std::io::Write;

use futures_util::StreamExt;

use super::{Settings, StartupError};
use crate::domain::ports::ProductRepository;
use crate::domain::query::ProductFilter;
use crate::infrastructure::mongo::{self, MongoProductRepository};
use crate::interface::http::dto::ExportFormat;

/// Writes the export to `out`; returns how many products it wrote.
pub async fn export(
    settings: Settings,
    format: ExportFormat,
    out: &mut (impl Write + Send),
) -> Result<u64, StartupError> {
    let database = mongo::connect(&settings.mongo).await?;
    let products = MongoProductRepository::new(
        database,
        settings.mongo.operation_timeout,
        "export".to_owned(),
        settings.restore_window,
    );
    let failed = |e: &dyn std::fmt::Display| StartupError::Export(e.to_string());
    let mut stream = products
        .export(&ProductFilter::default())
        .await
        .map_err(|e| failed(&e))?;
    if let Some(header) = format.header().map_err(|e| failed(&e))? {
        out.write_all(&header).map_err(|e| failed(&e))?;
    }
    let mut written = 0;
    while let Some(product) = stream.next().await {
        let line = format
            .line(product.map_err(|e| failed(&e))?)
            .map_err(|e| failed(&e))?;
        out.write_all(&line).map_err(|e| failed(&e))?;
        written += 1;
    }
    out.flush().map_err(|e| failed(&e))?;
    Ok(written)
}
