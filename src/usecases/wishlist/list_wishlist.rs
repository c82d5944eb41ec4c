use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest};
use crate::domain::user::UserId;
use crate::usecases::cache::{Fetched, WishlistCache};
use crate::usecases::ProductError;

/// The caller's wishlist, newest first, cache-aside per user.
#[async_trait]
pub trait ListWishlistUseCase: Interface {
    async fn execute(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = ListWishlistUseCase)]
pub struct ListWishlist {
    #[shaku(inject)]
    wishlists: Arc<dyn WishlistCache>,
}

#[async_trait]
impl ListWishlistUseCase for ListWishlist {
    #[tracing::instrument(name = "usecase.list_wishlist", level = "debug", skip_all)]
    async fn execute(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        self.wishlists.page(user, page).await
    }
}
