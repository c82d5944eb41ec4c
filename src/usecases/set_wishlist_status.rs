use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, ProductCache};
use super::wishlist_cache::WishlistCache;
use crate::domain::ports::{ProductRepository, RedisService, WishlistRepository};
use crate::domain::product::{Product, ProductId};
use crate::domain::user::UserId;
use crate::usecases::ProductError;

/// Sets whether a product is on the caller's wishlist (idempotent). When membership
/// changed, the product's new state is written through and only the caller's wishlist
/// pages are invalidated; product lists keep their entries (their `wishlistCount` may lag
/// by at most the list TTL, as the contract allows).
#[async_trait]
pub trait SetWishlistStatusUseCase: Interface {
    async fn execute(
        &self,
        user: &UserId,
        product: &ProductId,
        member: bool,
    ) -> Result<Product, ProductError>;
}

#[derive(Component)]
#[shaku(interface = SetWishlistStatusUseCase)]
pub struct SetWishlistStatus {
    #[shaku(inject)]
    wishlists: Arc<dyn WishlistRepository>,
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl SetWishlistStatus {
    pub fn new(
        wishlists: Arc<dyn WishlistRepository>,
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        state: Arc<CacheState>,
    ) -> Self {
        Self {
            wishlists,
            repository,
            cache,
            state,
        }
    }
}

#[async_trait]
impl SetWishlistStatusUseCase for SetWishlistStatus {
    async fn execute(
        &self,
        user: &UserId,
        product: &ProductId,
        member: bool,
    ) -> Result<Product, ProductError> {
        let (stored, changed) = self.wishlists.set(user, product, member).await?;
        if changed {
            ProductCache::new(
                self.repository.clone(),
                self.cache.clone(),
                self.state.clone(),
            )
            .write_through(&stored)
            .await;
            WishlistCache::new(
                self.wishlists.clone(),
                self.cache.clone(),
                self.state.clone(),
            )
            .invalidate(user)
            .await;
        }
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::{MockProductRepository, MockRedisService, MockWishlistRepository};
    use crate::usecases::test_support::{product, ID};

    fn user() -> UserId {
        UserId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap()
    }

    #[tokio::test]
    async fn a_change_writes_the_product_through_and_bumps_only_the_callers_wishlist() {
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_set()
            .times(1)
            .returning(|_, _, _| Ok((product(ID, 6), true)));
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .withf(|_, v, _, _| *v == 6)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache
            .expect_get_or_init_counter()
            .withf(|k, _| k == "wishlist:generation:aaaaaaaaaaaaaaaaaaaaaaaa")
            .returning(|_, _| Ok(1));
        cache
            .expect_incr()
            .withf(|k| k == "wishlist:generation:aaaaaaaaaaaaaaaaaaaaaaaa")
            .times(1)
            .returning(|_| Ok(2));
        let use_case = SetWishlistStatus::new(
            Arc::new(wishlists),
            Arc::new(MockProductRepository::new()),
            Arc::new(cache),
            Arc::default(),
        );
        let stored = use_case
            .execute(&user(), &ProductId::parse(ID).unwrap(), true)
            .await
            .unwrap();
        assert_eq!(stored.version.get(), 6);
    }

    #[tokio::test]
    async fn no_change_touches_no_cache() {
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_set()
            .returning(|_, _, _| Ok((product(ID, 6), false)));
        let use_case = SetWishlistStatus::new(
            Arc::new(wishlists),
            Arc::new(MockProductRepository::new()),
            Arc::new(MockRedisService::new()),
            Arc::default(),
        );
        assert!(use_case
            .execute(&user(), &ProductId::parse(ID).unwrap(), true)
            .await
            .is_ok());
    }
}
