//! The HTTP response cache: anonymous GETs of the cached product routes answered from a
//! stored response instead of the handler. One noun throughout: a *response*, stored in
//! Redis by the `ResponseStore` port (`usecases/cache/response_store.rs`) as a
//! `StoredResponse`, and kept ready to send in process memory (`NearResponses`, with the
//! near tier) as a `ReadyResponse` with its compressed variants.
//!
//! File map, in dependency order:
//! - `cached_route.rs`: the routes that are cached, named where they are registered.
//! - `caching.rs`: a stored response's TTL and the `Cache-Control` of cacheable answers.
//! - `near_responses.rs`: ready responses in process memory, filed under a generation.
//! - `middleware.rs`: the layer itself (HIT, MISS, BYPASS, 304, variants per coding).

mod cached_route;
mod caching;
mod middleware;
mod near_responses;

pub use cached_route::CachedRoute;
pub use caching::ResponseCaching;
pub use middleware::response_cache;
pub use near_responses::NearResponses;
