//! Actix middleware, each a small function for `actix_web::middleware::from_fn`. The order
//! they wrap in is stated (and enforced) where the app is built: `config/startup.rs` for
//! the app-wide ones, `interface/http/routes.rs` for the per-scope and per-resource ones.

mod authentication;
pub(crate) mod compression;
mod head;
mod rate_limit;
mod read_counting;
mod request_id;
mod request_metrics;
mod security_headers;

pub use authentication::{authentication, AuthFailure, Caller};
pub use compression::compression;
pub use head::head_as_get;
pub use rate_limit::{auth_class, by_method, rate_limit, RateClient, RateLimit, RateOutcome};
pub use read_counting::count_reads;
pub use request_id::request_span;
pub use request_metrics::record_request;
pub use security_headers::security_headers;
