//! The use cases, by feature. Each use case is a shaku component behind its own trait,
//! holding the ports it needs as `Arc<dyn Port>`; handlers resolve them through the module.
//! Everything a caller needs is re-exported here (a feature's own `mod.rs` says what it
//! exports; the globs below pass that on), so moving a file inside a feature, or adding a
//! use case to one, changes no file outside that feature.
//!
//! - `products/`: catalogue CRUD, list and count; `wishlist/`: a shopper's wishlist;
//! - `auth/`: accounts and sessions; `rate_limit/`: rate limits and quota leases;
//! - `cache/`: the caching machinery the use cases share (its `mod.rs` has the map);
//! - `events/`: the outbox relay, the stream feed and the shopper filter;
//! - `warming/`: the cache warmer and the read counts that choose what it warms;
//! - `operations/`: health, cache statistics and invalidation;
//! - `turns.rs`: one at a time per key (writes of one product, requests with one
//!   idempotency key).

pub mod auth;
pub mod cache;
pub mod events;
mod operations;
mod products;
mod rate_limit;
pub mod turns;
pub mod warming;
mod wishlist;

pub use cache::{ResponseStore, StoredResponse};
pub use operations::*;
pub use products::*;
pub use rate_limit::*;
pub use warming::read_counter;
pub use wishlist::*;

#[cfg(test)]
pub(crate) mod test_support;
