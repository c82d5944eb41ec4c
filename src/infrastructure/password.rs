//! Argon2id password hashing on the blocking thread pool, so a login never stalls the
//! async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use async_trait::async_trait;
use shaku::Component;

use crate::domain::ports::PasswordHasher;
use crate::domain::user::{Password, PasswordHash};

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: the OWASP baseline).
#[derive(Component, Default)]
#[shaku(interface = PasswordHasher)]
pub struct Argon2Hasher;

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> PasswordHash {
        let password = password.clone();
        let phc = tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
        })
        .await;
        match phc {
            Ok(Ok(phc)) => PasswordHash::new(phc),
            // Hashing with default parameters and a fresh salt cannot fail short of a bug;
            // an unusable hash makes the account unusable rather than open.
            _ => PasswordHash::new(String::new()),
        }
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool {
        let (password, hash) = (password.clone(), hash.clone());
        tokio::task::spawn_blocking(move || match Phc::new(hash.as_str()) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let hasher = Argon2Hasher;
        let password = Password::parse("correct horse battery").unwrap();
        let a = hasher.hash(&password).await;
        let b = hasher.hash(&password).await;
        assert_ne!(a, b, "salted");
        assert!(a.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(&password, &a).await);
        assert!(
            !hasher
                .verify(&Password::parse("wrong password").unwrap(), &a)
                .await
        );
        assert!(
            !hasher
                .verify(&password, &PasswordHash::new("garbage".into()))
                .await
        );
    }
}
