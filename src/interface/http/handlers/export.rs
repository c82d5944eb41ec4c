//! `GET /api/products/export`: the catalogue (or the products matching a list's filters)
//! streamed as NDJSON or CSV, one product per line, in id order, from one MongoDB cursor:
//! memory stays constant whatever the catalogue's size (`dto/export_format.rs` renders
//! the lines).

use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use shaku_actix::Inject;

use crate::interface::http::dto::{ExportFormat, ExportLineError, ListQuery, ListQueryParams};
use crate::interface::http::error::{ApiError, ErrorBody};
use crate::interface::http::extractors::AdminUser;
use crate::usecases::{ExportProductsUseCase, ProductError};

module_part!(
    /// What the export handler resolves from the DI module.
    ExportModule: dyn ExportProductsUseCase
);

/// This handler's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(export_products))]
pub struct ExportPaths;

const NDJSON: &str = "application/x-ndjson";
const CSV: &str = "text/csv";

/// The format `Accept` asks for: NDJSON unless CSV is preferred; neither acceptable is
/// `None` (406).
fn format(request: &HttpRequest) -> Option<ExportFormat> {
    let Some(accept) = request.headers().get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(ExportFormat::Ndjson);
    };
    let mut best: Option<(f32, ExportFormat)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            CSV | "text/*" => ExportFormat::Csv,
            NDJSON | "application/json" | "application/*" | "*/*" => ExportFormat::Ndjson,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, format));
        }
    }
    best.map(|(_, format)| format)
}

/// Every product matching the filters (paging and sort ignored), as `application/x-ndjson`
/// (the default: one product object per line, as the API shows it) or `text/csv` (a
/// header row, then one row per product). At most two exports stream per instance (429
/// beyond). Products are read in id order from one cursor: each as stored when the cursor
/// reached it, none twice; one created or deleted during the export may or may not be in
/// it. A failure mid-stream ends the transfer without its final chunk, so a client never
/// mistakes a cut export for a complete one.
#[utoipa::path(get, path = "/api/products/export", tag = "products", params(ListQueryParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "The products, one per line", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 406, description = "Accept names neither NDJSON nor CSV", body = ErrorBody),
        (status = 429, description = "Two exports are already streaming on this instance (Retry-After)", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn export_products<M: ExportModule>(
    export: Inject<M, dyn ExportProductsUseCase>,
    _admin: AdminUser,
    request: HttpRequest,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let format = format(&request).ok_or(ApiError::NotAcceptable)?;
    let products = export.execute(&query.filter).await?;
    let rendering = |e: ExportLineError| ApiError::Internal(Box::new(e));
    let header = format.header().map_err(rendering)?;
    let lines = products.map(move |product| {
        let product = product.map_err(|e| ApiError::from(ProductError::from(e)))?;
        format
            .line(product)
            .map(web::Bytes::from)
            .map_err(rendering)
    });
    let header = futures_util::stream::iter(header.map(|h| Ok(web::Bytes::from(h))));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, format.content_type()))
        .streaming(header.chain(lines)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn asked(accept: Option<&str>) -> Option<ExportFormat> {
        let mut request = TestRequest::default();
        if let Some(accept) = accept {
            request = request.insert_header((ACCEPT, accept));
        }
        format(&request.to_http_request())
    }

    #[test]
    fn accept_picks_ndjson_unless_csv_is_preferred() {
        assert_eq!(asked(None), Some(ExportFormat::Ndjson));
        assert_eq!(asked(Some("*/*")), Some(ExportFormat::Ndjson));
        assert_eq!(asked(Some("text/csv")), Some(ExportFormat::Csv));
        assert_eq!(
            asked(Some("application/x-ndjson;q=0.5, text/csv")),
            Some(ExportFormat::Csv)
        );
        assert_eq!(
            asked(Some("text/csv;q=0.2, application/x-ndjson")),
            Some(ExportFormat::Ndjson)
        );
        assert_eq!(asked(Some("text/html")), None);
        assert_eq!(asked(Some("text/csv;q=0")), None);
    }
}
