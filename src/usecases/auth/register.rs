use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::AuthError;
use crate::domain::ports::{PasswordHasher, UserRepository};
use crate::domain::user::{Email, NewUser, Password, Role, User};

/// Creates a customer account; `EmailTaken` when the (case-insensitive) e-mail exists.
#[async_trait]
pub trait RegisterUserUseCase: Interface {
    async fn execute(
        &self,
        email: Email,
        password: Password,
        name: Option<String>,
    ) -> Result<User, AuthError>;
}

#[derive(Component)]
#[shaku(interface = RegisterUserUseCase)]
pub struct RegisterUser {
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    hasher: Arc<dyn PasswordHasher>,
}

#[cfg(test)]
impl RegisterUser {
    pub fn new(users: Arc<dyn UserRepository>, hasher: Arc<dyn PasswordHasher>) -> Self {
        Self { users, hasher }
    }
}

#[async_trait]
impl RegisterUserUseCase for RegisterUser {
    async fn execute(
        &self,
        email: Email,
        password: Password,
        name: Option<String>,
    ) -> Result<User, AuthError> {
        let password_hash = self.hasher.hash(&password).await?;
        let user = NewUser {
            email,
            name,
            roles: vec![Role::Customer],
            password_hash,
        };
        Ok(self.users.insert(user).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockPasswordHasher, MockUserRepository};
    use crate::domain::user::PasswordHash;

    #[tokio::test]
    async fn stores_only_the_hash_and_maps_duplicates() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$x".into())));
        let mut users = MockUserRepository::new();
        users
            .expect_insert()
            .withf(|u| u.password_hash.as_str() == "$argon2id$x" && u.roles == [Role::Customer])
            .returning(|_| Err(RepositoryError::Duplicate));
        let result = RegisterUser::new(Arc::new(users), Arc::new(hasher))
            .execute(
                Email::parse("a@b.co").unwrap(),
                Password::parse("password1").unwrap(),
                None,
            )
            .await;
        assert!(matches!(result, Err(AuthError::EmailTaken)));
    }
}
