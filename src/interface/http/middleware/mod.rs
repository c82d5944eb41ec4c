//! Actix middleware.

mod rate_limit;
mod request_id;
mod response_cache;

pub use rate_limit::{auth_class, by_method, RateClient, RateLimit};
pub use request_id::request_span;
pub use response_cache::{HttpCacheTtls, ResponseCache};
