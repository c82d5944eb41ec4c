//! Product events: delivery over SSE, resuming, durability through a Redis outage and a
//! restart, cross-instance delivery and cache settlement, shopper events.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    spawn_app, spawn_app_with, test_settings, EventStream, MongoServer, RedisServer, SseEvent,
    TcpProxy, TestApp,
};

const FEED: &str = "/api/events/products";

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn rename(app: &TestApp, id: &str, name: &str) -> Value {
    let response = app.put_product(id, &json!({ "name": name }), None).await;
    assert_eq!(response.status(), 200, "update {id}");
    response.json::<Value>().await.unwrap()["data"].clone()
}

/// Subscribes once the instance can read the stream again (503 until its Redis is back).
async fn open_when_ready(app: &TestApp, resume: Option<&str>) -> EventStream {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = EventStream::request(app, FEED, resume, None).await;
        if response.status() == 200 {
            return EventStream::open(app, FEED, resume, None).await;
        }
        assert_eq!(response.status(), 503, "refused while Redis is away");
        assert!(
            Instant::now() < deadline,
            "the stream never became readable"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The event of `id` at `version`; the product's earlier events (a live subscription may
/// still get ones published just before it opened) are skipped, anything else fails.
async fn next_of(stream: &mut EventStream, id: &str, version: u64) -> SseEvent {
    loop {
        let event = stream
            .next(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no event for {id} v{version}"));
        let (got_id, got_version) = key(&event);
        assert_eq!(got_id, id, "only this product is written");
        assert!(got_version <= version, "v{got_version} before v{version}");
        if got_version == version {
            return event;
        }
    }
}

/// `(productId, version)` of an event.
fn key(event: &SseEvent) -> (String, u64) {
    (
        event.data["productId"].as_str().unwrap().to_owned(),
        event.data["version"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn two_hundred_writes_arrive_within_a_second_and_a_resume_replays_exactly_what_was_missed() {
    let app = spawn_app().await;
    let mut stream = EventStream::open(&app, FEED, None, None).await;
    let mut delays = Vec::new();
    let mut seen = Vec::new();
    let mut ids = Vec::new();
    for i in 0..200 {
        let (expected, returned) = if i % 4 == 0 {
            let created = app
                .create_product(json!({ "name": format!("Event product {i}") }))
                .await;
            ids.push(created["id"].as_str().unwrap().to_owned());
            (
                (created["id"].as_str().unwrap().to_owned(), 1),
                Instant::now(),
            )
        } else {
            let id = ids[i % ids.len()].clone();
            let updated = rename(&app, &id, &format!("Renamed product {i}")).await;
            ((id, updated["version"].as_u64().unwrap()), Instant::now())
        };
        let event = stream
            .next(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no event for write {i}"));
        delays.push(returned.elapsed());
        assert_eq!(key(&event), expected, "events come in write order");
        let kind = if expected.1 == 1 {
            "product.created"
        } else {
            "product.updated"
        };
        assert_eq!(event.event, kind);
        seen.push(event);
    }
    delays.sort();
    let (p50, p99, max) = (
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays[199],
    );
    println!("event delivery after the write returned: p50 {p50:?}, p99 {p99:?}, max {max:?} (200 writes)");
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
    let updated = &seen[1];
    let change = &updated.data["changes"][0];
    assert_eq!(change["field"], "name");
    assert!(change["old"].is_string() && change["new"].is_string());

    // Disconnect after event 100, write 30 more, resume from 100's id.
    drop(stream);
    let resume_from = seen[99].id.clone().unwrap();
    let mut missed = seen[100..].iter().map(key).collect::<Vec<_>>();
    for i in 0..30 {
        let id = ids[i % ids.len()].clone();
        let updated = rename(&app, &id, &format!("While away {i}")).await;
        missed.push((id, updated["version"].as_u64().unwrap()));
    }
    let mut resumed = EventStream::open(&app, FEED, Some(&resume_from), None).await;
    let replayed = resumed.take(missed.len() + 1, Duration::from_secs(3)).await;
    let replayed_keys: Vec<_> = replayed.iter().map(key).collect();
    assert_eq!(
        replayed_keys, missed,
        "exactly the missed events, in order, once"
    );
    let deleted = app.delete_product(&ids[0]).await;
    assert_eq!(deleted.status(), 200);
    let live = resumed
        .next(Duration::from_secs(5))
        .await
        .expect("live after the replay");
    assert_eq!(
        (live.event.as_str(), live.data["productId"].as_str()),
        ("product.deleted", Some(ids[0].as_str()))
    );
    // 231 writes, each published once by this instance's relay and read back once.
    let published = app
        .metric("product_events_total{outcome=\"published\"}")
        .await;
    let received = app
        .metric("product_events_total{outcome=\"received\"}")
        .await;
    assert_eq!((published, received), (231, 231));
}

#[tokio::test]
async fn a_malformed_resume_point_and_too_many_subscriptions_are_refused_in_the_envelope() {
    let app = spawn_app_with(test_settings(
        &crate::helpers::shared_servers().mongo_uri,
        &crate::helpers::shared_servers().redis_url,
        &[
            ("EVENTS_MAX_PER_CLIENT", "2"),
            ("CACHE_WARM_ON_START", "false"),
        ],
    ))
    .await;
    let bad = EventStream::request(&app, FEED, Some("yesterday"), None).await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "Last-Event-ID", "{body}");
    let _one = EventStream::open(&app, FEED, None, None).await;
    let _two = EventStream::open(&app, FEED, None, None).await;
    let third = EventStream::request(&app, FEED, None, None).await;
    assert_eq!(third.status(), 429);
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["status"], "error", "{body}");
}

#[tokio::test]
async fn writes_made_while_redis_is_down_survive_a_restart_of_the_instance_and_arrive_in_order_once(
) {
    let mongo = MongoServer::start();
    let mut redis = RedisServer::start();
    let settings = test_settings(&mongo.uri(), &redis.url(), &[]);
    let first = spawn_app_with(settings.clone()).await;
    let products: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..4 {
            let created = first
                .create_product(json!({ "name": format!("Durable {i}") }))
                .await;
            ids.push(created["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    // The id of the last event before the outage, to resume from.
    let mut stream = EventStream::open(&first, FEED, None, None).await;
    let renamed = rename(&first, &products[0], "Before the outage").await;
    let renamed = (products[0].clone(), renamed["version"].as_u64().unwrap());
    // The subscription opened live: creates published just after it may come first.
    let before = loop {
        let event = stream
            .next(Duration::from_secs(5))
            .await
            .expect("event before the outage");
        if key(&event) == renamed {
            break event;
        }
        assert_eq!(event.event, "product.created", "{event:?}");
    };
    drop(stream);

    redis.stop();
    let mut written = Vec::new();
    for i in 0..20 {
        let id = &products[i % products.len()];
        let updated = rename(&first, id, &format!("During the outage {i}")).await;
        written.push((id.clone(), updated["version"].as_u64().unwrap()));
    }
    first.stop().await;
    let second = spawn_app_with(settings).await;
    redis.restart();

    let mut resumed = open_when_ready(&second, before.id.as_deref()).await;
    let mut delivered = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while delivered.len() < written.len() && Instant::now() < deadline {
        if let Some(event) = resumed.next(Duration::from_secs(2)).await {
            if event.event == "product.updated" {
                delivered.push(key(&event));
            }
        } else {
            // The stream was lost with Redis' memory: resubscribe from the same point.
            resumed = open_when_ready(&second, before.id.as_deref()).await;
            delivered.clear();
        }
    }
    let mut per_product: HashMap<&str, Vec<u64>> = HashMap::new();
    for (id, version) in &delivered {
        per_product.entry(id.as_str()).or_default().push(*version);
    }
    println!(
        "{} of {} events written during the outage delivered after the restart",
        delivered.len(),
        written.len()
    );
    assert_eq!(delivered.len(), written.len(), "{delivered:?}");
    for (id, version) in &written {
        let versions = &per_product[id.as_str()];
        assert_eq!(
            versions.iter().filter(|v| *v == version).count(),
            1,
            "{id} v{version} once"
        );
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "{id} in order: {versions:?}"
        );
    }
    let outbox = second
        .mongo()
        .await
        .collection::<mongodb::bson::Document>("outbox");
    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox
        .count_documents(mongodb::bson::doc! {})
        .await
        .unwrap()
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the outbox drains once Redis is back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_write_on_an_instance_cut_from_redis_reaches_the_other_within_the_bound_and_survives_its_restart(
) {
    let servers = crate::helpers::shared_servers();
    let redis_port: u16 = servers
        .redis_url
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let proxy = TcpProxy::start(redis_port).await;
    let b_settings = test_settings(&servers.mongo_uri, &servers.redis_url, &[]);
    let mut a_settings = b_settings.clone();
    a_settings.redis.url = test_settings(&servers.mongo_uri, &proxy.url(), &[])
        .redis
        .url;
    let a = spawn_app_with(a_settings.clone()).await;
    let b = spawn_app_with(b_settings).await;
    let created = a.create_product(json!({ "name": "Cross instance" })).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let mut on_b = EventStream::open(&b, FEED, None, None).await;

    // A linked: its write's event reaches a subscriber on B.
    let v2 = rename(&a, &id, "Seen everywhere").await;
    let event = next_of(&mut on_b, &id, v2["version"].as_u64().unwrap()).await;
    assert_eq!(event.event, "product.updated");
    for app in [&a, &b] {
        let read: Value = app.get_product(&id).await.json().await.unwrap();
        assert_eq!(read["data"]["name"], "Seen everywhere");
    }
    let cached = b.get_product(&id).await;
    assert_eq!(
        cached.headers()["x-cache"],
        "HIT",
        "B serves v2 from the cache"
    );

    // Cut A from Redis after it has read the product; A's update commits, its cache
    // writes fail, and A is restarted before its link returns.
    proxy.cut();
    let v3 = rename(&a, &id, "Written while cut").await;
    let written = Instant::now();
    // B is watched from the moment the write returned, while A restarts.
    let watch = {
        let (client, url) = (b.client.clone(), b.url(&format!("/api/products/{id}")));
        tokio::spawn(async move {
            let mut stale_for = Duration::ZERO;
            loop {
                let read: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
                if read["data"]["name"] == "Written while cut" {
                    return stale_for;
                }
                stale_for = written.elapsed();
                assert!(
                    stale_for < Duration::from_secs(5),
                    "B served the old version for {stale_for:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    a.stop().await;
    let restarted = spawn_app_with(a_settings).await;
    let stale_for = watch.await.unwrap();
    println!(
        "B served the old version for {stale_for:?} after A's cut-off write returned \
         (bound 5 s; OUTBOX_GRACE_MS 1000, OUTBOX_POLL_MS 250)"
    );
    assert!(
        stale_for > Duration::ZERO,
        "B did serve the old version at first"
    );
    let event = next_of(&mut on_b, &id, v3["version"].as_u64().unwrap()).await;
    assert_eq!(event.event, "product.updated");
    let listed: Value = b.list_products("").await.json().await.unwrap();
    assert_eq!(
        listed["data"]["products"][0]["name"], "Written while cut",
        "lists too"
    );

    proxy.restore();
    // Sessions live in the shared Redis: B's admin session works on A once A reconnects.
    let mut restarted = restarted;
    restarted.admin_token = b.admin_token.clone();
    let deadline = Instant::now() + Duration::from_secs(15);
    while restarted
        .get_as("/api/auth/session", &restarted.admin_token)
        .await
        .status()
        != 200
    {
        assert!(Instant::now() < deadline, "A never reconnected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let v4 = rename(&restarted, &id, "After the link returned").await;
    // The next event of the product is v4: v3 was delivered once, nothing is lost.
    let event = on_b
        .next(Duration::from_secs(5))
        .await
        .expect("the next write's event");
    assert_eq!(key(&event), (id.clone(), v4["version"].as_u64().unwrap()));
}

#[tokio::test]
async fn a_shopper_hears_of_wishlisted_products_only_price_drops_restocks_and_removal() {
    let app = spawn_app().await;
    let token = app.user_token("shopper@test.example").await;
    let wished = app
        .create_product(json!({ "name": "Wished for", "price": 50.0, "stock": 3 }))
        .await;
    let other = app
        .create_product(json!({ "name": "Not wished for", "price": 50.0 }))
        .await;
    let (wished, other) = (
        wished["id"].as_str().unwrap(),
        other["id"].as_str().unwrap(),
    );
    assert_eq!(app.set_wishlist(&token, wished, true).await.status(), 200);
    let anonymous = EventStream::request(&app, "/api/products/wishlist/events", None, None).await;
    assert_eq!(anonymous.status(), 401);
    let mut stream =
        EventStream::open(&app, "/api/products/wishlist/events", None, Some(&token)).await;

    let change = |id: &str, body: Value| {
        let (app, id) = (&app, id.to_owned());
        async move {
            let response = app.put_product(&id, &body, None).await;
            assert_eq!(response.status(), 200);
        }
    };
    change(other, json!({ "price": 40.0 })).await; // not on the wishlist
    change(wished, json!({ "price": 60.0 })).await; // dearer: nothing
    change(wished, json!({ "price": 45.5 })).await; // price-dropped
    change(wished, json!({ "stock": 0 })).await; // sold out: nothing
    change(other, json!({ "stock": 0 })).await;
    change(other, json!({ "stock": 9 })).await; // not on the wishlist
    change(wished, json!({ "stock": 7 })).await; // back-in-stock
    change(wished, json!({ "name": "Wished for, renamed" })).await; // nothing
    assert_eq!(app.delete_product(other).await.status(), 200); // not on the wishlist
    assert_eq!(app.delete_product(wished).await.status(), 200); // removed

    let events = stream.take(4, Duration::from_secs(5)).await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        ["price-dropped", "back-in-stock", "removed"],
        "{events:?}"
    );
    assert!(events.iter().all(|e| e.data["productId"] == wished));
    assert_eq!(
        (
            events[0].data["oldPrice"].as_f64(),
            events[0].data["newPrice"].as_f64()
        ),
        (Some(60.0), Some(45.5))
    );
    assert_eq!(events[1].data["stock"], 7);
}

/// The stream key of `app`'s namespace.
fn stream_key(app: &TestApp) -> String {
    format!(
        "{}events:{{products}}:stream",
        app.settings.redis.key_prefix
    )
}

/// Entries numbered by a Redis whose clock runs 60 s behind this instance's (XADD numbers
/// entries with Redis' clock; here the ids are given explicitly, no waiting): the reader
/// starts from the stream's own position, not from the local clock, so a live subscriber
/// gets every event of the first seconds after start-up.
#[tokio::test]
async fn events_numbered_by_a_redis_clock_sixty_seconds_behind_reach_live_subscribers() {
    use fred::prelude::StreamsInterface;
    let app = spawn_app().await;
    let mut stream = EventStream::open(&app, FEED, None, None).await;
    let redis = app.redis().await;
    let behind = chrono::Utc::now().timestamp_millis() - 60_000;
    for i in 0..10_i64 {
        let event = json!({
            "type": "product.created",
            "productId": format!("{:024x}", i + 1),
            "version": 1,
            "changes": [],
            "at": chrono::Utc::now(),
        });
        let _: String = redis
            .xadd(
                stream_key(&app),
                false,
                None,
                format!("{}-0", behind + i),
                vec![
                    ("type", "product.created".to_owned()),
                    ("data", event.to_string()),
                ],
            )
            .await
            .unwrap();
    }
    let events = stream.take(10, Duration::from_secs(10)).await;
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e.data["productId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 10, "every event reached the subscriber: {ids:?}");
}

/// 600 entries that are not events (another writer's, or a newer version's), then 10 real
/// events: a replay from before the junk and a live subscriber both get the 10, and the
/// reader moves past the junk instead of reading it again and again.
#[tokio::test]
async fn entries_that_are_not_events_are_skipped_by_replay_and_reader_without_a_hot_loop() {
    use fred::prelude::{ClientLike, StreamsInterface};
    let redis_server = RedisServer::start();
    let app = crate::helpers::spawn_app_on(
        &crate::helpers::shared_servers().mongo_uri,
        &redis_server.url(),
    )
    .await;
    let mut live = EventStream::open(&app, FEED, None, None).await;
    let id = app
        .create_product(json!({ "name": "Before the junk" }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = next_of(&mut live, &id, 1).await;
    let resume = created.id.expect("events carry their id");
    let redis = app.redis().await;
    for i in 0..600 {
        let _: String = redis
            .xadd(
                stream_key(&app),
                false,
                None,
                "*",
                vec![("foreign", i.to_string())],
            )
            .await
            .unwrap();
    }
    for version in 2..=11 {
        rename(&app, &id, &format!("After the junk {version}")).await;
    }
    for version in 2..=11 {
        next_of(&mut live, &id, version).await;
    }
    let mut replay = EventStream::open(&app, FEED, Some(&resume), None).await;
    for version in 2..=11 {
        next_of(&mut replay, &id, version).await;
    }
    let xread_calls = || async {
        let stats: String = redis
            .info(Some(fred::types::InfoKind::CommandStats))
            .await
            .unwrap();
        stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_xread:calls="))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let before = xread_calls().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let calls = xread_calls().await - before;
    // An idle reader blocks up to 2 s per call: a couple of calls in 3 s; the hot loop
    // this guards against made hundreds a second.
    assert!(calls <= 10, "{calls} XREAD calls in 3 s of idle");
    // Skipped once by the reader and once by the replay.
    assert_eq!(
        app.metric("product_events_total{outcome=\"unreadable\"}")
            .await,
        1_200
    );
}

/// A shopper's feed lasts as long as the session that opened it: logout-all ends it at
/// once on the instance that logged out, and within `SESSION_RECHECK_SECS` (+1 s) on
/// another; nothing reaches either afterwards.
#[tokio::test]
async fn a_shoppers_feeds_end_with_their_session_on_every_instance() {
    let servers = crate::helpers::shared_servers();
    let mut settings = test_settings(&servers.mongo_uri, &servers.redis_url, &[]);
    let recheck = Duration::from_secs(2);
    settings.sessions.recheck = recheck;
    let a = spawn_app_with(settings.clone()).await;
    let b = spawn_app_with(settings).await;
    let token = a.user_token("leaving@test.example").await;
    let id = a
        .create_product(json!({ "name": "Wished for", "price": 50.0 }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(a.set_wishlist(&token, &id, true).await.status(), 200);
    const WISHLIST_FEED: &str = "/api/products/wishlist/events";
    let mut on_a = EventStream::open(&a, WISHLIST_FEED, None, Some(&token)).await;
    let mut on_b = EventStream::open(&b, WISHLIST_FEED, None, Some(&token)).await;

    let logout = a
        .client
        .post(a.url("/api/auth/logout-all"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let logged_out = Instant::now();
    let ended_a = on_a
        .next(recheck + Duration::from_secs(5))
        .await
        .expect("the feed on the instance that logged out ends");
    let on_a_after = logged_out.elapsed();
    let ended_b = on_b
        .next(recheck + Duration::from_secs(5))
        .await
        .expect("the feed on the other instance ends");
    let on_b_after = logged_out.elapsed();
    println!("feeds ended {on_a_after:?} (same instance) and {on_b_after:?} (other) after logout-all; recheck {recheck:?}");
    assert_eq!(ended_a.event, "session-ended");
    assert_eq!(ended_b.event, "session-ended");
    assert!(on_a_after < recheck, "same instance: {on_a_after:?}");
    assert!(
        on_b_after <= recheck + Duration::from_secs(1),
        "other instance: {on_b_after:?}"
    );

    let cheaper = a.put_product(&id, &json!({ "price": 10.0 }), None).await;
    assert_eq!(cheaper.status(), 200);
    for (name, stream) in [("a", &mut on_a), ("b", &mut on_b)] {
        let after = stream.next(Duration::from_secs(2)).await;
        assert_eq!(after, None, "nothing after the end on {name}");
    }
}

/// Redis restarted empty (`FLUSHALL`, then a restart with nothing on disk): a client
/// resuming from an event before it gets every event since, in order, once, and no
/// `replay-incomplete`: what the stream lost comes from MongoDB's event history.
#[tokio::test]
async fn a_resume_from_before_redis_lost_its_stream_is_served_from_the_history() {
    use fred::prelude::ClientLike;
    let mut redis = RedisServer::start();
    let mut app =
        crate::helpers::spawn_app_on(&crate::helpers::shared_servers().mongo_uri, &redis.url())
            .await;
    let mut live = EventStream::open(&app, FEED, None, None).await;
    let id = app.create_product(json!({ "name": "Kept" })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resume = next_of(&mut live, &id, 1)
        .await
        .id
        .expect("events carry ids");
    for version in 2..=11 {
        rename(&app, &id, &format!("Before the loss {version}")).await;
    }
    next_of(&mut live, &id, 11).await;
    drop(live);
    // Published and settled: now history.
    let settled_by = Instant::now() + Duration::from_secs(15);
    loop {
        let status: Value = app.get("/api/status").await.json().await.unwrap();
        if status["events"]["outboxPending"] == 0 {
            break;
        }
        assert!(
            Instant::now() < settled_by,
            "outbox never drained: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let direct = crate::helpers::redis_client(&redis.url()).await;
    let _: () = direct.flushall(false).await.unwrap();
    redis.stop();
    redis.restart();
    // The sessions went with Redis' memory: sign in again once it is back.
    let signed_in_by = Instant::now() + Duration::from_secs(15);
    app.admin_token = loop {
        let login = app
            .login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
            .await;
        if login.status() == 200 {
            let body: Value = login.json().await.unwrap();
            break body["data"]["token"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < signed_in_by, "no login after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for version in 12..=14 {
        rename(&app, &id, &format!("After the loss {version}")).await;
    }

    let mut resumed = open_when_ready(&app, Some(&resume)).await;
    let mut versions = Vec::new();
    while versions.len() < 13 {
        let event = resumed
            .next(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("the replay stopped after versions {versions:?}"));
        assert_ne!(event.event, "replay-incomplete", "the history reaches back");
        assert_eq!(key(&event).0, id);
        versions.push(key(&event).1);
    }
    assert_eq!(versions, (2..=14).collect::<Vec<u64>>(), "in order, once");
    assert_eq!(
        resumed.next(Duration::from_secs(1)).await,
        None,
        "nothing more"
    );
}

/// Keeping events already kept (another relay's round, or a retried one) succeeds and
/// changes nothing: the history holds each stream id once.
#[tokio::test]
async fn keeping_the_same_events_twice_keeps_each_once() {
    use product_catalog::domain::event::{EventId, ProductEvent, StoredEvent};
    use product_catalog::domain::ports::EventHistory;
    let app = spawn_app().await;
    let history = product_catalog::infrastructure::mongo::MongoEventHistory::new(
        app.mongo().await,
        Duration::from_secs(5),
        Duration::from_secs(60),
    );
    let event: ProductEvent = serde_json::from_value(json!({
        "type": "product.created",
        "productId": format!("{:024x}", 1),
        "version": 1,
        "changes": [],
        "at": chrono::Utc::now(),
    }))
    .unwrap();
    let stored = |millis| StoredEvent {
        id: EventId {
            millis,
            sequence: 0,
        },
        event: event.clone(),
    };
    history.keep(&[stored(1), stored(2)]).await.unwrap();
    history
        .keep(&[stored(2), stored(3)])
        .await
        .expect("a repeat is not an error");
    let page = history.read_after(EventId::ZERO, None, 10).await.unwrap();
    let ids: Vec<u64> = page.events.iter().map(|e| e.id.millis).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(history.oldest().await.unwrap().map(|id| id.millis), Some(1));
}
