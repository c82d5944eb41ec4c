use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use fred::prelude::{Client, HashesInterface, KeysInterface, SetsInterface};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shaku::Component;

use super::call::bounded_call;
use super::scripts::TOUCH_SESSION;
use crate::domain::cache::CacheKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::SessionStore;
use crate::domain::user::{Role, Session, SessionToken, UserId};

/// `SessionStore` on Redis hashes. The key is the SHA-256 of the token, so a copy of the
/// keyspace cannot be replayed as credentials; a per-user set of those hashes makes
/// logout-all possible without scanning.
#[derive(Component)]
#[shaku(interface = SessionStore)]
pub struct RedisSessionStore {
    client: Client,
    key_prefix: String,
    timeout: Duration,
}

fn token_hash(token: &SessionToken) -> String {
    Sha256::digest(token.expose().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn millis(at: DateTime<Utc>) -> String {
    at.timestamp_millis().to_string()
}

fn session_from(fields: &HashMap<String, String>) -> Option<Session> {
    let at = |name: &str| {
        fields
            .get(name)?
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
    };
    Some(Session {
        user_id: UserId::parse(fields.get("userId")?).ok()?,
        roles: fields
            .get("roles")?
            .split(',')
            .filter_map(Role::parse)
            .collect(),
        created_at: at("createdAt")?,
        last_seen_at: at("lastSeenAt")?,
        expires_at: at("expiresAt")?,
    })
}

impl RedisSessionStore {
    pub fn new(client: Client, key_prefix: String, timeout: Duration) -> Self {
        Self {
            client,
            key_prefix,
            timeout,
        }
    }

    fn key(&self, logical: &str) -> String {
        format!("{}{logical}", self.key_prefix)
    }

    async fn call<T>(
        &self,
        command: impl Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, CacheError> {
        bounded_call(&self.client, self.timeout, command).await
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(
        &self,
        user_id: &UserId,
        roles: &[Role],
        ttl: Duration,
    ) -> Result<(SessionToken, Session), CacheError> {
        let mut bytes = [0_u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = SessionToken::new(URL_SAFE_NO_PAD.encode(bytes));
        let hash = token_hash(&token);
        let now = Utc::now();
        let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(1));
        let session = Session {
            user_id: user_id.clone(),
            roles: roles.to_vec(),
            created_at: now,
            last_seen_at: now,
            expires_at,
        };
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let fields = vec![
            ("userId", user_id.to_string()),
            ("roles", roles.join(",")),
            ("createdAt", millis(now)),
            ("lastSeenAt", millis(now)),
            ("expiresAt", millis(expires_at)),
        ];
        let key = self.key(&CacheKeys::session(&hash));
        let index = self.key(&CacheKeys::user_sessions(user_id));
        let ttl_ms = ttl.as_millis() as i64;
        self.call(self.client.hset::<(), _, _>(&key, fields))
            .await?;
        self.call(self.client.pexpire::<(), _>(&key, ttl_ms, None))
            .await?;
        self.call(self.client.sadd::<(), _, _>(&index, hash))
            .await?;
        self.call(self.client.pexpire::<(), _>(&index, ttl_ms, None))
            .await?;
        Ok((token, session))
    }

    async fn touch(
        &self,
        token: &SessionToken,
        ttl: Duration,
    ) -> Result<Option<Session>, CacheError> {
        let key = self.key(&CacheKeys::session(&token_hash(token)));
        let now = Utc::now();
        let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(1));
        let args = vec![millis(now), millis(expires_at), ttl.as_millis().to_string()];
        let fields: HashMap<String, String> = self
            .call(TOUCH_SESSION.evalsha_with_reload(&self.client, key, args))
            .await?;
        let Some(session) = session_from(&fields) else {
            return Ok(None);
        };
        let index = self.key(&CacheKeys::user_sessions(&session.user_id));
        let _ = self
            .call(
                self.client
                    .pexpire::<(), _>(&index, ttl.as_millis() as i64, None),
            )
            .await;
        Ok(Some(session))
    }

    async fn revoke(&self, token: &SessionToken) -> Result<(), CacheError> {
        let hash = token_hash(token);
        let key = self.key(&CacheKeys::session(&hash));
        let user: Option<String> = self.call(self.client.hget(&key, "userId")).await?;
        self.call(self.client.del::<(), _>(&key)).await?;
        if let Some(user) = user.and_then(|u| UserId::parse(&u).ok()) {
            self.call(
                self.client
                    .srem::<(), _, _>(self.key(&CacheKeys::user_sessions(&user)), hash),
            )
            .await?;
        }
        Ok(())
    }

    async fn revoke_all(&self, user_id: &UserId) -> Result<u64, CacheError> {
        let index = self.key(&CacheKeys::user_sessions(user_id));
        let hashes: Vec<String> = self.call(self.client.smembers(&index)).await?;
        let mut ended = 0;
        for hash in &hashes {
            let removed: i64 = self
                .call(self.client.del(self.key(&CacheKeys::session(hash))))
                .await?;
            ended += removed as u64;
        }
        self.call(self.client.del::<(), _>(&index)).await?;
        Ok(ended)
    }
}
