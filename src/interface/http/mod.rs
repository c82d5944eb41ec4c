//! HTTP: routes, handlers, DTOs, error mapping, middleware and the OpenAPI document.

pub mod bearer;
pub mod client_address;
pub mod conditional;
pub mod connection_socket;
pub mod cors;
pub mod cursor;
pub mod dto;
pub mod encoding;
pub mod error;
pub mod extractors;
pub mod handlers;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod response_cache;
mod routes;
pub mod sse;
mod status;

pub use routes::{configure, HttpSettings};
pub use status::StatusSources;
