//! Request and response shapes of the HTTP contract, and their conversion to domain types.

mod envelope;
mod health;
mod list_query;
mod product;

pub use envelope::Envelope;
pub use health::{DependencyStatus, HealthData, Liveness};
pub use list_query::{ListQuery, ListQueryParams};
pub use product::{ProductList, ProductPayload, ProductResponse};
