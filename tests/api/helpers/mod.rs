mod app;
mod servers;

pub use app::{product_body, spawn_app, spawn_app_on, TestApp};
pub use servers::{shared_servers, MongoServer, RedisServer};
