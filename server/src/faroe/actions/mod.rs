//! The 39 actions, one file per flow, and the steps they share: validating a token,
//! rewriting a record under its counter, hashing a new password, sending e-mails.

pub mod deletion;
pub mod email_update;
pub mod password_reset;
pub mod password_update;
pub mod session;
pub mod signin;
pub mod signup;

use super::clock::Timestamp;
use super::credentials::{self, constant_time_eq, format_token, parse_token, SecretHash};
use super::email::Email;
use super::error::{internal, ActionError, ActionResult, ErrorCode};
use super::rate_limit::{self, Bucket};
use super::records::{decode, encode, FlowRecord, SessionBoundRecord, TokenRecord, UserFlowRecord};
use super::user::{PasswordHash, User, UserStoreError};
use super::Faroe;
use crate::storage::StorageError;

pub(crate) use session::UserCheck;

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

/// For `rewrite`: sets a flag, answering false when it was set already.
pub(crate) fn set_flag(flag: &mut bool) -> bool {
    !std::mem::replace(flag, true)
}

/// For `rewrite`: fills an empty password slot, answering false when it was filled.
pub(crate) fn set_password(slot: &mut Option<PasswordHash>, password: PasswordHash) -> bool {
    slot.is_none() && slot.replace(password).is_none()
}

/// A counter the user server will increment; at its maximum it cannot move again.
pub(crate) fn ensure_counter_can_move(counter: i32) -> ActionResult<()> {
    if counter == i32::MAX {
        return Err(internal("user counter at its maximum"));
    }
    Ok(())
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

    /// Validates the session, then a flow bound to it: the flow's token (`None` is
    /// `invalid_token`), then that the flow was started from this very session
    /// (`session_mismatch`). `session_user` says whether the session's user must be
    /// checked even while the user cache is fresh. Returns the flow and its user.
    pub(crate) async fn validate_session_flow<R: SessionBoundRecord>(
        &self,
        session_token: &str,
        flow_token: &str,
        invalid_token: ErrorCode,
        session_user: UserCheck,
    ) -> ActionResult<(Stored<R>, User)> {
        let (session, _) = self.check_session(session_token, session_user).await?;
        let (stored, user) = self
            .validate_user_flow::<R>(flow_token)
            .await?
            .ok_or(invalid_token)?;
        ensure(
            stored.record.session_id() == session.record.id,
            ErrorCode::SessionMismatch,
        )?;
        Ok((stored, user))
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
            Err(StorageError::NotFound | StorageError::Conflict) => {
                Err(ErrorCode::InternalConflict.into())
            }
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

    /// A password step of a flow: `already_verified` answers `already_verified_code`;
    /// otherwise one password-attempt token of the user is spent, the password is
    /// checked, and `flag` of the record is set.
    pub(crate) async fn verify_password_step<R: FlowRecord>(
        &self,
        stored: &Stored<R>,
        user: &User,
        password: &str,
        already_verified: bool,
        already_verified_code: ErrorCode,
        flag: fn(&mut R) -> &mut bool,
    ) -> ActionResult<()> {
        ensure(!already_verified, already_verified_code)?;
        rate_limit::take(
            self.storage.as_ref(),
            Bucket::UserPassword,
            &user.id,
            self.now(),
        )
        .await?;
        self.verify_user_password(user, password).await?;
        self.rewrite::<R>(&stored.key, |record| set_flag(flag(record)))
            .await
    }

    /// Applies the new-password rules, hashes the password and stores it in `slot`
    /// of the record (`internal_conflict` when another call filled it meanwhile).
    pub(crate) async fn set_new_password<R: FlowRecord>(
        &self,
        key: &str,
        password: &str,
        slot: fn(&mut R) -> &mut Option<PasswordHash>,
    ) -> ActionResult<()> {
        let password_hash = self.hash_new_password(password).await?;
        self.rewrite::<R>(key, |record| set_password(slot(record), password_hash))
            .await
    }

    /// Before a code e-mail to `email_address`: the address must still have code
    /// attempts left, and one e-mail token is spent.
    pub(crate) async fn spend_code_email_tokens(&self, email_address: &str) -> ActionResult<()> {
        let now = self.now();
        let storage = self.storage.as_ref();
        rate_limit::check(storage, Bucket::VerificationCode, email_address, now).await?;
        rate_limit::take(storage, Bucket::Email, email_address, now).await
    }

    /// Checks a verification code sent to `email_address`. Every attempt costs a
    /// code token, the right one included.
    pub(crate) async fn check_verification_code(
        &self,
        email_address: &str,
        given: &str,
        expected: &str,
    ) -> ActionResult<()> {
        rate_limit::take(
            self.storage.as_ref(),
            Bucket::VerificationCode,
            email_address,
            self.now(),
        )
        .await?;
        ensure(
            constant_time_eq(given, expected),
            ErrorCode::IncorrectEmailAddressVerificationCode,
        )
    }

    /// Replaces the user's password hash (guarded by `password_hash_counter`), then
    /// removes the finished flow and tells the user. A lost race on the counter, or
    /// the user gone, is `internal_conflict`.
    pub(crate) async fn change_user_password(
        &self,
        flow_key: &str,
        user: &User,
        new_password: &PasswordHash,
        password_hash_counter: i32,
    ) -> ActionResult<()> {
        match self
            .users
            .update_user_password_hash(&user.id, new_password, password_hash_counter)
            .await
        {
            Ok(()) => {}
            Err(UserStoreError::UserNotFound) => return Err(ErrorCode::InternalConflict.into()),
            Err(error) => return Err(user_store_failure(error)),
        }
        let updated_at = self.now();
        self.discard_logged(flow_key).await;
        self.send_notification(&Email::PasswordUpdated {
            email_address: user.email_address.clone(),
            display_name: user.display_name.clone(),
            updated_at,
        })
        .await;
        Ok(())
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
