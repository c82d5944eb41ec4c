//! Redis through fred: client set-up and the `RedisService` adapter.

mod client;
mod redis_service;
mod scripts;

pub use client::{build_client, RedisSettings, RedisStartupError};
pub use redis_service::{FredRedisService, FredRedisServiceParameters};
