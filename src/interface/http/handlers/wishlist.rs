use actix_web::{web, HttpResponse};
use shaku_actix::Inject;

use super::products::product_id;
use super::ApiModule;
use crate::interface::http::dto::{
    Envelope, PageQuery, ProductList, ProductResponse, WishlistRequest, WishlistResponse,
};
use crate::interface::http::error::{ApiError, ErrorBody};
use crate::interface::http::extractors::CurrentUser;
use crate::interface::http::json::ApiJson;
use crate::usecases::{ListWishlistUseCase, SetWishlistStatusUseCase};

module_part!(
    /// What these handlers resolve from the DI module.
    WishlistModule: dyn ListWishlistUseCase, dyn SetWishlistStatusUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(set_wishlist_status, list_wishlist))]
pub struct WishlistPaths;

/// Sets whether the product is on the caller's wishlist (idempotent: not a flip).
#[utoipa::path(patch, path = "/api/products/{id}/wishlist", tag = "wishlist", request_body = WishlistRequest,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "24-hex-digit product id")),
    responses(
        (status = 200, description = "Membership set; exact wishlistCount", body = Envelope<WishlistResponse>),
        (status = 400, description = "Malformed id or JSON", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 422, description = "Body failed validation", body = ErrorBody),
        (status = 503, description = "MongoDB unavailable", body = ErrorBody),
    ))]
pub async fn set_wishlist_status<M: ApiModule>(
    set: Inject<M, dyn SetWishlistStatusUseCase>,
    user: CurrentUser,
    id: web::Path<String>,
    body: ApiJson<WishlistRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&id)?;
    let member = body.is_wishlist_status;
    let product = set.execute(&user.0.session.user_id, &id, member).await?;
    let data = WishlistResponse {
        is_wishlist_status: member,
        product: ProductResponse::from(product),
    };
    Ok(HttpResponse::Ok().json(Envelope::new(data, "wishlist updated")))
}

/// The caller's wishlist, newest first, paginated like the product list.
#[utoipa::path(get, path = "/api/products/wishlist", tag = "wishlist", security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "Page number, default 1"),
        ("limit" = Option<u32>, Query, description = "Page size 1–100, default 10"),
    ),
    responses(
        (status = 200, description = "A page of the caller's wishlist", body = Envelope<ProductList>),
        (status = 400, description = "Invalid or unsupported query parameter (only page and limit are accepted)", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
    ))]
pub async fn list_wishlist<M: ApiModule>(
    list: Inject<M, dyn ListWishlistUseCase>,
    user: CurrentUser,
    query: PageQuery,
) -> Result<HttpResponse, ApiError> {
    let page = list.execute(&user.0.session.user_id, query.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Data-Source", page.source.as_str()))
        .json(Envelope::new(
            ProductList::from(page.value),
            "wishlist retrieved",
        )))
}
