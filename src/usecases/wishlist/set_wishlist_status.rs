use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::WishlistRepository;
use crate::domain::product::{Product, ProductId};
use crate::domain::user::UserId;
use crate::usecases::cache::CacheEvents;
use crate::usecases::ProductError;

/// Sets whether a product is on the caller's wishlist (idempotent). When membership
/// changed, the cache hears of it: the product's new state is written through and only the
/// caller's wishlist pages are retired; product lists keep their entries (their
/// `wishlistCount` may lag by at most the list TTL, as the contract allows).
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
    cache_events: Arc<dyn CacheEvents>,
}

#[cfg(test)]
impl SetWishlistStatus {
    pub fn new(wishlists: Arc<dyn WishlistRepository>, cache_events: Arc<dyn CacheEvents>) -> Self {
        Self {
            wishlists,
            cache_events,
        }
    }
}

#[async_trait]
impl SetWishlistStatusUseCase for SetWishlistStatus {
    #[tracing::instrument(name = "usecase.set_wishlist_status", level = "debug", skip_all, fields(product = %product, member))]
    async fn execute(
        &self,
        user: &UserId,
        product: &ProductId,
        member: bool,
    ) -> Result<Product, ProductError> {
        let (stored, changed) = self.wishlists.set(user, product, member).await?;
        if changed {
            self.cache_events.wishlist_changed(user, &stored).await;
        }
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockWishlistRepository;
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{product, ID};

    fn user() -> UserId {
        UserId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap()
    }

    #[tokio::test]
    async fn a_change_is_told_to_the_cache_for_the_caller() {
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_set()
            .times(1)
            .returning(|_, _, _| Ok((product(ID, 6), true)));
        let mut events = MockCacheEvents::new();
        events
            .expect_wishlist_changed()
            .withf(|u, p| *u == user() && p.version.get() == 6)
            .times(1)
            .returning(|_, _| ());
        let stored = SetWishlistStatus::new(Arc::new(wishlists), Arc::new(events))
            .execute(&user(), &ProductId::parse(ID).unwrap(), true)
            .await
            .unwrap();
        assert_eq!(stored.version.get(), 6);
    }

    #[tokio::test]
    async fn no_change_tells_the_cache_nothing() {
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_set()
            .returning(|_, _, _| Ok((product(ID, 6), false)));
        let use_case =
            SetWishlistStatus::new(Arc::new(wishlists), Arc::new(MockCacheEvents::new()));
        assert!(use_case
            .execute(&user(), &ProductId::parse(ID).unwrap(), true)
            .await
            .is_ok());
    }
}
