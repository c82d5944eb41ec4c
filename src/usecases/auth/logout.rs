use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::AuthError;
use crate::domain::ports::SessionStore;
use crate::domain::user::{SessionToken, UserId};

/// Ends one session, or every session of a user.
#[async_trait]
pub trait LogoutUseCase: Interface {
    async fn this_session(&self, token: &SessionToken) -> Result<(), AuthError>;
    /// Returns how many sessions were ended.
    async fn all_sessions(&self, user: &UserId) -> Result<u64, AuthError>;
}

#[derive(Component)]
#[shaku(interface = LogoutUseCase)]
pub struct Logout {
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
}

#[async_trait]
impl LogoutUseCase for Logout {
    async fn this_session(&self, token: &SessionToken) -> Result<(), AuthError> {
        Ok(self.sessions.revoke(token).await?)
    }

    async fn all_sessions(&self, user: &UserId) -> Result<u64, AuthError> {
        Ok(self.sessions.revoke_all(user).await?)
    }
}
