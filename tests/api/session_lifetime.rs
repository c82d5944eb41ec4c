//! Sessions do not outlive what they stand for: an absolute lifetime however active they
//! are, roles that follow the user record, and an admin password changed at start-up
//! ending the sessions opened under the old one (a restart with the same one ends none).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{
    shared_servers, spawn_app_with, test_settings, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD,
};

async fn session_status(app: &TestApp, token: &str) -> u16 {
    app.get_as("/api/auth/session", token)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[
            ("SESSION_TTL_SECS", "600"),
            ("SESSION_MAX_LIFETIME_SECS", "2"),
        ],
    ))
    .await;
    let token = app.user_token("busy@example.com").await;
    let started = Instant::now();
    let mut statuses = Vec::new();
    // In use every 250 ms: an idle expiry of 10 minutes alone would keep it forever.
    while started.elapsed() < Duration::from_secs(4) {
        statuses.push(session_status(&app, &token).await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 401, "{statuses:?}");
    let first_end = statuses.iter().position(|s| *s == 401).unwrap();
    assert!(
        statuses[first_end..].iter().all(|s| *s == 401),
        "an ended session stays ended: {statuses:?}"
    );
}

#[tokio::test]
async fn roles_follow_the_user_record_at_the_next_recheck() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("SESSION_RECHECK_SECS", "1")],
    ))
    .await;
    assert_eq!(
        app.post_product(&crate::helpers::product_body())
            .await
            .status(),
        201
    );
    // An operator takes the admin role away in the system of record.
    app.mongo()
        .await
        .collection::<mongodb::bson::Document>("users")
        .update_one(
            mongodb::bson::doc! { "email": ADMIN_EMAIL },
            mongodb::bson::doc! { "$pull": { "roles": "admin" } },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let response = app.post_product(&crate::helpers::product_body()).await;
    assert_eq!(response.status(), 403, "the session lost the admin role");
    let session: serde_json::Value = app
        .get_as("/api/auth/session", &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["data"]["user"]["roles"], json!(["customer"]));
}

#[tokio::test]
async fn a_changed_admin_password_at_start_up_ends_the_old_sessions() {
    let servers = shared_servers();
    let first = spawn_app_with(test_settings(&servers.mongo_uri, &servers.redis_url, &[])).await;
    let old_token = first.admin_token.clone();
    assert_eq!(session_status(&first, &old_token).await, 200);

    let same_deployment = |password: &str| {
        test_settings(
            &servers.mongo_uri,
            &servers.redis_url,
            &[
                ("MONGODB_DB", first.settings.mongo.database.as_str()),
                ("REDIS_KEY_PREFIX", first.settings.redis.key_prefix.as_str()),
                ("ADMIN_PASSWORD", password),
            ],
        )
    };
    // A restart with the same password logs nobody out.
    let restarted = spawn_app_with(same_deployment(ADMIN_PASSWORD)).await;
    assert_eq!(session_status(&restarted, &old_token).await, 200);

    let changed = spawn_app_with(same_deployment("a-brand-new-password-9")).await;
    assert_eq!(
        session_status(&first, &old_token).await,
        401,
        "the session opened under the old password ended"
    );
    assert_eq!(
        changed.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        401
    );
    let login = changed.login(ADMIN_EMAIL, "a-brand-new-password-9").await;
    assert_eq!(login.status(), 200);
}
