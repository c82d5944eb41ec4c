use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::{AuthError, SessionEnds, SessionFallback};
use crate::domain::ports::SessionStore;
use crate::domain::user::{SessionToken, UserId};

/// Ends one session, or every session of a user. The in-process fallback forgets them
/// first, so a token logged out here is never accepted again from memory while Redis fails;
/// what this instance holds open for the user (event feeds) checks its session at once.
#[async_trait]
pub trait LogoutUseCase: Interface {
    async fn this_session(&self, token: &SessionToken, user: &UserId) -> Result<(), AuthError>;
    /// Returns how many sessions were ended.
    async fn all_sessions(&self, user: &UserId) -> Result<u64, AuthError>;
}

#[derive(Component)]
#[shaku(interface = LogoutUseCase)]
pub struct Logout {
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
    fallback: Arc<SessionFallback>,
    ends: Arc<SessionEnds>,
}

#[async_trait]
impl LogoutUseCase for Logout {
    #[tracing::instrument(name = "usecase.logout", level = "debug", skip_all)]
    async fn this_session(&self, token: &SessionToken, user: &UserId) -> Result<(), AuthError> {
        self.fallback.forget(token);
        let revoked = self.sessions.revoke(token).await;
        self.ends.notify(user);
        Ok(revoked?)
    }

    #[tracing::instrument(name = "usecase.logout_all", level = "debug", skip_all)]
    async fn all_sessions(&self, user: &UserId) -> Result<u64, AuthError> {
        self.fallback.forget_user(user);
        let revoked = self.sessions.revoke_all(user).await;
        self.ends.notify(user);
        Ok(revoked?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::MockSessionStore;
    use crate::domain::user::{Role, Session};
    use crate::usecases::auth::{Authenticate, AuthenticateUseCase, SessionPolicy};
    use chrono::Utc;

    fn session(user: &str) -> Session {
        let now = Utc::now();
        Session {
            user_id: UserId::parse(user).unwrap(),
            roles: vec![Role::Admin],
            created_at: now,
            last_seen_at: now,
            expires_at: now + chrono::Duration::hours(1),
            checked_at: now,
        }
    }

    const USER: &str = "665f1c0e9b1e8a3d4c2b1a09";

    /// Authenticates once with Redis answering (so the fallback remembers the session), then
    /// with every Redis call failing.
    fn store_that_fails_after_one_touch() -> MockSessionStore {
        let mut store = MockSessionStore::new();
        let mut seq = mockall::Sequence::new();
        store
            .expect_touch()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(Some(session(USER))));
        store
            .expect_touch()
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        store
            .expect_revoke()
            .returning(|_| Err(CacheError::Unavailable("down".into())));
        store
            .expect_revoke_all()
            .returning(|_| Err(CacheError::Unavailable("down".into())));
        store
    }

    #[tokio::test]
    async fn a_logged_out_token_is_not_accepted_from_memory_while_redis_fails() {
        let store = Arc::new(store_that_fails_after_one_touch());
        let fallback = Arc::new(SessionFallback::default());
        let auth = Authenticate::new(
            store.clone(),
            Arc::new(crate::domain::ports::MockUserRepository::new()),
            SessionPolicy::default(),
            fallback.clone(),
        );
        let logout = Logout {
            sessions: store,
            fallback,
            ends: Arc::default(),
        };
        let token = SessionToken::new("admin-token".into());
        assert!(auth.execute(&token).await.is_ok());
        let user = UserId::parse(USER).unwrap();
        let mut notices = logout.ends.listen();
        assert!(
            logout.this_session(&token, &user).await.is_err(),
            "Redis is down"
        );
        assert_eq!(notices.try_recv().ok(), Some(user), "open feeds are told");
        assert!(matches!(
            auth.execute(&token).await,
            Err(AuthError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn logout_all_forgets_every_remembered_session_of_the_user() {
        let store = Arc::new(store_that_fails_after_one_touch());
        let fallback = Arc::new(SessionFallback::default());
        let auth = Authenticate::new(
            store.clone(),
            Arc::new(crate::domain::ports::MockUserRepository::new()),
            SessionPolicy::default(),
            fallback.clone(),
        );
        let logout = Logout {
            sessions: store,
            fallback,
            ends: Arc::default(),
        };
        let token = SessionToken::new("admin-token".into());
        assert!(auth.execute(&token).await.is_ok());
        assert!(logout
            .all_sessions(&UserId::parse(USER).unwrap())
            .await
            .is_err());
        assert!(matches!(
            auth.execute(&token).await,
            Err(AuthError::Unavailable(_))
        ));
    }
}
