//! The two stores: MongoDB (`MONGODB_*`) and Redis (`REDIS_*`).

use super::reader::Reader;
use crate::infrastructure::mongo::MongoSettings;
use crate::infrastructure::redis::{RedisSettings, RedisTls};

pub(super) fn mongo(r: &mut Reader) -> MongoSettings {
    let mongo = MongoSettings {
        uri: r.url(
            "MONGODB_URI",
            "mongodb://127.0.0.1:27017",
            &["mongodb", "mongodb+srv"],
        ),
        database: r.string("MONGODB_DB", "product_catalog"),
        server_selection_timeout: r.millis("MONGODB_TIMEOUT_MS", 2_000, 100, 60_000),
        operation_timeout: r.millis("MONGODB_OPERATION_TIMEOUT_MS", 5_000, 100, 120_000),
        startup_timeout: r.millis("MONGODB_STARTUP_TIMEOUT_MS", 15_000, 100, 600_000),
    };
    if mongo.database.is_empty()
        || mongo.database.len() > 63
        || mongo.database.contains(['/', '\\', '.', ' ', '"', '$'])
    {
        r.invalid("MONGODB_DB must be 1-63 characters without / \\ . space \" $".to_owned());
    }
    mongo
}

pub(super) fn redis(r: &mut Reader) -> RedisSettings {
    let redis = RedisSettings {
        url: r.url(
            "REDIS_URL",
            "redis://127.0.0.1:6379",
            &["redis", "rediss", "redis-cluster"],
        ),
        cache_url: r.optional_url("REDIS_CACHE_URL", &["redis", "rediss", "redis-cluster"]),
        key_prefix: r.string("REDIS_KEY_PREFIX", "pa:"),
        command_timeout: r.millis("REDIS_TIMEOUT_MS", 250, 10, 10_000),
        startup_timeout: r.millis("REDIS_STARTUP_TIMEOUT_MS", 1_000, 0, 60_000),
        tls: RedisTls {
            ca_file: r.file("REDIS_TLS_CA_FILE"),
            cert_file: r.file("REDIS_TLS_CERT_FILE"),
            key_file: r.file("REDIS_TLS_KEY_FILE"),
        },
        wait_replicas: r.parsed("REDIS_WAIT_REPLICAS", 0_u32, "a replica count"),
    };
    if redis.key_prefix.contains(['{', '}']) {
        // A brace in the prefix would become every key's Redis Cluster hash tag and put
        // the whole keyspace in one slot.
        r.invalid("REDIS_KEY_PREFIX must not contain { or }".to_owned());
    }
    redis
}
