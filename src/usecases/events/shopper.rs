//! A shopper's view of the product events: only the products on their wishlist, and only
//! what a shopper cares about (a lower price, stock back, the product gone).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::error::RepositoryError;
use crate::domain::event::{ProductEvent, ShopperEvent};
use crate::domain::ports::WishlistRepository;
use crate::domain::product::ProductId;
use crate::domain::user::{SessionToken, UserId};
use crate::usecases::auth::{AuthenticateUseCase, SessionEnds, SessionWatch};

/// How old the wishlist may be when an event that could concern the shopper arrives; a
/// product added to the wishlist is heard of from at most this long after.
const MEMBERSHIP_MAX_AGE: Duration = Duration::from_secs(1);

/// The wishlist of one subscribed shopper, re-read only when a shopper event arrives and
/// the copy is older than `MEMBERSHIP_MAX_AGE`: at most one MongoDB query per second per
/// subscriber, and none while nothing concerns shoppers.
pub struct WishlistWatch {
    wishlists: Arc<dyn WishlistRepository>,
    user: UserId,
    members: HashSet<ProductId>,
    read_at: Instant,
}

impl WishlistWatch {
    pub async fn start(
        wishlists: Arc<dyn WishlistRepository>,
        user: UserId,
    ) -> Result<Self, RepositoryError> {
        let members = wishlists.product_ids(&user).await?;
        Ok(Self {
            wishlists,
            user,
            members,
            read_at: Instant::now(),
        })
    }

    /// What `event` means to this shopper, if anything.
    pub async fn shopper_event(&mut self, event: &ProductEvent) -> Option<ShopperEvent> {
        let meaning = event.shopper_event()?;
        let product = event.product()?;
        // A deleted product leaves the wishlists with its delete: judge by the copy held.
        if meaning == ShopperEvent::Removed {
            let held = self.members.remove(&product);
            return held.then_some(meaning);
        }
        if self.read_at.elapsed() > MEMBERSHIP_MAX_AGE {
            if let Ok(members) = self.wishlists.product_ids(&self.user).await {
                self.members = members;
                self.read_at = Instant::now();
            }
        }
        self.members.contains(&product).then_some(meaning)
    }
}

/// What a shopper's feed follows: their wishlist, and the session that opened the feed
/// (the feed ends with it).
pub struct ShopperView {
    pub wishlist: WishlistWatch,
    pub session: SessionWatch,
}

/// Starts a shopper's view of the events (reads their wishlist once).
#[async_trait::async_trait]
pub trait WatchWishlistUseCase: shaku::Interface {
    async fn start(
        &self,
        user: &UserId,
        token: &SessionToken,
    ) -> Result<ShopperView, crate::usecases::ProductError>;
}

#[derive(shaku::Component)]
#[shaku(interface = WatchWishlistUseCase)]
pub struct WatchWishlist {
    #[shaku(inject)]
    wishlists: Arc<dyn WishlistRepository>,
    #[shaku(inject)]
    authenticate: Arc<dyn AuthenticateUseCase>,
    ends: Arc<SessionEnds>,
    /// `SESSION_RECHECK_SECS`: the longest a feed outlives its session.
    recheck: Duration,
}

#[async_trait::async_trait]
impl WatchWishlistUseCase for WatchWishlist {
    async fn start(
        &self,
        user: &UserId,
        token: &SessionToken,
    ) -> Result<ShopperView, crate::usecases::ProductError> {
        let wishlist = WishlistWatch::start(self.wishlists.clone(), user.clone()).await?;
        let session = SessionWatch::new(
            self.authenticate.clone(),
            &self.ends,
            token.clone(),
            user.clone(),
            self.recheck,
        );
        Ok(ShopperView { wishlist, session })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockWishlistRepository;
    use crate::domain::product::Money;
    use crate::usecases::test_support::{product, ID};

    const OTHER: &str = "665f1c0e9b1e8a3d4c2b1a0a";

    #[tokio::test]
    async fn only_wishlisted_products_and_only_shopper_news() {
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_product_ids()
            .returning(|_| Ok([ProductId::parse(ID).unwrap()].into()));
        let user = UserId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let mut watch = WishlistWatch::start(Arc::new(wishlists), user)
            .await
            .unwrap();
        let cheaper = |id: &str| {
            let before = product(id, 1);
            let mut after = product(id, 2);
            after.price = Money::from_cents(before.price.cents() - 1).unwrap();
            ProductEvent::updated(&before, &after)
        };
        assert!(matches!(
            watch.shopper_event(&cheaper(ID)).await,
            Some(ShopperEvent::PriceDropped { .. })
        ));
        assert_eq!(watch.shopper_event(&cheaper(OTHER)).await, None);
        assert_eq!(
            watch
                .shopper_event(&ProductEvent::deleted(&product(OTHER, 2)))
                .await,
            None
        );
        assert_eq!(
            watch
                .shopper_event(&ProductEvent::deleted(&product(ID, 2)))
                .await,
            Some(ShopperEvent::Removed)
        );
    }
}
