//! Argon2id password hashing on the blocking thread pool, so a login never stalls the
//! async workers, with a bound on how many hashes run at once: each takes 19 MiB and a
//! core for tens of milliseconds, and the blocking pool would otherwise start hundreds of
//! them under a login flood.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use async_trait::async_trait;
use shaku::Component;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::ports::{HasherBusy, PasswordHasher};
use crate::domain::user::{Password, PasswordHash};

/// How long a login waits for a hashing slot before it is told to come back later.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: the OWASP baseline), at
/// most one hash per core at a time (`Default`), so hashing never takes more than
/// cores × 19 MiB.
#[derive(Component)]
#[shaku(interface = PasswordHasher)]
pub struct Argon2Hasher {
    #[shaku(default = Argon2Hasher::slots_per_core())]
    slots: Arc<Semaphore>,
    #[shaku(default = SLOT_WAIT)]
    wait: Duration,
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::with_slots(Self::slots_per_core(), SLOT_WAIT)
    }
}

impl Argon2Hasher {
    fn slots_per_core() -> Arc<Semaphore> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Arc::new(Semaphore::new(cores))
    }

    /// `slots` hashes at once; a caller waits at most `wait` for one.
    pub fn with_slots(slots: Arc<Semaphore>, wait: Duration) -> Self {
        Self { slots, wait }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, HasherBusy> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(HasherBusy),
        }
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HasherBusy> {
        let slot = self.slot().await?;
        let password = password.clone();
        let phc = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
        })
        .await;
        Ok(match phc {
            Ok(Ok(phc)) => PasswordHash::new(phc),
            // Hashing with default parameters and a fresh salt cannot fail short of a bug;
            // an unusable hash makes the account unusable rather than open.
            _ => PasswordHash::new(String::new()),
        })
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HasherBusy> {
        let slot = self.slot().await?;
        let (password, hash) = (password.clone(), hash.clone());
        let verified = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            match Phc::new(hash.as_str()) {
                Ok(parsed) => Argon2::default()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => false,
            }
        })
        .await
        .unwrap_or(false);
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let hasher = Argon2Hasher::default();
        let password = Password::parse("correct horse battery").unwrap();
        let a = hasher.hash(&password).await.unwrap();
        let b = hasher.hash(&password).await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.as_str().starts_with("$argon2id$"));
        assert_eq!(hasher.verify(&password, &a).await, Ok(true));
        let wrong = Password::parse("wrong password").unwrap();
        assert_eq!(hasher.verify(&wrong, &a).await, Ok(false));
        let garbage = PasswordHash::new("garbage".into());
        assert_eq!(hasher.verify(&password, &garbage).await, Ok(false));
    }

    #[tokio::test]
    async fn with_every_slot_taken_a_hash_is_refused_instead_of_piling_up() {
        let slots = Arc::new(Semaphore::new(1));
        let hasher = Argon2Hasher::with_slots(slots.clone(), Duration::from_millis(20));
        let password = Password::parse("correct horse battery").unwrap();
        let taken = slots.clone().acquire_owned().await.unwrap();
        assert_eq!(hasher.hash(&password).await, Err(HasherBusy));
        let any = PasswordHash::new("garbage".into());
        assert_eq!(hasher.verify(&password, &any).await, Err(HasherBusy));
        drop(taken);
        assert!(
            hasher.hash(&password).await.is_ok(),
            "the slot is free again"
        );
    }
}
