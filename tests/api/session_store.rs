//! The Redis session store against a real server: logout-all racing logins never leaves a
//! live session outside the user's index (where logout-all could not find it), and every
//! session is created with its expiry.

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::{KeysInterface, SetsInterface};
use product_catalog::domain::ports::SessionStore;
use product_catalog::domain::user::{Role, UserId};
use product_catalog::infrastructure::redis::{build_client, RedisSessionStore, RedisSettings};

use crate::helpers::shared_servers;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_all_racing_logins_never_leaves_an_unindexed_session() {
    let prefix = format!("sessions:{}:", uuid::Uuid::new_v4().simple());
    let settings = RedisSettings {
        url: shared_servers().redis_url.as_str().into(),
        key_prefix: prefix.clone(),
        command_timeout: Duration::from_secs(2),
        startup_timeout: Duration::from_secs(2),
    };
    let client = build_client(&settings).await.unwrap();
    let store = Arc::new(RedisSessionStore::new(
        client.clone(),
        prefix.clone(),
        settings.command_timeout,
    ));
    let user = UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap();
    let index = format!("{prefix}user-sessions:{user}");
    let mut unindexed = 0;
    for _ in 0..40 {
        let logins: Vec<_> = (0..4)
            .map(|_| {
                let (store, user) = (store.clone(), user.clone());
                tokio::spawn(async move {
                    store
                        .create(&user, &[Role::Customer], Duration::from_secs(60))
                        .await
                        .unwrap();
                })
            })
            .collect();
        let logout = {
            let (store, user) = (store.clone(), user.clone());
            tokio::spawn(async move { store.revoke_all(&user).await.unwrap() })
        };
        for login in logins {
            login.await.unwrap();
        }
        logout.await.unwrap();
        let pattern = format!("{prefix}session:*");
        let mut cursor = "0".to_owned();
        loop {
            let (next, keys): (String, Vec<String>) = client
                .scan_page(cursor.clone(), pattern.clone(), Some(500), None)
                .await
                .unwrap();
            for key in keys {
                let hash = key.rsplit(':').next().unwrap().to_owned();
                let indexed: bool = client.sismember(&index, &hash).await.unwrap();
                let ttl: i64 = client.pttl(&key).await.unwrap();
                assert!(ttl > 0, "session {hash} has no expiry");
                if !indexed {
                    unindexed += 1;
                    let _: i64 = client.del(&key).await.unwrap();
                }
            }
            if next == "0" {
                break;
            }
            cursor = next;
        }
        store.revoke_all(&user).await.unwrap();
    }
    println!("40 rounds of 4 logins racing logout-all: {unindexed} unindexed live session(s)");
    assert_eq!(unindexed, 0);
}
