use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use shaku::{Component, Interface};

use super::{AuthError, SessionPolicy};
use crate::domain::ports::SessionStore;
use crate::domain::user::{Session, SessionToken};

/// Sessions this instance validated recently, used only while Redis is unreachable.
#[derive(Default)]
pub struct SessionFallback {
    seen: Mutex<HashMap<String, (Session, Instant)>>,
}

impl SessionFallback {
    fn key(token: &SessionToken) -> String {
        crate::domain::digest::sha256_hex(token.expose().as_bytes(), 32)
    }

    pub(super) fn remember(&self, token: &SessionToken, session: &Session) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.clear();
        }
        seen.insert(Self::key(token), (session.clone(), Instant::now()));
    }

    /// Drops one token: called on every logout, before Redis is asked, so a logged-out
    /// token is never accepted from memory, whatever Redis does next.
    pub(super) fn forget(&self, token: &SessionToken) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::key(token));
    }

    /// Drops every remembered session of `user` (logout-all).
    pub(super) fn forget_user(&self, user: &crate::domain::user::UserId) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (session, _)| session.user_id != *user);
    }

    fn recall(&self, token: &SessionToken, policy: &SessionPolicy) -> Option<Session> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let (session, at) = seen.get(&Self::key(token))?;
        let fresh = at.elapsed() <= policy.fallback_window && session.expires_at > Utc::now();
        fresh.then(|| session.clone())
    }
}

/// Resolves a bearer token to its session, sliding the expiry. While Redis is unreachable,
/// a session validated here within the fallback window is still accepted; anything else
/// is `Unavailable` rather than a false "logged out".
#[async_trait]
pub trait AuthenticateUseCase: Interface {
    async fn execute(&self, token: &SessionToken) -> Result<Session, AuthError>;
}

#[derive(Component)]
#[shaku(interface = AuthenticateUseCase)]
pub struct Authenticate {
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
    policy: SessionPolicy,
    fallback: Arc<SessionFallback>,
}

impl Authenticate {
    pub fn new(
        sessions: Arc<dyn SessionStore>,
        policy: SessionPolicy,
        fallback: Arc<SessionFallback>,
    ) -> Self {
        Self {
            sessions,
            policy,
            fallback,
        }
    }
}

#[async_trait]
impl AuthenticateUseCase for Authenticate {
    async fn execute(&self, token: &SessionToken) -> Result<Session, AuthError> {
        match self.sessions.touch(token, self.policy.ttl).await {
            Ok(Some(session)) => {
                self.fallback.remember(token, &session);
                Ok(session)
            }
            Ok(None) => {
                self.fallback.forget(token);
                Err(AuthError::Unauthenticated)
            }
            Err(error) => self
                .fallback
                .recall(token, &self.policy)
                .ok_or_else(|| error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::MockSessionStore;
    use crate::domain::user::{Role, UserId};

    fn session() -> Session {
        let now = Utc::now();
        Session {
            user_id: UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap(),
            roles: vec![Role::Customer],
            created_at: now,
            last_seen_at: now,
            expires_at: now + chrono::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn a_recently_seen_session_survives_a_redis_outage_but_not_a_logout() {
        let mut store = MockSessionStore::new();
        let mut seq = mockall::Sequence::new();
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(Some(session())));
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Err(CacheError::Unavailable("down".into())));
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(None));
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Err(CacheError::Unavailable("down".into())));
        let auth = Authenticate::new(Arc::new(store), SessionPolicy::default(), Arc::default());
        let token = SessionToken::new("t".into());
        assert!(auth.execute(&token).await.is_ok());
        assert!(
            auth.execute(&token).await.is_ok(),
            "fallback while Redis is down"
        );
        assert!(matches!(
            auth.execute(&token).await,
            Err(AuthError::Unauthenticated)
        ));
        assert!(
            matches!(auth.execute(&token).await, Err(AuthError::Unavailable(_))),
            "forgotten after logout"
        );
    }
}
