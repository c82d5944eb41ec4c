use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::query::ProductFilter;
use crate::usecases::cache::{Fetched, ListCache};
use crate::usecases::ProductError;

/// How many products match a filter; cache-aside like lists, under the same generation.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CountProductsUseCase: Interface {
    async fn execute(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = CountProductsUseCase)]
pub struct CountProducts {
    #[shaku(inject)]
    lists: Arc<dyn ListCache>,
}

#[async_trait]
impl CountProductsUseCase for CountProducts {
    #[tracing::instrument(name = "usecase.count_products", level = "debug", skip_all)]
    async fn execute(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError> {
        self.lists.count(filter).await
    }
}
