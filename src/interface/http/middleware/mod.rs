//! Actix middleware.

mod request_id;

pub use request_id::request_span;
