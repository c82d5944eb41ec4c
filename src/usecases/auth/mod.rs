//! Users and sessions: register, log in, authenticate a bearer token, log out.

mod authenticate;
mod ensure_admin;
mod error;
mod login;
mod logout;
mod register;
mod session_ends;
mod session_watch;

use std::time::Duration;

pub use authenticate::{
    Authenticate, AuthenticateParameters, AuthenticateUseCase, SessionFallback,
};
pub use ensure_admin::ensure_admin;
pub use error::AuthError;
pub use login::{Login, LoginParameters, LoginResult, LoginUseCase};
pub use logout::{Logout, LogoutParameters, LogoutUseCase};
pub use register::{RegisterUser, RegisterUserParameters, RegisterUserUseCase};
pub use session_ends::SessionEnds;
pub use session_watch::SessionWatch;

/// How long a session lives without use (each authenticated request slides it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Idle lifetime: each use slides the expiry this far.
    pub ttl: Duration,
    /// Absolute lifetime: however active, a session ends this long after login.
    pub max_lifetime: Duration,
    /// How often a session's roles are compared with the user record (and the session
    /// ended if the user is gone or changed credentials since).
    pub recheck: Duration,
    /// While Redis is unreachable, a session this instance validated within this window is
    /// still accepted, so an outage does not log everyone out.
    pub fallback_window: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(86_400),
            max_lifetime: Duration::from_secs(7 * 86_400),
            recheck: Duration::from_secs(60),
            fallback_window: Duration::from_secs(60),
        }
    }
}
