use actix_web::http::header::{ETAG, LOCATION};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use shaku_actix::Inject;
use utoipa::ToSchema;

use super::ApiModule;
use crate::domain::idempotency::Keyed;
use crate::domain::keyset::{ListPage, ListWindow};
use crate::domain::product::{Product, ProductId};
use crate::interface::http::conditional::{etag, expected_version, not_modified};
use crate::interface::http::cursor::CursorCodec;
use crate::interface::http::dto::{
    Envelope, FacetsResponse, ListQuery, ListQueryParams, ProductList, ProductPayload,
    ProductResponse,
};
use crate::interface::http::error::{ApiError, ErrorBody, FieldError};
use crate::interface::http::extractors::AdminUser;
use crate::interface::http::idempotency::{keyed_request, mark_replayed};
use crate::interface::http::json::ApiJson;
use crate::usecases::cache::{DataSource, Fetched, StoredResponse};
use crate::usecases::warming::ProductRenderer;
use crate::usecases::{
    CountProductsUseCase, CreateProductUseCase, DeleteProductUseCase, GetProductUseCase,
    ListProductsUseCase, ProductFacetsUseCase, RestoreProductUseCase, UpdateProductUseCase,
};

module_part!(
    /// What these handlers resolve from the DI module.
    ProductModule: dyn CreateProductUseCase, dyn GetProductUseCase, dyn ListProductsUseCase, dyn CountProductsUseCase, dyn ProductFacetsUseCase, dyn UpdateProductUseCase, dyn DeleteProductUseCase, dyn RestoreProductUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_products,
    count_products,
    product_facets,
    get_product,
    create_product,
    update_product,
    delete_product,
    restore_product
))]
pub struct ProductPaths;

/// A success envelope without `data`, for deletes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOnly {
    #[schema(example = "success")]
    pub status: &'static str,
    pub message: String,
}

/// Tells the client whether the data came from the cache or MongoDB.
const X_DATA_SOURCE: &str = "X-Data-Source";

fn source(source: DataSource) -> (&'static str, &'static str) {
    (X_DATA_SOURCE, source.as_str())
}

/// Attaches the data source to the response for the response-cache middleware, which
/// reports list and count answers from the list cache as its hits.
fn reporting(mut response: HttpResponse, source: DataSource) -> HttpResponse {
    response.extensions_mut().insert(source);
    response
}

pub(super) fn product_id(raw: &str) -> Result<ProductId, ApiError> {
    ProductId::parse(raw)
        .map_err(|e| ApiError::bad_request("invalid product id", vec![FieldError::new("id", e)]))
}

/// The 200 answer to `GET /api/products/{id}` as the response cache stores it: the
/// handler answers with exactly this, and cache warming stores it ahead of the first read.
pub struct ProductAnswer;

impl ProductRenderer for ProductAnswer {
    fn render(&self, product: &Product) -> StoredResponse {
        let body = Envelope::new(ProductResponse::from(product.clone()), PRODUCT_RETRIEVED);
        StoredResponse {
            content_type: "application/json".to_owned(),
            etag: etag(product.version),
            body: serde_json::to_string(&body).unwrap_or_default(),
        }
    }
}

const PRODUCT_RETRIEVED: &str = "product retrieved";

fn with_etag(
    mut response: actix_web::HttpResponseBuilder,
    product: Product,
    message: &str,
) -> HttpResponse {
    response
        .insert_header((ETAG, etag(product.version)))
        .json(Envelope::new(ProductResponse::from(product), message))
}

/// A product write's answer, marked when it was replayed from an earlier request's
/// receipt.
fn written(
    mut response: actix_web::HttpResponseBuilder,
    written: Keyed<Product>,
    message: &str,
) -> HttpResponse {
    mark_replayed(&mut response, written.replayed);
    with_etag(response, written.value, message)
}

