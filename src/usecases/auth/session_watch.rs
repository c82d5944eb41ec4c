//! Keeps a long-lived answer (an event feed) bound to the session that opened it: the
//! session is checked again every `SESSION_RECHECK_SECS`, and at once when this instance
//! hears that one of the user's sessions ended.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use super::{AuthError, AuthenticateUseCase, SessionEnds};
use crate::domain::user::{SessionToken, UserId};

pub struct SessionWatch {
    authenticate: Arc<dyn AuthenticateUseCase>,
    token: SessionToken,
    user: UserId,
    notices: broadcast::Receiver<UserId>,
    every: Duration,
    next_check: Instant,
}

impl SessionWatch {
    pub fn new(
        authenticate: Arc<dyn AuthenticateUseCase>,
        ends: &SessionEnds,
        token: SessionToken,
        user: UserId,
        every: Duration,
    ) -> Self {
        Self {
            authenticate,
            token,
            user,
            notices: ends.listen(),
            every,
            next_check: Instant::now() + every,
        }
    }

    /// Resolves once the session has ended (logged out, expired, or the user's
    /// credentials or existence changed). A check that cannot tell (Redis away) keeps it.
    /// Safe to cancel and call again: the next check's time is kept between calls.
    pub async fn ended(&mut self) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(self.next_check) => {}
                notice = self.notices.recv() => match notice {
                    Ok(user) if user != self.user => continue,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        self.next_check = self.next_check.max(Instant::now());
                        tokio::time::sleep_until(self.next_check).await;
                    }
                },
            }
            self.next_check = Instant::now() + self.every;
            if let Err(AuthError::Unauthenticated) = self.authenticate.execute(&self.token).await {
                return;
            }
        }
    }
}
