//! The 39 actions, one file per flow, and the steps they share: validating a token,
//! rewriting a record under its counter, hashing a new password, sending e-mails.

pub mod session;
pub mod signin;
pub mod signup;

use super::clock::Timestamp;
use super::credentials::{self, format_token, parse_token, SecretHash};
use super::email::Email;
use super::error::{internal, ActionError, ActionResult, ErrorCode};
use super::records::{decode, encode, FlowRecord, TokenRecord, UserFlowRecord};
use super::user::{PasswordHash, User, UserStoreError};
use super::Faroe;
use crate::storage::StorageError;

/// A record as read from storage, with the counter that guards rewriting it.
#[derive(Debug, Clone)]
pub struct Stored<R> {
    pub key: String,
    pub record: R,
    pub counter: i64,
}

/// A freshly made id and secret for a new record.
pub(crate) struct NewCredential {
    pub id: String,
    pub secret_hash: SecretHash,
    pub token: String,
}

impl NewCredential {
    pub fn generate() -> Self {
        let id = credentials::generate_id();
        let secret = credentials::generate_secret();
        NewCredential {
            secret_hash: SecretHash::of(&secret),
            token: format_token(&id, &secret),
            id,
        }
    }
}

/// Fails with `code` unless `condition` holds.
pub(crate) fn ensure(condition: bool, code: ErrorCode) -> ActionResult<()> {
    if condition {
        Ok(())
    } else {
        Err(code.into())
    }
}

fn storage_failure(error: StorageError) -> ActionError {
    internal(format!("storage: {error}"))
}

fn user_store_failure(error: UserStoreError) -> ActionError {
    internal(format!("user server: {error}"))
}

pub(crate) fn key_of<R: TokenRecord>(id: &str) -> String {
    format!("{}{id}", R::PREFIX)
}

impl Faroe {
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Reads the record a token names and checks the token's secret. `None` when the
    /// token is malformed, names nothing, or has the wrong secret. The secret is
    /// checked before anything else happens, so a guessed id alone triggers no user
    /// lookup and no deletion.
    pub(crate) async fn read_token<R: TokenRecord>(
        &self,
        token: &str,
    ) -> ActionResult<Option<Stored<R>>> {
        let Some((id, secret)) = parse_token(token) else {
            return Ok(None);
        };
        let key = key_of::<R>(id);
        let entry = match self.storage.get(&key).await {
            Ok(entry) => entry,
            Err(StorageError::NotFound) => return Ok(None),
            Err(error) => return Err(storage_failure(error)),
        };
        let record: R = decode(&entry.value).map_err(internal)?;
        if !record.secret_hash().matches(secret) {
            return Ok(None);
        }
        Ok(Some(Stored {
            key,
            record,
            counter: entry.counter,
        }))
    }

    /// `read_token`, then the lifetime: an expired record is deleted and `None`.
    pub(crate) async fn validate_flow<R: FlowRecord>(
        &self,
        token: &str,
    ) -> ActionResult<Option<Stored<R>>> {
        let Some(stored) = self.read_token::<R>(token).await? else {
            return Ok(None);
        };
        if !stored.record.is_valid_at(self.now()) {
            self.discard(&stored.key).await?;
            return Ok(None);
        }
        Ok(Some(stored))
    }

    /// `validate_flow`, then the user: a flow whose user is gone, disabled, or has
    /// changed in a way that voids it is deleted and `None`.
    pub(crate) async fn validate_user_flow<R: UserFlowRecord>(
        &self,
        token: &str,
    ) -> ActionResult<Option<(Stored<R>, User)>> {
        let Some(stored) = self.validate_flow::<R>(token).await? else {
            return Ok(None);
        };
        let user = match self.users.get_user(stored.record.user_id()).await {
            Ok(user) => user,
            Err(UserStoreError::UserNotFound) => {
                self.discard(&stored.key).await?;
                return Ok(None);
            }
            Err(error) => return Err(user_store_failure(error)),
        };
        if user.disabled || stored.record.is_stale_for(&user) {
            self.discard(&stored.key).await?;
            return Ok(None);
        }
        Ok(Some((stored, user)))
    }

