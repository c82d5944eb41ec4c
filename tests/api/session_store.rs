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
        cache_url: None,
        url: shared_servers().redis_url.as_str().into(),
        key_prefix: prefix.clone(),
        command_timeout: Duration::from_secs(2),
        startup_timeout: Duration::from_secs(2),
        tls: Default::default(),
        wait_replicas: 0,
    };
    let client = build_client(&settings).await.unwrap();
    let store = Arc::new(RedisSessionStore::new(
        client.clone(),
        prefix.clone(),
        settings.command_timeout,
    ));
    let user = UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap();
    let index = format!("{prefix}user-sessions:{{{user}}}");
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
        for key in crate::helpers::keys_matching(&client, &pattern).await {
            let hash = key.rsplit(':').next().unwrap().to_owned();
            let indexed: bool = client.sismember(&index, &hash).await.unwrap();
            let ttl: i64 = client.pttl(&key).await.unwrap();
            assert!(ttl > 0, "session {hash} has no expiry");
            if !indexed {
                unindexed += 1;
                let _: i64 = client.del(&key).await.unwrap();
            }
        }
        store.revoke_all(&user).await.unwrap();
    }
    println!("40 rounds of 4 logins racing logout-all: {unindexed} unindexed live session(s)");
    assert_eq!(unindexed, 0);
}

/// A proxy between the store and Redis that passes everything until a session write has
/// gone through, then holds every later byte from the client: the store's next command
/// never arrives and its call times out, as on a link that dies mid-login.
async fn proxy_that_stalls_after_the_session_write(redis_port: u16) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(("127.0.0.1", redis_port))
                .await
                .unwrap();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
            });
            tokio::spawn(async move {
                let mut buffer = vec![0_u8; 64 * 1024];
                let mut stalled = false;
                while let Ok(n) = client_read.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    if stalled {
                        continue;
                    }
                    let chunk = &buffer[..n];
                    if server_write.write_all(chunk).await.is_err() {
                        break;
                    }
                    let text = String::from_utf8_lossy(chunk).to_ascii_uppercase();
                    stalled = text.contains("HSET") || text.contains("EVALSHA");
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_login_cut_off_after_its_first_write_leaves_no_session_without_expiry() {
    let url = &shared_servers().redis_url;
    let redis_port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let prefix = format!("cut:{}:", uuid::Uuid::new_v4().simple());
    let settings = |url: String| RedisSettings {
        cache_url: None,
        url: url.into(),
        key_prefix: prefix.clone(),
        command_timeout: Duration::from_millis(300),
        startup_timeout: Duration::from_secs(2),
        tls: Default::default(),
        wait_replicas: 0,
    };
    let user = UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap();
    // A login over a healthy link first, so the server knows the store's scripts.
    let direct = build_client(&settings(url.clone())).await.unwrap();
    let healthy = RedisSessionStore::new(direct.clone(), prefix.clone(), Duration::from_secs(2));
    healthy
        .create(&user, &[Role::Customer], Duration::from_secs(60))
        .await
        .unwrap();
    healthy.revoke_all(&user).await.unwrap();

    let port = proxy_that_stalls_after_the_session_write(redis_port).await;
    let cut = build_client(&settings(format!("redis://127.0.0.1:{port}")))
        .await
        .unwrap();
    let store = RedisSessionStore::new(cut, prefix.clone(), Duration::from_millis(300));
    let outcome = store
        .create(&user, &[Role::Customer], Duration::from_secs(60))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, keys): (String, Vec<String>) = direct
        .scan_page("0", format!("{prefix}session:*"), Some(1_000), None)
        .await
        .unwrap();
    let mut without_expiry = 0;
    for key in &keys {
        let ttl: i64 = direct.pttl(key).await.unwrap();
        if ttl < 0 {
            without_expiry += 1;
        }
    }
    println!(
        "login over a link cut after its first write: {} ({} session key(s), {without_expiry} without expiry)",
        if outcome.is_ok() { "succeeded" } else { "failed" },
        keys.len()
    );
    assert_eq!(without_expiry, 0);
}
