//! `product-catalog seed`: products created during a Redis outage leave cache writes to
//! redo; the command redoes them, and says so if it cannot instead of exiting as if the
//! caches were right.

use product_catalog::config::{seed, StartupError};

use crate::helpers::{shared_servers, test_settings, RedisServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_reports_cache_writes_it_could_not_make_and_settles_them_when_it_can() {
    let mut redis = RedisServer::start();
    let settings = test_settings(
        &shared_servers().mongo_uri,
        &redis.url(),
        &[("REDIS_STARTUP_TIMEOUT_MS", "300")],
    );
    redis.stop();
    let during_outage = seed(settings.clone(), 3).await;
    assert!(
        matches!(
            during_outage,
            Err(StartupError::CacheNotSettled { created: 3 })
        ),
        "{during_outage:?}"
    );
    redis.restart();
    assert_eq!(seed(settings, 3).await.unwrap(), 3);
}
