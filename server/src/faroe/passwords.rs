//! Password hashing (Argon2id off the async runtime, bounded), the length rule and
//! the strength-check interface.

use std::sync::Arc;
use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use rand::RngCore;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use super::user::PasswordHash;
use crate::metrics::{
    seconds_since, GaugeGuard, HASHING_IN_FLIGHT, HASHING_QUEUE_WAIT, HASH_DURATION,
};

const OUTPUT_LENGTH: usize = 32;
const SALT_LENGTH: usize = 16;
const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 100;

/// 10 to 100 Unicode code points; nothing else is required of a new password.
pub fn has_valid_length(password: &str) -> bool {
    (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.chars().count())
}

/// Argon2id cost parameters; the algorithm id names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2idParams {
    pub time_cost: u32,
    pub memory_kib: u32,
    pub parallelism: u32,
}

impl Argon2idParams {
    /// For user passwords: `argon2id.3.65536.1.32`.
    pub const USER_PASSWORD: Self = Argon2idParams {
        time_cost: 3,
        memory_kib: 65_536,
        parallelism: 1,
    };
    /// For temporary passwords of password resets: `argon2id.3.16384.1.32`.
    pub const TEMPORARY_PASSWORD: Self = Argon2idParams {
        time_cost: 3,
        memory_kib: 16_384,
        parallelism: 1,
    };

