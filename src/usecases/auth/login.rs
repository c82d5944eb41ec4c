use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};
use tokio::sync::OnceCell;

use super::{AuthError, SessionFallback, SessionPolicy};
use crate::domain::ports::{
    HasherBusy, LoginThrottle, PasswordHasher, SessionStore, UserRepository,
};
use crate::domain::user::{Email, Password, PasswordHash, Session, SessionToken, User};

#[derive(Debug, Clone)]
pub struct LoginResult {
    pub token: SessionToken,
    pub session: Session,
    pub user: User,
}

/// Checks credentials and opens a session. An unknown e-mail costs the same password
/// verification as a known one (against a decoy hash) and fails with the same error, so
/// neither timing nor message reveals which accounts exist. An account locked by too many
/// consecutive failures (known or not) is refused before any hash is computed.
#[async_trait]
pub trait LoginUseCase: Interface {
    /// `client` is the caller's address as the rate limiter groups it (see `LoginThrottle`).
    async fn execute(
        &self,
        email: Email,
        password: Password,
        client: &str,
    ) -> Result<LoginResult, AuthError>;
}

#[derive(Component)]
#[shaku(interface = LoginUseCase)]
pub struct Login {
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    hasher: Arc<dyn PasswordHasher>,
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
    #[shaku(inject)]
    throttle: Arc<dyn LoginThrottle>,
    policy: SessionPolicy,
    fallback: Arc<SessionFallback>,
    #[shaku(default)]
    decoy: OnceCell<PasswordHash>,
}

impl Login {
    #[cfg(test)]
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        sessions: Arc<dyn SessionStore>,
        throttle: Arc<dyn LoginThrottle>,
        policy: SessionPolicy,
        fallback: Arc<SessionFallback>,
    ) -> Self {
        Self {
            users,
            hasher,
            sessions,
            throttle,
            policy,
            fallback,
            decoy: OnceCell::new(),
        }
    }

    async fn decoy(&self) -> Result<&PasswordHash, HasherBusy> {
        self.decoy
            .get_or_try_init(|| async {
                let decoy = Password::parse("decoy password that never matches")
                    .unwrap_or_else(|_| unreachable!());
                self.hasher.hash(&decoy).await
            })
            .await
    }
}

#[async_trait]
impl LoginUseCase for Login {
    async fn execute(
        &self,
        email: Email,
        password: Password,
        client: &str,
    ) -> Result<LoginResult, AuthError> {
        // Fails open: while Redis is away the per-address rate limit still applies.
        if let Ok(Some(retry_after)) = self.throttle.locked_for(&email, client).await {
            return Err(AuthError::Throttled { retry_after });
        }
        let user = self.users.find_by_email(&email).await?;
        let verified = match &user {
            Some(user) => self.hasher.verify(&password, &user.password_hash).await?,
            None => {
                let decoy = self.decoy().await?;
                self.hasher.verify(&password, decoy).await?;
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            if let Err(error) = self.throttle.failed(&email, client).await {
                tracing::warn!(error = %error, "failed login not counted");
            }
            return Err(AuthError::InvalidCredentials);
        };
        if let Err(error) = self.throttle.succeeded(&email, client).await {
            tracing::warn!(error = %error, "login failure count not reset");
        }
        let (token, session) = self
            .sessions
            .create(
                &user.id,
                &user.roles,
                self.policy.ttl.min(self.policy.max_lifetime),
            )
            .await?;
        self.fallback.remember(&token, &session);
        Ok(LoginResult {
            token,
            session,
            user,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::{
        MockLoginThrottle, MockPasswordHasher, MockSessionStore, MockUserRepository,
    };
    use std::time::Duration;

    fn open_throttle() -> MockLoginThrottle {
        let mut throttle = MockLoginThrottle::new();
        throttle.expect_locked_for().returning(|_, _| Ok(None));
        throttle.expect_failed().returning(|_, _| Ok(None));
        throttle
    }

    #[tokio::test]
    async fn a_locked_account_is_refused_before_any_lookup_or_hash() {
        let mut throttle = MockLoginThrottle::new();
        throttle
            .expect_locked_for()
            .returning(|_, _| Ok(Some(Duration::from_millis(1_500))));
        let login = Login::new(
            Arc::new(MockUserRepository::new()),
            Arc::new(MockPasswordHasher::new()),
            Arc::new(MockSessionStore::new()),
            Arc::new(throttle),
            SessionPolicy::default(),
            Arc::default(),
        );
        let result = login
            .execute(
                Email::parse("victim@x.io").unwrap(),
                Password::parse("right-or-wrong").unwrap(),
                "192.0.2.1",
            )
            .await;
        assert!(matches!(
            result,
            Err(AuthError::Throttled { retry_after }) if retry_after == Duration::from_millis(1_500)
        ));
    }

    #[tokio::test]
    async fn unknown_email_still_verifies_a_password_and_gives_the_same_error() {
        let mut users = MockUserRepository::new();
        users.expect_find_by_email().returning(|_| Ok(None));
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash::new("decoy".into())));
        hasher.expect_verify().times(1).returning(|_, _| Ok(false));
        let login = Login::new(
            Arc::new(users),
            Arc::new(hasher),
            Arc::new(MockSessionStore::new()),
            Arc::new(open_throttle()),
            SessionPolicy::default(),
            Arc::default(),
        );
        let result = login
            .execute(
                Email::parse("nobody@x.io").unwrap(),
                Password::parse("whatever1").unwrap(),
                "192.0.2.1",
            )
            .await;
        assert!(matches!(result, Err(AuthError::InvalidCredentials)));
    }
}
