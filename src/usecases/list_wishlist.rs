use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, Fetched};
use super::wishlist_cache::WishlistCache;
use crate::domain::ports::{RedisService, WishlistRepository};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest};
use crate::domain::user::UserId;
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
    wishlists: Arc<dyn WishlistRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

#[async_trait]
impl ListWishlistUseCase for ListWishlist {
    async fn execute(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        WishlistCache::new(
            self.wishlists.clone(),
            self.cache.clone(),
            self.state.clone(),
        )
        .page(user, page)
        .await
    }
}