    pub fn algorithm_id(&self) -> String {
        format!(
            "argon2id.{}.{}.{}.{OUTPUT_LENGTH}",
            self.time_cost, self.memory_kib, self.parallelism
        )
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    /// The stored hash was made with an algorithm this server is not configured for.
    #[error("unknown password hash algorithm {0:?}")]
    UnknownAlgorithm(String),
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// The purposes of hashing, as metric labels.
const USER: &str = "user_password";
const TEMPORARY: &str = "temporary_password";

/// Hashes and verifies passwords on blocking threads, at most `max_concurrent` at a
/// time, so hashing never stalls request handling and memory stays bounded
/// (each user-password hash needs 64 MiB).
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    user: Argon2idParams,
    temporary: Argon2idParams,
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(user: Argon2idParams, temporary: Argon2idParams, max_concurrent: usize) -> Self {
        PasswordHasher {
            user,
            temporary,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// The production parameters.
    pub fn with_default_params(max_concurrent: usize) -> Self {
        Self::new(
            Argon2idParams::USER_PASSWORD,
            Argon2idParams::TEMPORARY_PASSWORD,
            max_concurrent,
        )
    }

    pub async fn hash_user_password(&self, password: &str) -> Result<PasswordHash, HashError> {
        self.hash_new(self.user, USER, password).await
    }

    pub async fn hash_temporary_password(&self, password: &str) -> Result<PasswordHash, HashError> {
        self.hash_new(self.temporary, TEMPORARY, password).await
    }

    /// Whether `password` matches a user's stored hash.
    pub async fn verify_user_password(
        &self,
        stored: &PasswordHash,
        password: &str,
    ) -> Result<bool, HashError> {
        self.verify(self.user, USER, stored, password).await
    }

    /// Whether `password` matches a reset's stored temporary password hash.
    pub async fn verify_temporary_password(
        &self,
        stored: &PasswordHash,
        password: &str,
    ) -> Result<bool, HashError> {
        self.verify(self.temporary, TEMPORARY, stored, password)
            .await
    }

    async fn hash_new(
        &self,
        params: Argon2idParams,
        purpose: &'static str,
        password: &str,
    ) -> Result<PasswordHash, HashError> {
        let mut salt = vec![0u8; SALT_LENGTH];
        rand::rng().fill_bytes(&mut salt);
        let hash = self
            .compute(params, purpose, password, salt.clone())
            .await?;
        Ok(PasswordHash {
            hash,
            algorithm_id: params.algorithm_id(),
            salt,
        })
    }

    async fn verify(
        &self,
        params: Argon2idParams,
        purpose: &'static str,
        stored: &PasswordHash,
        password: &str,
    ) -> Result<bool, HashError> {
        if stored.algorithm_id != params.algorithm_id() {
            return Err(HashError::UnknownAlgorithm(stored.algorithm_id.clone()));
        }
        let candidate = self
            .compute(params, purpose, password, stored.salt.clone())
            .await?;
        Ok(bool::from(candidate.ct_eq(&stored.hash)))
    }

    async fn compute(
        &self,
        params: Argon2idParams,
        purpose: &'static str,
        password: &str,
        salt: Vec<u8>,
    ) -> Result<Vec<u8>, HashError> {
        let queued = Instant::now();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError::Failed(e.to_string()))?;
        metrics::histogram!(HASHING_QUEUE_WAIT, "purpose" => purpose).record(seconds_since(queued));
        let _hashing = GaugeGuard::raise(metrics::gauge!(HASHING_IN_FLIGHT, "purpose" => purpose));
        let started = Instant::now();
        let password = password.as_bytes().to_vec();
        let hashed = tokio::task::spawn_blocking(move || {
            let argon2_params = Params::new(
                params.memory_kib,
                params.time_cost,
                params.parallelism,
                Some(OUTPUT_LENGTH),
            )
            .map_err(|e| HashError::Failed(e.to_string()))?;
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params);
            let mut output = vec![0u8; OUTPUT_LENGTH];
            argon2
                .hash_password_into(&password, &salt, &mut output)
                .map_err(|e| HashError::Failed(e.to_string()))?;
            Ok(output)
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))?;
        metrics::histogram!(HASH_DURATION, "purpose" => purpose).record(seconds_since(started));
        hashed
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("password strength check failed: {0}")]
pub struct StrengthCheckError(pub String);

/// Decides whether a new password is too weak to accept (e.g. known from breaches).
#[async_trait]
pub trait PasswordStrengthChecker: Send + Sync {
    async fn is_weak(&self, password: &str) -> Result<bool, StrengthCheckError>;
}

/// Accepts every password that passes the length rule.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoStrengthCheck;

#[async_trait]
impl PasswordStrengthChecker for NoStrengthCheck {
    async fn is_weak(&self, _password: &str) -> Result<bool, StrengthCheckError> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so tests hash in microseconds.
    pub(crate) const CHEAP: Argon2idParams = Argon2idParams {
        time_cost: 1,
        memory_kib: 8,
        parallelism: 1,
    };

    #[test]
    fn length_counts_code_points_from_10_to_100() {
        assert!(!has_valid_length("123456789"));
        assert!(has_valid_length("1234567890"));
        assert!(has_valid_length(&"é".repeat(100)));
        assert!(!has_valid_length(&"é".repeat(101)));
        assert!(has_valid_length(&"😀".repeat(10)));
    }

    #[test]
    fn production_algorithm_ids_match_the_contract() {
        assert_eq!(
            Argon2idParams::USER_PASSWORD.algorithm_id(),
            "argon2id.3.65536.1.32"
        );
        assert_eq!(
            Argon2idParams::TEMPORARY_PASSWORD.algorithm_id(),
            "argon2id.3.16384.1.32"
        );
    }

    #[tokio::test]
    async fn hashes_verify_and_salts_differ() {
        let hasher = PasswordHasher::new(CHEAP, CHEAP, 2);
        let first = hasher
            .hash_user_password("correct horse")
            .await
            .expect("hash");
        let second = hasher
            .hash_user_password("correct horse")
            .await
            .expect("hash");
        assert_eq!((first.hash.len(), first.salt.len()), (32, 16));
        assert_ne!(first.salt, second.salt);
        assert_ne!(first.hash, second.hash);
        assert_eq!(
            hasher.verify_user_password(&first, "correct horse").await,
            Ok(true)
        );
        assert_eq!(
            hasher.verify_user_password(&first, "Correct horse").await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn a_hash_of_another_algorithm_is_an_error() {
        let hasher = PasswordHasher::new(CHEAP, CHEAP, 1);
        let mut stored = hasher
            .hash_user_password("password123")
            .await
            .expect("hash");
        stored.algorithm_id = "bcrypt".into();
        assert_eq!(
            hasher.verify_user_password(&stored, "password123").await,
            Err(HashError::UnknownAlgorithm("bcrypt".into()))
        );
    }

    #[tokio::test]
    async fn temporary_passwords_use_the_production_temporary_parameters() {
        let hasher = PasswordHasher::with_default_params(1);
        let stored = hasher
            .hash_temporary_password("ABCDEFGHJKLM")
            .await
            .expect("hash");
        assert_eq!(stored.algorithm_id, "argon2id.3.16384.1.32");
        assert_eq!((stored.hash.len(), stored.salt.len()), (32, 16));
        assert_eq!(
            hasher
                .verify_temporary_password(&stored, "ABCDEFGHJKLM")
                .await,
            Ok(true)
        );
        assert_eq!(
            hasher
                .verify_temporary_password(&stored, "abcdefghjklm")
                .await,
            Ok(false)
        );
        // A user password hash is not a temporary password hash.
        assert!(matches!(
            hasher.verify_user_password(&stored, "ABCDEFGHJKLM").await,
            Err(HashError::UnknownAlgorithm(_))
        ));
    }
}
