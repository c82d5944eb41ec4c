//! `product-catalog reconcile`: sets every product's `wishlistCount` to its number of
//! memberships, on demand. The server runs the same pass in the background at start-up.

use super::{Settings, StartupError};
use crate::domain::ports::WishlistRepository;
use crate::infrastructure::mongo::{self, MongoWishlistRepository};

/// Returns how many products had a wrong count.
pub async fn reconcile(settings: Settings) -> Result<u64, StartupError> {
    let database = mongo::connect(&settings.mongo).await?;
    let wishlists = MongoWishlistRepository::new(database, settings.mongo.operation_timeout);
    wishlists
        .reconcile_counts()
        .await
        .map_err(StartupError::Indexes)
}
