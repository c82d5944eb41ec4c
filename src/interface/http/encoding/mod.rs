//! Content codings (RFC 9110 §8.4): which one a client gets and how a body is put in it.
//!
//! File map, in dependency order:
//! - `negotiate.rs`: `Encoding`, the choice from `Accept-Encoding`, and the ETag of each
//!   coding's variant (`"abc"` → `"abc-br"`), so a cache never mixes two representations.
//! - `compress.rs`: one body in one coding, at the effort that fits how often it is done
//!   (once per stored answer, or on every request).
//!
//! Used by the compression middleware (answers made per request) and the response cache
//! (answers compressed once per cached version).

mod compress;
mod negotiate;

pub use compress::{compress, Effort};
pub use negotiate::Encoding;
