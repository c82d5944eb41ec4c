use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use fred::prelude::{Client, ClientLike, KeysInterface};
use rand::RngCore;
use shaku::Component;

use super::call::bounded_call;
use super::scripts::{
    CREATE_SESSION, REFRESH_SESSION, REVOKE_ALL_SESSIONS, REVOKE_SESSION, TOUCH_SESSION,
};
use crate::domain::error::CacheError;
use crate::domain::ports::SessionStore;
use crate::domain::user::{Role, Session, SessionToken, UserId};

/// `SessionStore` on Redis hashes. A token is `<userId>.<secret>`; its session lives under
/// the user's hash tag and the SHA-256 of the whole token, so a copy of the keyspace cannot
/// be replayed as credentials, and a per-user set of those hashes makes logout-all possible
/// without scanning, in one slot on a cluster. A token without a well-formed user part
/// (e.g. one issued before tokens carried it) names no session.
#[derive(Component)]
#[shaku(interface = SessionStore)]
pub struct RedisSessionStore {
    client: Client,
    key_prefix: String,
    timeout: Duration,
}

/// A session, under the hash of its token (never the token). The braces are a Redis
/// Cluster hash tag: every key of one user's sessions, and the user's index below, hash to
/// one slot, so creating, ending and ending-all stay single-slot scripts.
fn session_key(user: &UserId, token_hash: &str) -> String {
    format!("{}{token_hash}", sessions_prefix(user))
}

/// What every session key of `user` starts with (for the logout-all script, which builds
/// them from the index).
fn sessions_prefix(user: &UserId) -> String {
    format!("session:{{{user}}}:")
}

/// The set of a user's session hashes, for logout-all; same hash tag as the sessions.
fn user_sessions_key(user: &UserId) -> String {
    format!("user-sessions:{{{user}}}")
}

fn token_hash(token: &SessionToken) -> String {
    crate::domain::digest::sha256_hex(token.expose().as_bytes(), 32)
}

/// The user a token was issued to, read from its `<userId>.` part.
fn token_user(token: &SessionToken) -> Option<UserId> {
    let (user, _) = token.expose().split_once('.')?;
    UserId::parse(user).ok()
}

/// Where a token's session lives: its user, the hash of the token, and the session key.
struct SessionAddress {
    user: UserId,
    hash: String,
    key: String,
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
        // Sessions made before roles were rechecked have no checkedAt: due at once.
        checked_at: at("checkedAt").or_else(|| at("createdAt"))?,
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

    /// The session `token` names; `None` for a token without a well-formed user part.
    fn address(&self, token: &SessionToken) -> Option<SessionAddress> {
        let user = token_user(token)?;
        let hash = token_hash(token);
        let key = self.key(&session_key(&user, &hash));
        Some(SessionAddress { user, hash, key })
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
    #[tracing::instrument(name = "redis.session.create", level = "debug", skip_all)]
    async fn create(
        &self,
        user_id: &UserId,
        roles: &[Role],
        ttl: Duration,
    ) -> Result<(SessionToken, Session), CacheError> {
        let mut bytes = [0_u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = SessionToken::new(format!("{user_id}.{}", URL_SAFE_NO_PAD.encode(bytes)));
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
            checked_at: now,
        };
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let fields = vec![
            ("userId", user_id.to_string()),
            ("roles", roles.join(",")),
            ("createdAt", millis(now)),
            ("lastSeenAt", millis(now)),
            ("expiresAt", millis(expires_at)),
            ("checkedAt", millis(now)),
        ];
        let key = self.key(&session_key(user_id, &hash));
        let index = self.key(&user_sessions_key(user_id));
        let mut args = vec![ttl.as_millis().to_string(), hash];
        for (name, value) in fields {
            args.push(name.to_owned());
            args.push(value);
        }
        self.call(CREATE_SESSION.evalsha_with_reload::<i64, _, _>(
            &self.client,
            vec![key, index],
            args,
        ))
        .await?;
        Ok((token, session))
    }

    #[tracing::instrument(name = "redis.session.touch", level = "debug", skip_all)]
    async fn touch(
        &self,
        token: &SessionToken,
        ttl: Duration,
        max_lifetime: Duration,
    ) -> Result<Option<Session>, CacheError> {
        let Some(SessionAddress { user, key, .. }) = self.address(token) else {
            return Ok(None);
        };
        let args = vec![
            millis(Utc::now()),
            ttl.as_millis().to_string(),
            max_lifetime.as_millis().to_string(),
        ];
        let fields: HashMap<String, String> = self
            .call(TOUCH_SESSION.evalsha_with_reload(&self.client, key, args))
            .await?;
        let Some(session) = session_from(&fields).filter(|s| s.user_id == user) else {
            return Ok(None);
        };
        let index = self.key(&user_sessions_key(&session.user_id));
        let _ = self
            .call(
                self.client
                    .pexpire::<(), _>(&index, ttl.as_millis() as i64, None),
            )
            .await;
        Ok(Some(session))
    }

    #[tracing::instrument(name = "redis.session.refresh", level = "debug", skip_all)]
    async fn refresh(
        &self,
        token: &SessionToken,
        roles: &[Role],
        checked_at: DateTime<Utc>,
    ) -> Result<(), CacheError> {
        let Some(SessionAddress { key, .. }) = self.address(token) else {
            return Ok(());
        };
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let args = vec![roles.join(","), millis(checked_at)];
        self.call(REFRESH_SESSION.evalsha_with_reload::<i64, _, _>(&self.client, key, args))
            .await?;
        Ok(())
    }

    #[tracing::instrument(name = "redis.session.revoke", level = "debug", skip_all)]
    async fn revoke(&self, token: &SessionToken) -> Result<(), CacheError> {
        let Some(SessionAddress { user, hash, key }) = self.address(token) else {
            return Ok(());
        };
        let keys = vec![key, self.key(&user_sessions_key(&user))];
        self.call(REVOKE_SESSION.evalsha_with_reload::<i64, _, _>(&self.client, keys, hash))
            .await?;
        Ok(())
    }

    #[tracing::instrument(name = "redis.session.revoke_all", level = "debug", skip_all)]
    async fn revoke_all(&self, user_id: &UserId) -> Result<u64, CacheError> {
        let index = self.key(&user_sessions_key(user_id));
        let sessions = self.key(&sessions_prefix(user_id));
        let ended: i64 = self
            .call(REVOKE_ALL_SESSIONS.evalsha_with_reload(&self.client, index, sessions))
            .await?;
        Ok(u64::try_from(ended).unwrap_or(0))
    }

    #[tracing::instrument(name = "redis.sessions.ping", level = "debug", skip_all)]
    async fn ping(&self) -> Result<Duration, CacheError> {
        let started = std::time::Instant::now();
        self.call(self.client.ping::<String>(None)).await?;
        Ok(started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_only_through_a_well_formed_user_part() {
        let user = "665f1c0e9b1e8a3d4c2b1a09";
        let token = |t: &str| SessionToken::new(t.to_owned());
        assert_eq!(
            token_user(&token(&format!("{user}.c2VjcmV0"))),
            Some(UserId::parse(user).unwrap())
        );
        assert_eq!(token_user(&token("c2VjcmV0")), None);
        assert_eq!(token_user(&token("not-a-user.c2VjcmV0")), None);
        assert_eq!(token_user(&token(&format!("{{{user}}}.c2VjcmV0"))), None);
    }
}
