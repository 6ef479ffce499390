//! Password reset: a temporary password is e-mailed to the user; with it they
//! choose a new password and get a session.

use super::session::not_created;
use super::{ensure, ensure_counter_can_move, FlagStep, NewCredential, NewPasswordStep, Removal};
use crate::faroe::credentials::generate_temporary_password;
use crate::faroe::email::Email;
use crate::faroe::error::{ActionResult, ErrorCode};
use crate::faroe::models::{Created, NoValues};
use crate::faroe::passwords::HashError;
use crate::faroe::rate_limit::{self, Bucket};
use crate::faroe::records::{SessionRecord, TokenRecord, UserPasswordResetRecord};
use crate::faroe::Faroe;

impl Faroe {
    pub async fn create_user_password_reset(
        &self,
        user_email_address: &str,
    ) -> ActionResult<Created<UserPasswordResetRecord>> {
        let user = self
            .enabled_user_by_address("create_user_password_reset", user_email_address)
            .await?;
        ensure_counter_can_move(user.password_hash_counter)?;
        let now = self.now();
        self.check_attempt(Bucket::TemporaryPassword, &user.id)
            .await?;
        rate_limit::take(
            self.storage.as_ref(),
            Bucket::Email,
            user_email_address,
            now,
        )
        .await?;

        let temporary_password = generate_temporary_password();
        let temporary_password_hash = self
            .hasher
            .hash_temporary_password(&temporary_password)
            .await?;
        let credential = NewCredential::generate();
        let record = UserPasswordResetRecord {
            id: credential.id,
            user_id: user.id,
            secret_hash: credential.secret_hash,
            temporary_password: temporary_password_hash,
            user_first_factor_verified: false,
            new_password: None,
            user_password_hash_counter: user.password_hash_counter,
            user_email_address_counter: user.email_address_counter,
            user_disabled_counter: user.disabled_counter,
            created_at: now.unix_seconds(),
        };
        let created = self.store_new(&record, credential.token).await?;
        let email = Email::PasswordReset {
            email_address: user.email_address,
            display_name: user.display_name,
            temporary_password,
        };
        self.send_code_email(&email, Some(&record.key())).await?;
        Ok(created)
    }

    pub async fn verify_user_password_reset_temporary_password(
        &self,
        user_password_reset_token: &str,
        temporary_password: &str,
    ) -> ActionResult<NoValues> {
        let (mut stored, _) = self
            .valid_user_flow::<UserPasswordResetRecord>(user_password_reset_token)
            .await?;
        FIRST_FACTOR.ensure_not_done(&mut stored.record)?;
        let reset = &stored.record;
        self.take_attempt(Bucket::TemporaryPassword, &reset.user_id)
            .await?;
        let matches = match self
            .hasher
            .verify_temporary_password(&reset.temporary_password, temporary_password)
            .await
        {
            Ok(matches) => matches,
            // Hashed under parameters no longer configured: it can never be checked.
            Err(HashError::UnknownAlgorithm(_)) => {
                self.remove(&stored.key, Removal::Finished).await?;
                return Err(ErrorCode::InvalidUserPasswordResetToken.into());
            }
            Err(error) => return Err(error.into()),
        };
        ensure(matches, ErrorCode::IncorrectTemporaryPassword)?;
        self.rewrite::<UserPasswordResetRecord>(&stored.key, |reset| FIRST_FACTOR.set(reset))
            .await?;
        Ok(NoValues {})
    }

    pub async fn set_user_password_reset_new_password(
        &self,
        user_password_reset_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let (mut stored, _) = self
            .valid_user_flow::<UserPasswordResetRecord>(user_password_reset_token)
            .await?;
        FIRST_FACTOR.ensure_done(&mut stored.record)?;
        self.set_new_password(stored, password, NEW_PASSWORD).await
    }

    /// Changes the password (guarded by the counter snapshot taken when the reset
    /// was made) and signs the user in.
    pub async fn complete_user_password_reset(
        &self,
        user_password_reset_token: &str,
    ) -> ActionResult<Created<SessionRecord>> {
        let (mut stored, user) = self
            .valid_user_flow::<UserPasswordResetRecord>(user_password_reset_token)
            .await?;
        FIRST_FACTOR.ensure_done(&mut stored.record)?;
        let new_password = NEW_PASSWORD.ensure_set(&mut stored.record)?;
        // Whoever held a session before the reset (the intruder it is meant to evict)
        // is signed out first: should the password change then fail, nobody is left
        // signed in on the old credentials. Only the reset's new session is valid.
        let user = self
            .complete_once(&stored, async {
                let user = self.revoke_sessions(&user).await?;
                self.change_user_password(
                    &user,
                    &new_password,
                    stored.record.user_password_hash_counter,
                )
                .await?;
                Ok(user)
            })
            .await?;
        let created = self
            .create_session(&user)
            .await
            .map_err(|error| not_created(error, ErrorCode::SessionNotCreated))?;
        self.notify_signed_in(user, &created).await;
        Ok(created)
    }
}

/// The temporary password is the first factor.
const FIRST_FACTOR: FlagStep<UserPasswordResetRecord> =
    FlagStep::first_factor(|reset| &mut reset.user_first_factor_verified);

/// The password the flow sets.
const NEW_PASSWORD: NewPasswordStep<UserPasswordResetRecord> = NewPasswordStep {
    slot: |reset| &mut reset.new_password,
    already_set: ErrorCode::NewPasswordAlreadySet,
    not_set: ErrorCode::NewPasswordNotSet,
};
