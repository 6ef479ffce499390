//! E-mail address update: a signed-in user verifies a new address with a code sent
//! there, proves their identity with their password, and the address changes.

use super::session::UserCheck::CacheAllowed;
use super::{ensure, ensure_counter_can_move, CodeStep, FlagStep, NewCredential};
use crate::faroe::credentials::generate_verification_code;
use crate::faroe::email::Email;
use crate::faroe::email_address::is_valid_email_address;
use crate::faroe::error::{ActionResult, ErrorCode, Found};
use crate::faroe::models::{Created, NoValues};
use crate::faroe::records::{TokenRecord, UserEmailAddressUpdateRecord, VerificationCode};
use crate::faroe::user::{User, UserStoreError};
use crate::faroe::Faroe;

type Update = UserEmailAddressUpdateRecord;

/// The verification e-mail of `update`, carrying its code.
fn verification_email(update: &UserEmailAddressUpdateRecord, user: &User, code: String) -> Email {
    Email::EmailUpdateVerification {
        email_address: update.new_email_address.clone(),
        display_name: user.display_name.clone(),
        code,
    }
}

impl Faroe {
    pub async fn create_user_email_address_update(
        &self,
        session_token: &str,
        new_email_address: &str,
    ) -> ActionResult<Created<UserEmailAddressUpdateRecord>> {
        // The address is checked before the session, as the contract orders it.
        ensure(
            is_valid_email_address(new_email_address),
            ErrorCode::InvalidEmailAddress,
        )?;
        let (session, user) = self.validate_session_and_user(session_token).await?;
        ensure_counter_can_move(user.email_address_counter)?;
        // The user's own current address counts as used too.
        let existing = self
            .users
            .get_user_by_email_address(new_email_address)
            .await
            .found()?;
        ensure(existing.is_none(), ErrorCode::EmailAddressAlreadyUsed)?;
        self.spend_code_email_tokens(new_email_address).await?;

        let credential = NewCredential::generate();
        let code = generate_verification_code();
        let record = UserEmailAddressUpdateRecord {
            id: credential.id,
            user_id: session.record.user_id.clone(),
            session_id: session.record.id.clone(),
            secret_hash: credential.secret_hash,
            new_email_address: new_email_address.to_owned(),
            email_address_verification_code: VerificationCode::seal(&code, &credential.secret),
            new_email_address_verified: false,
            user_identity_verified: false,
            user_password_hash_counter: user.password_hash_counter,
            user_email_address_counter: user.email_address_counter,
            user_disabled_counter: user.disabled_counter,
            created_at: self.now().unix_seconds(),
        };
        let created = self.store_new(&record, credential.token).await?;
        let email = verification_email(&record, &user, code);
        self.send_code_email(&email, Some(&record.key())).await?;
        Ok(created)
    }

    /// Sends the update's code again (the same code: one code per update).
    pub async fn send_user_email_address_update_email_address_verification_code(
        &self,
        session_token: &str,
        user_email_address_update_token: &str,
    ) -> ActionResult<NoValues> {
        let token = user_email_address_update_token;
        let (stored, user) = self
            .session_flow::<Update>((session_token, token), CacheAllowed)
            .await?;
        self.resend_code(stored, token, ADDRESS, |update, code| {
            verification_email(update, &user, code)
        })
        .await
    }

    pub async fn verify_user_email_address_update_email_address_verification_code(
        &self,
        session_token: &str,
        user_email_address_update_token: &str,
        email_address_verification_code: &str,
    ) -> ActionResult<NoValues> {
        let token = user_email_address_update_token;
        let (stored, _) = self
            .session_flow::<Update>((session_token, token), CacheAllowed)
            .await?;
        let code = email_address_verification_code;
        self.verify_code(stored, token, code, ADDRESS).await
    }

    /// The password is asked only once the new address is verified.
    pub async fn verify_user_email_address_update_user_password(
        &self,
        session_token: &str,
        user_email_address_update_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let tokens = (session_token, user_email_address_update_token);
        let (mut stored, user) = self.session_flow::<Update>(tokens, CacheAllowed).await?;
        ADDRESS.verified.ensure_done(&mut stored.record)?;
        self.verify_password_step(stored, &user, password, IDENTITY)
            .await
    }

    /// Changes the address; the old address is told. Sessions stay valid.
    pub async fn complete_user_email_address_update(
        &self,
        session_token: &str,
        user_email_address_update_token: &str,
    ) -> ActionResult<NoValues> {
        let tokens = (session_token, user_email_address_update_token);
        let (mut stored, user) = self.session_flow::<Update>(tokens, CacheAllowed).await?;
        ADDRESS.verified.ensure_done(&mut stored.record)?;
        IDENTITY.ensure_done(&mut stored.record)?;
        let update = &stored.record;
        self.complete_once(&stored, async {
            let updated = self
                .users
                .update_user_email_address(
                    &update.user_id,
                    &update.new_email_address,
                    user.email_address_counter,
                )
                .await;
            if let Err(UserStoreError::EmailAddressAlreadyUsed) = updated {
                // Someone took the address meanwhile: this update can never finish,
                // so it stays removed.
                return Err(ErrorCode::InvalidUserEmailAddressUpdateToken.into());
            }
            updated.found()?.ok_or(ErrorCode::InternalConflict)?;
            Ok(())
        })
        .await?;
        let updated_at = self.now();
        self.send_notification(&Email::EmailUpdated {
            email_address: user.email_address,
            display_name: user.display_name,
            new_email_address: update.new_email_address.clone(),
            updated_at,
        })
        .await;
        Ok(NoValues {})
    }
}

/// The new address, verified with a code sent there.
const ADDRESS: CodeStep<Update> = CodeStep {
    sent_to: |update| {
        let code = &update.email_address_verification_code;
        (&update.new_email_address, code)
    },
    verified: FlagStep::email_address(|update| &mut update.new_email_address_verified),
};

/// The password proves the identity.
const IDENTITY: FlagStep<Update> = FlagStep::identity(|update| &mut update.user_identity_verified);