    /// Deletes a record that is no longer valid; already gone is fine.
    pub(crate) async fn discard(&self, key: &str) -> ActionResult<()> {
        match self.storage.delete(key).await {
            Ok(()) | Err(StorageError::NotFound) => Ok(()),
            Err(error) => Err(storage_failure(error)),
        }
    }

    /// Deletes a record where a failure must not change the answer (the action has
    /// succeeded, or is failing for another reason): a failure is only logged.
    pub(crate) async fn discard_logged(&self, key: &str) {
        if let Err(ActionError::Internal(cause)) = self.discard(key).await {
            tracing::warn!(error = %cause, "could not delete a finished record");
        }
    }

    /// Deletes a record at the client's request: gone already is `invalid_token`.
    pub(crate) async fn delete_record(
        &self,
        key: &str,
        invalid_token: ErrorCode,
    ) -> ActionResult<()> {
        match self.storage.delete(key).await {
            Ok(()) => Ok(()),
            Err(StorageError::NotFound) => Err(invalid_token.into()),
            Err(error) => Err(storage_failure(error)),
        }
    }

    /// Stores a new record.
    pub(crate) async fn insert<R: TokenRecord>(
        &self,
        key: &str,
        record: &R,
        expires_at: Timestamp,
    ) -> ActionResult<()> {
        let value = encode(record).map_err(internal)?;
        self.storage
            .add(key, &value, expires_at)
            .await
            .map_err(storage_failure)
    }

    /// Re-reads a flow record and rewrites it with `change` applied, guarded by its
    /// counter. `change` answers false when its flag is already set. A record that
    /// vanished, a flag set meanwhile, or a lost update is `internal_conflict`.
    pub(crate) async fn rewrite<R: FlowRecord>(
        &self,
        key: &str,
        change: impl FnOnce(&mut R) -> bool,
    ) -> ActionResult<()> {
        let entry = match self.storage.get(key).await {
            Ok(entry) => entry,
            Err(StorageError::NotFound) => return Err(ErrorCode::InternalConflict.into()),
            Err(error) => return Err(storage_failure(error)),
        };
        let mut record: R = decode(&entry.value).map_err(internal)?;
        ensure(change(&mut record), ErrorCode::InternalConflict)?;
        let value = encode(&record).map_err(internal)?;
        match self
            .storage
            .update(key, &value, record.expires_at(), entry.counter)
            .await
        {
            Ok(()) => Ok(()),
            Err(StorageError::NotFound) => Err(ErrorCode::InternalConflict.into()),
            Err(error) => Err(storage_failure(error)),
        }
    }

    /// Applies the new-password rules (length, then strength) and hashes it.
    pub(crate) async fn hash_new_password(&self, password: &str) -> ActionResult<PasswordHash> {
        ensure(
            super::passwords::has_valid_length(password),
            ErrorCode::InvalidPasswordLength,
        )?;
        let weak = self
            .password_strength
            .is_weak(password)
            .await
            .map_err(internal)?;
        ensure(!weak, ErrorCode::WeakPassword)?;
        self.hasher
            .hash_user_password(password)
            .await
            .map_err(internal)
    }

    /// Checks a user's password: `incorrect_password` on mismatch.
    pub(crate) async fn verify_user_password(
        &self,
        user: &User,
        password: &str,
    ) -> ActionResult<()> {
        let matches = self
            .hasher
            .verify_user_password(&user.password_hash, password)
            .await
            .map_err(internal)?;
        ensure(matches, ErrorCode::IncorrectPassword)
    }

    /// Sends an e-mail carrying a code or temporary password; failing to is
    /// `internal_error`. When the action has just created the record the code belongs
    /// to (`created_record`), that record is removed again so no half-made flow stays.
    pub(crate) async fn send_code_email(
        &self,
        email: &Email,
        created_record: Option<&str>,
    ) -> ActionResult<()> {
        let Err(error) = self.emails.send(email).await else {
            return Ok(());
        };
        if let Some(key) = created_record {
            self.discard_logged(key).await;
        }
        Err(internal(error))
    }

    /// Sends a notification; a failure is logged, the action still succeeds.
    pub(crate) async fn send_notification(&self, email: &Email) {
        if let Err(error) = self.emails.send(email).await {
            tracing::warn!(kind = email.kind(), error = %error, "could not send a notification e-mail");
        }
    }
}
