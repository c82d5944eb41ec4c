//! The catalogue: create, update, delete and restore products (write-through, with their events
//! journalled, once per idempotency key), read one (cache-aside), list and count them and their facets (cached
//! pages).

mod count_products;
mod create_product;
mod delete_product;
mod error;
mod export_products;
mod get_product;
mod keyed_writes;
mod list_products;
mod product_facets;
mod restore_product;
mod update_product;

pub use count_products::{CountProducts, CountProductsParameters, CountProductsUseCase};
pub use create_product::{CreateProduct, CreateProductParameters, CreateProductUseCase};
pub use delete_product::{DeleteProduct, DeleteProductParameters, DeleteProductUseCase};
pub use error::ProductError;
pub use export_products::{
    ExportProducts, ExportProductsParameters, ExportProductsUseCase, CONCURRENT_EXPORTS,
};
pub use get_product::{GetProduct, GetProductParameters, GetProductUseCase};
pub use keyed_writes::{
    once_per_key, settled_on_outage, KeyTurn, KeyedWrites, ReceiptKeyedWrites,
    ReceiptKeyedWritesParameters, Written,
};
pub use list_products::{ListProducts, ListProductsParameters, ListProductsUseCase};
pub use product_facets::{ProductFacets, ProductFacetsParameters, ProductFacetsUseCase};
pub use restore_product::{RestoreProduct, RestoreProductParameters, RestoreProductUseCase};
pub use update_product::{UpdateProduct, UpdateProductParameters, UpdateProductUseCase};

#[cfg(any(test, feature = "mock"))]
pub use count_products::MockCountProductsUseCase;
#[cfg(any(test, feature = "mock"))]
pub use list_products::MockListProductsUseCase;
