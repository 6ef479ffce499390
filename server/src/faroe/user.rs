//! The user server as the protocol needs it: the seven user actions.
//!
//! Users live outside this server. The core only reads them and asks the user
//! server to change them, always guarded by the counter the change is based on.

use async_trait::async_trait;

use super::user_server_failure::{FailureKind, UserServerFailure};

/// A password hash with what is needed to verify against it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordHash {
    pub hash: Vec<u8>,
    pub algorithm_id: String,
    pub salt: Vec<u8>,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHash")
            .field("algorithm_id", &self.algorithm_id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email_address: String,
    pub password_hash: PasswordHash,
    /// `""` means the user has none.
    pub display_name: String,
    pub disabled: bool,
    pub email_address_counter: i32,
    pub password_hash_counter: i32,
    pub disabled_counter: i32,
    pub sessions_counter: i32,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("disabled", &self.disabled)
            .field("email_address_counter", &self.email_address_counter)
            .field("password_hash_counter", &self.password_hash_counter)
            .field("disabled_counter", &self.disabled_counter)
            .field("sessions_counter", &self.sessions_counter)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum UserStoreError {
    /// No such user, or the counter the change was based on has moved.
    #[error("user not found")]
    UserNotFound,
    /// Another user has the address.
    #[error("email address already used")]
    EmailAddressAlreadyUsed,
    /// The user server failed or answered something unusable.
    #[error("user server failure: {0}")]
    Failure(UserServerFailure),
}

impl UserStoreError {
    pub fn failure(kind: FailureKind, message: impl Into<String>) -> UserStoreError {
        UserStoreError::Failure(UserServerFailure::new(kind, message))
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(
        &self,
        email_address: &str,
        password: &PasswordHash,
    ) -> Result<User, UserStoreError>;
    async fn get_user(&self, user_id: &str) -> Result<User, UserStoreError>;
    async fn get_user_by_email_address(&self, email_address: &str) -> Result<User, UserStoreError>;
    async fn update_user_email_address(
        &self,
        user_id: &str,
        email_address: &str,
        user_email_address_counter: i32,
    ) -> Result<(), UserStoreError>;
    async fn update_user_password_hash(
        &self,
        user_id: &str,
        password: &PasswordHash,
        user_password_hash_counter: i32,
    ) -> Result<(), UserStoreError>;
    async fn increment_user_sessions_counter(
        &self,
        user_id: &str,
        user_sessions_counter: i32,
    ) -> Result<(), UserStoreError>;
    async fn delete_user(&self, user_id: &str) -> Result<(), UserStoreError>;
}
