use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::idempotency::{Keyed, KeyedRequest};
use crate::domain::ports::ProductRepository;
use crate::domain::product::{Product, ProductId};
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::{once_per_key, settled_on_outage, KeyedWrites, ProductError, Written};

/// Brings back a product deleted within the restore window, at a version above its
/// delete's, with its wishlist count as it was (the memberships were kept), and tells the
/// cache as a write does (its new version replaces the delete's tombstone, lists are
/// retired); `NotFound` when there is no such deleted product or its window has ended.
#[async_trait]
pub trait RestoreProductUseCase: Interface {
    async fn execute(
        &self,
        id: &ProductId,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<Product>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = RestoreProductUseCase)]
pub struct RestoreProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache_events: Arc<dyn CacheEvents>,
    #[shaku(inject)]
    journal: Arc<dyn WriteJournal>,
    #[shaku(inject)]
    keyed: Arc<dyn KeyedWrites>,
}

#[async_trait]
impl RestoreProductUseCase for RestoreProduct {
    #[tracing::instrument(name = "usecase.restore_product", level = "debug", skip_all, fields(product = %id))]
    async fn execute(
        &self,
        id: &ProductId,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<Product>, ProductError> {
        let restore = |receipt| self.repository.restore(id, receipt);
        let written = once_per_key(&*self.keyed, key.as_ref(), restore).await;
        let restored = match settled_on_outage(&*self.cache_events, id, written).await? {
            Written::Fresh(restored) => restored,
            Written::Replayed(product) => return Ok(Keyed::replayed(product)),
        };
        let landed = self.cache_events.product_written(&restored.product).await;
        self.journal.committed(&restored.entry, landed);
        Ok(Keyed::fresh(restored.product))
    }
}
