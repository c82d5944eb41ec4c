use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::keyset::{Keyset, ListPage};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest, ProductFilter, ProductSort};
use crate::usecases::cache::{Fetched, ListCache};
use crate::usecases::ProductError;

/// One page of products matching a filter (numbered, or next to a position), with the
/// total that matched; cache-aside on the current list generation and the normalised query.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ListProductsUseCase: Interface {
    async fn execute(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError>;
    /// `keyset.limit` products on one side of a position, with the total that matched.
    async fn keyset(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        keyset: &Keyset,
    ) -> Result<Fetched<ListPage>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = ListProductsUseCase)]
pub struct ListProducts {
    #[shaku(inject)]
    lists: Arc<dyn ListCache>,
}

#[async_trait]
impl ListProductsUseCase for ListProducts {
    #[tracing::instrument(name = "usecase.list_products", level = "debug", skip_all)]
    async fn execute(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        self.lists.page(filter, sort, page).await
    }

    #[tracing::instrument(name = "usecase.list_products.keyset", level = "debug", skip_all)]
    async fn keyset(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        keyset: &Keyset,
    ) -> Result<Fetched<ListPage>, ProductError> {
        self.lists.keyset_page(filter, sort, keyset).await
    }
}
