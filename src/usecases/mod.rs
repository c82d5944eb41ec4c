//! One file per use case. Each is a shaku component behind its own trait, holding the ports
//! it needs as `Arc<dyn Port>`; handlers resolve them through the module.

mod check_health;
mod count_products;
mod create_product;
mod delete_product;
mod error;
mod get_product;
mod list_products;
mod update_product;

pub use check_health::{CheckHealth, CheckHealthUseCase, DependencyHealth, HealthReport};
pub use count_products::{CountProducts, CountProductsUseCase};
pub use create_product::{CreateProduct, CreateProductUseCase};
pub use delete_product::{DeleteProduct, DeleteProductUseCase};
pub use error::ProductError;
pub use get_product::{GetProduct, GetProductUseCase};
pub use list_products::{ListProducts, ListProductsUseCase};
pub use update_product::{UpdateProduct, UpdateProductUseCase};

#[cfg(test)]
pub(crate) mod test_support;
