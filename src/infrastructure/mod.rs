//! Adapters: the only code that knows the MongoDB driver and fred. Each implements a domain
//! port and translates driver errors into domain errors at the boundary.

pub mod connection_string;
pub mod local_rate_limiter;
pub mod mongo;
pub mod near_cache;
pub mod password;
pub mod redis;
