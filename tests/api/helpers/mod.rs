mod app;
mod failures;
mod load;
pub mod logs;
mod proxy;
mod servers;
mod sse;

pub use app::{
    product_body, product_ids, spawn_app, spawn_app_on, spawn_app_with, test_settings, TestApp,
    ADMIN_EMAIL, ADMIN_PASSWORD,
};
pub use failures::{request_id, Failures};
pub use load::load_turn;
pub use proxy::TcpProxy;
pub use servers::{
    free_port, keys_matching, redis_client, shared_servers, MongoServer, RedisCluster, RedisServer,
    ServiceProcess,
};
pub use sse::{EventStream, SseEvent};
