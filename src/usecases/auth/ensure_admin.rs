use crate::domain::ports::{PasswordHasher, UserRepository};
use crate::domain::user::{Email, Password, User};

use super::AuthError;

/// Makes sure the configured admin account exists with the configured password and the
/// admin role. Run at start-up; idempotent.
pub async fn ensure_admin(
    users: &dyn UserRepository,
    hasher: &dyn PasswordHasher,
    email: &Email,
    password: &Password,
) -> Result<User, AuthError> {
    let hash = hasher.hash(password).await?;
    Ok(users.ensure_admin(email, hash).await?)
}
