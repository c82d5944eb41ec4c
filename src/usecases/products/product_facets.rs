use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::facets::{Facets, PriceEdges};
use crate::domain::query::ProductFilter;
use crate::usecases::cache::{Fetched, ListCache};
use crate::usecases::ProductError;

/// How the products matching a filter spread over categories, price buckets (starting at
/// the configured edges) and stock; cache-aside like counts, under the same generation.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ProductFacetsUseCase: Interface {
    async fn execute(&self, filter: &ProductFilter) -> Result<Fetched<Facets>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = ProductFacetsUseCase)]
pub struct ProductFacets {
    #[shaku(inject)]
    lists: Arc<dyn ListCache>,
    edges: PriceEdges,
}

#[async_trait]
impl ProductFacetsUseCase for ProductFacets {
    #[tracing::instrument(name = "usecase.product_facets", level = "debug", skip_all)]
    async fn execute(&self, filter: &ProductFilter) -> Result<Fetched<Facets>, ProductError> {
        self.lists.facets(filter, &self.edges).await
    }
}