/// One page of products; filters, sort and paging in the query.
#[utoipa::path(get, path = "/api/products", tag = "products", params(ListQueryParams),
    responses(
        (status = 200, description = "A page of products", body = Envelope<ProductList>,
            headers(("X-Data-Source" = String, description = "`cache` or `database`"))),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn list_products<M: ApiModule>(
    list: Inject<M, dyn ListProductsUseCase>,
    cursors: web::Data<CursorCodec>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let page = match &query.window {
        ListWindow::Numbered(request) => {
            let page = list.execute(&query.filter, query.sort, *request).await?;
            let value = page.value;
            Fetched::new(
                ListPage::numbered(value.items, value.total, value.request),
                page.source,
            )
        }
        ListWindow::Keyset(keyset) => list.keyset(&query.filter, query.sort, keyset).await?,
    };
    let response = HttpResponse::Ok()
        .insert_header(source(page.source))
        .json(Envelope::new(
            ProductList::listed(page.value, &query, &cursors),
            "products retrieved",
        ));
    Ok(reporting(response, page.source))
}

/// Number of products matching the same filters as the list.
#[utoipa::path(get, path = "/api/products/count", tag = "products", params(ListQueryParams),
    responses(
        (status = 200, description = "Count of matching products", body = Envelope<u64>,
            headers(("X-Data-Source" = String, description = "`cache` or `database`"))),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn count_products<M: ApiModule>(
    count: Inject<M, dyn CountProductsUseCase>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let total = count.execute(&query.filter).await?;
    let response = HttpResponse::Ok()
        .insert_header(source(total.source))
        .json(Envelope::new(total.value, "product count retrieved"));
    Ok(reporting(response, total.source))
}

/// Facets of the products matching the same filters as the list (paging and sort are
/// ignored): counts per category, per price bucket and in or out of stock.
#[utoipa::path(get, path = "/api/products/facets", tag = "products", params(ListQueryParams),
    responses(
        (status = 200, description = "Facet counts of the matching products", body = Envelope<FacetsResponse>,
            headers(("X-Data-Source" = String, description = "`cache` or `database`"))),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn product_facets<M: ApiModule>(
    facets: Inject<M, dyn ProductFacetsUseCase>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let facets = facets.execute(&query.filter).await?;
    let response = HttpResponse::Ok()
        .insert_header(source(facets.source))
        .json(Envelope::new(
            FacetsResponse::from(facets.value),
            "product facets retrieved",
        ));
    Ok(reporting(response, facets.source))
}

/// One product; answers 304 when `If-None-Match` holds its current `ETag`.
#[utoipa::path(get, path = "/api/products/{id}", tag = "products",
    params(("id" = String, Path, description = "24-hex-digit product id")),
    responses(
        (status = 200, description = "The product", body = Envelope<ProductResponse>,
            headers(("ETag" = String, description = "Quoted product version"),
                    ("X-Data-Source" = String, description = "`cache` or `database`"))),
        (status = 304, description = "Not modified since the given ETag"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn get_product<M: ApiModule>(
    get: Inject<M, dyn GetProductUseCase>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let fetched = get.execute(&product_id(&id)?).await?;
    let tag = etag(fetched.value.version);
    if not_modified(request.headers(), &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, tag))
            .insert_header(source(fetched.source))
            .finish());
    }
    let mut response = HttpResponse::Ok();
    response.insert_header(source(fetched.source));
    let rendered = ProductAnswer.render(&fetched.value);
    let response = response
        .insert_header((ETAG, rendered.etag))
        .content_type(rendered.content_type)
        .body(rendered.body);
    Ok(reporting(response, fetched.source))
}

/// Creates a product.
#[utoipa::path(post, path = "/api/products", tag = "products", request_body = ProductPayload, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: a repeat of this request with the key answers the first answer (for IDEMPOTENCY_TTL_SECS)")),
    responses(
        (status = 201, description = "Created", body = Envelope<ProductResponse>,
            headers(("Location" = String, description = "URL of the new product"),
                    ("ETag" = String, description = "Quoted product version"),
                    ("Idempotent-Replayed" = String, description = "`true` when answered from an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "A field failed validation, or the Idempotency-Key was used for another request", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn create_product<M: ApiModule>(
    create: Inject<M, dyn CreateProductUseCase>,
    AdminUser(admin): AdminUser,
    request: HttpRequest,
    body: ApiJson<ProductPayload>,
) -> Result<HttpResponse, ApiError> {
    let key = keyed_request(&request, &admin.session.user_id)?;
    let created = create.execute(body.0.into_new_product()?, key).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((LOCATION, format!("/api/products/{}", created.value.id)));
    Ok(written(response, created, "product created"))
}

/// Partial update; with `If-Match: "<version>"` only if that version is still current.
#[utoipa::path(put, path = "/api/products/{id}", tag = "products", request_body = ProductPayload, security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "24-hex-digit product id"),
        ("If-Match" = Option<String>, Header, description = "Quoted version the update is based on"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: a repeat of this request with the key answers the first answer (for IDEMPOTENCY_TTL_SECS)"),
    ),
    responses(
        (status = 200, description = "Updated", body = Envelope<ProductResponse>,
            headers(("ETag" = String, description = "Quoted product version"),
                    ("Idempotent-Replayed" = String, description = "`true` when answered from an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Malformed JSON, id, If-Match or Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = ErrorBody),
        (status = 412, description = "Version in If-Match is not current", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "A field failed validation, or the Idempotency-Key was used for another request", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn update_product<M: ApiModule>(
    update: Inject<M, dyn UpdateProductUseCase>,
    AdminUser(admin): AdminUser,
    request: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<ProductPayload>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&id)?;
    let expected = expected_version(request.headers())?;
    let changes = body.0.into_changes()?;
    let key = keyed_request(&request, &admin.session.user_id)?;
    let updated = update.execute(&id, changes, expected, key).await?;
    Ok(written(HttpResponse::Ok(), updated, "product updated"))
}

/// Deletes a product.
#[utoipa::path(delete, path = "/api/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = String, Path, description = "24-hex-digit product id"), ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: a repeat of this request with the key answers the first answer (for IDEMPOTENCY_TTL_SECS)")),
    responses(
        (status = 200, description = "Deleted", body = MessageOnly,
            headers(("Idempotent-Replayed" = String, description = "`true` when answered from an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Malformed id or Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = ErrorBody),
        (status = 422, description = "The Idempotency-Key was used for another request", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn delete_product<M: ApiModule>(
    delete: Inject<M, dyn DeleteProductUseCase>,
    AdminUser(admin): AdminUser,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&id)?;
    let key = keyed_request(&request, &admin.session.user_id)?;
    let deleted = delete.execute(&id, key).await?;
    let mut response = HttpResponse::Ok();
    mark_replayed(&mut response, deleted.replayed);
    Ok(response.json(MessageOnly {
        status: "success",
        message: "product deleted".to_owned(),
    }))
}

/// Brings back a product deleted less than `PRODUCT_RESTORE_DAYS` ago, with a new version
/// and its wishlist count; a `product.restored` event follows.
#[utoipa::path(post, path = "/api/products/{id}/restore", tag = "products", security(("bearer" = [])),
    params(("id" = String, Path, description = "24-hex-digit product id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: a repeat of this request with the key answers the first answer (for IDEMPOTENCY_TTL_SECS)")),
    responses(
        (status = 200, description = "Restored", body = Envelope<ProductResponse>,
            headers(("ETag" = String, description = "Quoted product version"),
                    ("Idempotent-Replayed" = String, description = "`true` when answered from an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Malformed id or Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No deleted product with this id, or its restore window has ended", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = ErrorBody),
        (status = 422, description = "The Idempotency-Key was used for another request", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn restore_product<M: ApiModule>(
    restore: Inject<M, dyn RestoreProductUseCase>,
    AdminUser(admin): AdminUser,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&id)?;
    let key = keyed_request(&request, &admin.session.user_id)?;
    let restored = restore.execute(&id, key).await?;
    Ok(written(HttpResponse::Ok(), restored, "product restored"))
}
