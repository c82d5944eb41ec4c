//! Entities, value types and ports. Knows nothing of HTTP, Redis or MongoDB drivers:
//! everything else in the crate depends on this module, never the other way round.

pub mod cache;
pub mod client_key;
pub mod digest;
pub mod error;
pub mod event;
pub mod facets;
pub mod idempotency;
pub mod keyset;
pub mod outbox;
pub mod ports;
pub mod product;
pub mod query;
pub mod search;
pub(crate) mod text;
pub mod user;
