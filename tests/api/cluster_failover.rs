//! Topology changes under traffic. A Redis Cluster primary dies mid-run (SIGKILL) and its replica takes over: requests keep
//! being answered (MongoDB while the slot has no primary), none is served older data than a
//! write that had returned, afterwards every cached product equals MongoDB, and the near
//! tier serves again with feeds on the new primaries.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::interfaces::ClusterInterface;
use fred::prelude::Server;
use fred::types::cluster::ClusterRouting;

use crate::caching::{assert_cache_matches_mongodb, race, race_products};
use crate::helpers::{shared_servers, spawn_app_with, test_settings, RedisCluster, TestApp};

/// An instance on `cluster` (with `REDIS_WAIT_REPLICAS=1`), the race's products, and the
/// client's slot map with the primary that holds the first product's entry.
async fn app_on(
    cluster: &RedisCluster,
) -> (Arc<TestApp>, Arc<Vec<String>>, ClusterRouting, Server) {
    let settings = test_settings(
        &shared_servers().mongo_uri,
        &cluster.url(),
        &[("REDIS_WAIT_REPLICAS", "1")],
    );
    let app = Arc::new(spawn_app_with(settings).await);
    let ids = race_products(&app).await;
    let key = format!("{}product:{}", app.settings.redis.key_prefix, ids[0]);
    let state = app
        .redis()
        .await
        .cached_cluster_state()
        .expect("the client knows the slot map");
    let primary = state
        .get_server(fred::util::redis_keyslot(key.as_bytes()))
        .cloned()
        .expect("the slot's primary");
    (app, ids, state, primary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_killed_mid_run_fails_over_without_stale_reads_or_5xx() {
    let _turn = crate::helpers::load_turn().await;
    let mut cluster = tokio::task::block_in_place(RedisCluster::start);
    // The primary holding the first product's entry: its reads and writes are the ones cut.
    let (app, ids, _, primary) = app_on(&cluster).await;

    let started = Instant::now();
    let run = tokio::spawn({
        let (app, ids) = (app.clone(), ids.clone());
        async move { race(&app, &ids, started + Duration::from_secs(20)).await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    tokio::task::block_in_place(|| cluster.kill(primary.port));
    let killed_at = Instant::now();
    let survivors = cluster.running_ports();
    let took_over = tokio::task::spawn_blocking(move || {
        RedisCluster::wait_until_ok(&survivors);
        killed_at.elapsed()
    });
    let counts = run.await.unwrap();
    let took_over = took_over.await.unwrap();
    // The killed node comes back as the promoted replica's replica: with
    // REDIS_WAIT_REPLICAS=1 writes to that shard are confirmed again only from then on.
    tokio::task::block_in_place(|| {
        cluster.revive(primary.port);
        cluster.wait_until_healed();
    });

    // Caching resumes on the promoted replica (every failed cache write repaired), then
    // every cached entry is compared.
    crate::outages::until_cached(&app, &ids[0]).await;
    let compared = assert_cache_matches_mongodb(&app, &ids).await;
    // The near tier re-made its feeds for the new primaries and serves again.
    crate::near_cache::wait_until_serving(&app).await;
    println!(
        "primary {primary} killed 5 s into a 20 s run, its replica serving the slots {:.1} s \
         later: {}; {compared} cached entries equal MongoDB",
        took_over.as_secs_f64(),
        counts.summary()
    );
    counts.assert_no_server_errors();
    assert_eq!(counts.stale.load(Ordering::SeqCst), 0, "stale reads");
    assert!(compared > 0, "cached entries were compared");
}

/// Slots move between primaries under traffic (`redis-cli --cluster reshard`, keys moved by
/// MIGRATE): calls meet ASK while a slot migrates and MOVED after; none fails a request or
/// serves older data, and the near tier keeps hearing the slots' writes on their new node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_resharded_mid_run_leave_no_stale_read_or_5xx() {
    let _turn = crate::helpers::load_turn().await;
    let cluster = tokio::task::block_in_place(RedisCluster::start);
    let (app, ids, state, from) = app_on(&cluster).await;
    let to = state
        .unique_primary_nodes()
        .into_iter()
        .find(|primary| *primary != from)
        .expect("another primary");

    let started = Instant::now();
    let run = tokio::spawn({
        let (app, ids) = (app.clone(), ids.clone());
        async move { race(&app, &ids, started + Duration::from_secs(25)).await }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Every slot of the first product's primary: its entry moves for sure.
    let took = tokio::task::block_in_place(|| cluster.reshard(from.port, to.port, 5462));
    let counts = run.await.unwrap();
    // Calls redirected mid-migration can fail; their writes' cache effects are repaired
    // (this instance reads MongoDB meanwhile). Compare once caching has resumed.
    crate::outages::until_cached(&app, &ids[0]).await;
    let compared = assert_cache_matches_mongodb(&app, &ids).await;
    println!(
        "5462 slots moved from {from} to {to} in {:.1} s during a 25 s run: {}; {compared} cached \
         entries equal MongoDB",
        took.as_secs_f64(),
        counts.summary()
    );
    counts.assert_no_server_errors();
    assert_eq!(counts.stale.load(Ordering::SeqCst), 0, "stale reads");
    assert!(compared > 0, "cached entries were compared");
    crate::near_cache::wait_until_serving(&app).await;
}
