use crate::domain::ports::{PasswordHasher, SessionStore, UserRepository};
use crate::domain::user::{Email, Password, User};

use super::AuthError;

/// Makes sure the configured admin account exists with the configured password and the
/// admin role. Run at start-up; idempotent: an account that already matches is left alone,
/// so a restart logs nobody out.
///
/// When it changes an existing account (new password, or the admin role added), every
/// session opened before ends: at once through the session store when Redis answers, and
/// in any case at the session's next recheck against the record, which now says that
/// sessions from before the change are void.
pub async fn ensure_admin(
    users: &dyn UserRepository,
    hasher: &dyn PasswordHasher,
    sessions: &dyn SessionStore,
    email: &Email,
    password: &Password,
) -> Result<User, AuthError> {
    let existing = users.find_by_email(email).await?;
    if let Some(user) = &existing {
        if user.is_admin() && hasher.verify(password, &user.password_hash).await? {
            return Ok(user.clone());
        }
    }
    let hash = hasher.hash(password).await?;
    let admin = users.ensure_admin(email, hash).await?;
    if existing.is_some() {
        match sessions.revoke_all(&admin.id).await {
            Ok(ended) => tracing::info!(ended, "admin credentials changed; sessions ended"),
            Err(error) => tracing::warn!(
                error = %crate::domain::error::error_chain(&error),
                "admin credentials changed; old sessions end at their next recheck"
            ),
        }
    }
    Ok(admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::{MockPasswordHasher, MockSessionStore, MockUserRepository};
    use crate::domain::user::{PasswordHash, Role, UserId};

    fn admin(roles: Vec<Role>) -> User {
        User {
            id: UserId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap(),
            email: Email::parse("admin@example.com").unwrap(),
            name: None,
            roles,
            password_hash: PasswordHash::new("stored".into()),
            created_at: chrono::Utc::now(),
            sessions_valid_from: None,
        }
    }

    async fn run(existing: Option<User>, password_matches: bool, revokes: usize) {
        let mut users = MockUserRepository::new();
        let found = existing.clone();
        users
            .expect_find_by_email()
            .returning(move |_| Ok(found.clone()));
        let writes = usize::from(revokes > 0 || existing.is_none());
        users
            .expect_ensure_admin()
            .times(writes)
            .returning(|_, _| Ok(admin(vec![Role::Admin])));
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .returning(move |_, _| Ok(password_matches));
        hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("new".into())));
        let mut sessions = MockSessionStore::new();
        sessions
            .expect_revoke_all()
            .times(revokes)
            .returning(|_| Ok(2));
        let email = Email::parse("admin@example.com").unwrap();
        let password = Password::parse("a-long-password-1").unwrap();
        ensure_admin(&users, &hasher, &sessions, &email, &password)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_unchanged_admin_keeps_its_sessions() {
        run(Some(admin(vec![Role::Admin])), true, 0).await;
    }

    #[tokio::test]
    async fn a_new_password_or_a_new_admin_role_ends_old_sessions() {
        run(Some(admin(vec![Role::Admin])), false, 1).await;
        run(Some(admin(vec![Role::Customer])), true, 1).await;
    }

    #[tokio::test]
    async fn a_created_admin_has_no_sessions_to_end() {
        run(None, false, 0).await;
    }
}
