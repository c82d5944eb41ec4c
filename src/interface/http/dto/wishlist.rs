use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ProductResponse;

/// `PATCH /api/products/{id}/wishlist`: sets membership; sending the same value twice
/// changes nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WishlistRequest {
    pub is_wishlist_status: bool,
}

/// The product after the change, with the exact `wishlistCount`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WishlistResponse {
    pub is_wishlist_status: bool,
    pub product: ProductResponse,
}
