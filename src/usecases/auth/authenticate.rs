use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use shaku::{Component, Interface};

use super::{AuthError, SessionPolicy};
use crate::domain::ports::{SessionStore, UserRepository};
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

/// Resolves a bearer token to its session, sliding the expiry up to the absolute lifetime.
/// Every `recheck`, the session is compared with the user record: roles follow it, and a
/// user gone or with credentials changed since the login ends the session. While Redis is
/// unreachable, a session validated here within the fallback window is still accepted;
/// anything else is `Unavailable` rather than a false "logged out".
#[async_trait]
pub trait AuthenticateUseCase: Interface {
    async fn execute(&self, token: &SessionToken) -> Result<Session, AuthError>;
}

#[derive(Component)]
#[shaku(interface = AuthenticateUseCase)]
pub struct Authenticate {
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    policy: SessionPolicy,
    fallback: Arc<SessionFallback>,
}

impl Authenticate {
    pub fn new(
        sessions: Arc<dyn SessionStore>,
        users: Arc<dyn UserRepository>,
        policy: SessionPolicy,
        fallback: Arc<SessionFallback>,
    ) -> Self {
        Self {
            sessions,
            users,
            policy,
            fallback,
        }
    }

    /// Compares `session` with its user record once `recheck` has passed since the last
    /// comparison. `None`: the session must end. MongoDB trouble keeps the session as it
    /// is (and the next request tries again): an outage must not log everyone out.
    async fn rechecked(&self, token: &SessionToken, mut session: Session) -> Option<Session> {
        let now = Utc::now();
        let due = (now - session.checked_at)
            .to_std()
            .is_ok_and(|since| since >= self.policy.recheck);
        if !due {
            return Some(session);
        }
        match self.users.find_by_id(&session.user_id).await {
            Ok(Some(user)) if session.still_valid_for(&user) => {
                session.roles = user.roles;
                session.checked_at = now;
                if let Err(error) = self.sessions.refresh(token, &session.roles, now).await {
                    tracing::warn!(error = %crate::domain::error::error_chain(&error), "session roles not recorded");
                }
                Some(session)
            }
            Ok(_) => {
                if let Err(error) = self.sessions.revoke(token).await {
                    tracing::warn!(error = %crate::domain::error::error_chain(&error), "ended session not revoked");
                }
                None
            }
            Err(error) => {
                tracing::warn!(error = %crate::domain::error::error_chain(&error), "session recheck skipped");
                Some(session)
            }
        }
    }
}

#[async_trait]
impl AuthenticateUseCase for Authenticate {
    async fn execute(&self, token: &SessionToken) -> Result<Session, AuthError> {
        let touched = self
            .sessions
            .touch(token, self.policy.ttl, self.policy.max_lifetime)
            .await;
        match touched {
            Ok(Some(session)) => {
                let Some(session) = self.rechecked(token, session).await else {
                    self.fallback.forget(token);
                    return Err(AuthError::Unauthenticated);
                };
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
    use crate::domain::ports::{MockSessionStore, MockUserRepository};
    use crate::domain::user::{Email, PasswordHash, Role, User, UserId};

    fn session() -> Session {
        let now = Utc::now();
        Session {
            user_id: UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap(),
            roles: vec![Role::Customer],
            created_at: now,
            last_seen_at: now,
            expires_at: now + chrono::Duration::hours(1),
            checked_at: now,
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
            .returning(|_, _, _| Ok(Some(session())));
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(None));
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        let auth = Authenticate::new(
            Arc::new(store),
            Arc::new(MockUserRepository::new()),
            SessionPolicy::default(),
            Arc::default(),
        );
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

    fn user(roles: Vec<Role>, sessions_valid_from: Option<chrono::DateTime<Utc>>) -> User {
        User {
            id: UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap(),
            email: Email::parse("u@example.com").unwrap(),
            name: None,
            roles,
            password_hash: PasswordHash::new("h".into()),
            created_at: Utc::now(),
            sessions_valid_from,
        }
    }

    /// A session last checked two minutes ago, against `record`; returns the outcome and
    /// whether the store was asked to refresh or revoke it.
    async fn recheck(record: Option<User>) -> (Result<Session, AuthError>, bool, bool) {
        let mut stale = session();
        stale.created_at -= chrono::Duration::minutes(5);
        stale.checked_at -= chrono::Duration::minutes(2);
        let mut store = MockSessionStore::new();
        store
            .expect_touch()
            .returning(move |_, _, _| Ok(Some(stale.clone())));
        let refreshed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let revoked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (r, v) = (refreshed.clone(), revoked.clone());
        store.expect_refresh().returning(move |_, _, _| {
            r.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        store.expect_revoke().returning(move |_| {
            v.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_id()
            .times(1)
            .returning(move |_| Ok(record.clone()));
        let auth = Authenticate::new(
            Arc::new(store),
            Arc::new(users),
            SessionPolicy::default(),
            Arc::default(),
        );
        let outcome = auth.execute(&SessionToken::new("t".into())).await;
        let seen =
            |flag: &std::sync::atomic::AtomicBool| flag.load(std::sync::atomic::Ordering::SeqCst);
        (outcome, seen(&refreshed), seen(&revoked))
    }

    #[tokio::test]
    async fn a_due_recheck_takes_the_roles_of_the_user_record() {
        let (outcome, refreshed, revoked) = recheck(Some(user(vec![Role::Admin], None))).await;
        assert_eq!(outcome.unwrap().roles, vec![Role::Admin]);
        assert!(refreshed && !revoked);
    }

    #[tokio::test]
    async fn a_credential_change_after_login_or_a_deleted_user_ends_the_session() {
        let changed = user(vec![Role::Customer], Some(Utc::now()));
        let (outcome, _, revoked) = recheck(Some(changed)).await;
        assert!(matches!(outcome, Err(AuthError::Unauthenticated)));
        assert!(revoked);
        let (outcome, _, revoked) = recheck(None).await;
        assert!(matches!(outcome, Err(AuthError::Unauthenticated)));
        assert!(revoked);
    }

    #[tokio::test]
    async fn a_session_checked_recently_is_not_rechecked() {
        let mut store = MockSessionStore::new();
        store
            .expect_touch()
            .returning(|_, _, _| Ok(Some(session())));
        let mut users = MockUserRepository::new();
        users.expect_find_by_id().times(0);
        let auth = Authenticate::new(
            Arc::new(store),
            Arc::new(users),
            SessionPolicy::default(),
            Arc::default(),
        );
        assert!(auth.execute(&SessionToken::new("t".into())).await.is_ok());
    }
}
