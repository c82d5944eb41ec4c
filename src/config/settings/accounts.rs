//! Accounts: sessions (`SESSION_*`), login throttling (`LOGIN_*`), the admin account
//! ensured at start-up, and the secret behind per-client records.

use super::reader::Reader;
use crate::domain::client_key::{ClientKeys, MIN_SECRET_BYTES};
use crate::domain::ports::LoginThrottlePolicy;
use crate::domain::user::{Email, Password};
use crate::usecases::auth::SessionPolicy;

pub(super) fn sessions(r: &mut Reader) -> SessionPolicy {
    SessionPolicy {
        ttl: r.seconds("SESSION_TTL_SECS", 86_400, 1, 30 * 86_400),
        max_lifetime: r.seconds("SESSION_MAX_LIFETIME_SECS", 7 * 86_400, 1, 365 * 86_400),
        recheck: r.seconds("SESSION_RECHECK_SECS", 60, 1, 86_400),
        ..SessionPolicy::default()
    }
}

pub(super) fn login_throttle(r: &mut Reader) -> LoginThrottlePolicy {
    let throttle = LoginThrottlePolicy::default();

    LoginThrottlePolicy {
        max_failures: r.count(
            "LOGIN_MAX_FAILURES",
            u64::from(throttle.max_failures),
            1,
            1_000,
        ) as u32,
        base: r.millis(
            "LOGIN_BACKOFF_BASE_MS",
            throttle.base.as_millis() as u64,
            1,
            3_600_000,
        ),
        max: r.seconds("LOGIN_BACKOFF_MAX_SECS", throttle.max.as_secs(), 1, 86_400),
        ..throttle
    }
}

pub(super) fn admin(r: &mut Reader) -> Option<(Email, Password)> {
    match (r.raw("ADMIN_EMAIL"), r.raw("ADMIN_PASSWORD")) {
        (Some(email), Some(password)) if !email.is_empty() && !password.is_empty() => {
            match (Email::parse(&email), Password::parse(&password)) {
                (Ok(email), Ok(password)) => Some((email, password)),
                (Err(e), _) => {
                    r.invalid(format!("ADMIN_EMAIL {e}"));
                    None
                }
                (_, Err(e)) => {
                    r.invalid(format!("ADMIN_PASSWORD {e}"));
                    None
                }
            }
        }
        _ => None,
    }
}

pub(super) fn client_keys(r: &mut Reader) -> Option<ClientKeys> {
    Some(r.string("CLIENT_KEY_SECRET", ""))
        .filter(|secret| !secret.is_empty())
        .and_then(|secret| {
            if secret.len() < MIN_SECRET_BYTES {
                r.invalid(format!(
                    "CLIENT_KEY_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
                ));
                return None;
            }
            Some(ClientKeys::new(secret.as_bytes()))
        })
}
