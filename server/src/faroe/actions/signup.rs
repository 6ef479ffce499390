//! Signup: verify an address, choose a password, become a user with a session.

use super::{ensure, CodeStep, FlagStep, NewCredential, NewPasswordStep};
use crate::faroe::credentials::generate_verification_code;
use crate::faroe::email::Email;
use crate::faroe::email_address::is_valid_email_address;
use crate::faroe::error::{ActionResult, ErrorCode, Found};
use crate::faroe::models::{Created, NoValues};
use crate::faroe::records::{SessionRecord, SignupRecord, TokenRecord, VerificationCode};
use crate::faroe::user::UserStoreError;
use crate::faroe::Faroe;

impl Faroe {
    pub async fn create_signup(&self, email_address: &str) -> ActionResult<Created<SignupRecord>> {
        ensure(
            is_valid_email_address(email_address),
            ErrorCode::InvalidEmailAddress,
        )?;
        self.take_creation("create_signup").await?;
        let existing = self
            .users
            .get_user_by_email_address(email_address)
            .await
            .found()?;
        ensure(existing.is_none(), ErrorCode::EmailAddressAlreadyUsed)?;
        self.spend_code_email_tokens(email_address).await?;

        let now = self.now();
        let credential = NewCredential::generate();
        let code = generate_verification_code();
        let record = SignupRecord {
            id: credential.id,
            secret_hash: credential.secret_hash,
            email_address: email_address.to_owned(),
            email_address_verification_code: VerificationCode::seal(&code, &credential.secret),
            email_address_verified: false,
            password: None,
            created_at: now.unix_seconds(),
        };
        let created = self.store_new(&record, credential.token).await?;
        let email = Email::SignupVerification {
            email_address: record.email_address.clone(),
            code,
        };
        self.send_code_email(&email, Some(&record.key())).await?;
        Ok(created)
    }

    /// Sends the signup's code again (the same code: one code per signup).
    pub async fn send_signup_email_address_verification_code(
        &self,
        signup_token: &str,
    ) -> ActionResult<NoValues> {
        let stored = self.valid_flow::<SignupRecord>(signup_token).await?;
        self.resend_code(stored, signup_token, ADDRESS, |signup, code| {
            Email::SignupVerification {
                email_address: signup.email_address.clone(),
                code,
            }
        })
        .await
    }

    pub async fn verify_signup_email_address_verification_code(
        &self,
        signup_token: &str,
        email_address_verification_code: &str,
    ) -> ActionResult<NoValues> {
        let stored = self.valid_flow::<SignupRecord>(signup_token).await?;
        let code = email_address_verification_code;
        self.verify_code(stored, signup_token, code, ADDRESS).await
    }

    pub async fn set_signup_password(
        &self,
        signup_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let mut stored = self.valid_flow::<SignupRecord>(signup_token).await?;
        ADDRESS.verified.ensure_done(&mut stored.record)?;
        self.set_new_password(stored, password, NEW_PASSWORD).await
    }

    pub async fn complete_signup(
        &self,
        signup_token: &str,
    ) -> ActionResult<Created<SessionRecord>> {
        let mut stored = self.valid_flow::<SignupRecord>(signup_token).await?;
        ADDRESS.verified.ensure_done(&mut stored.record)?;
        let password = NEW_PASSWORD.ensure_set(&mut stored.record)?;
        let signup = &stored.record;
        let user = self
            .complete_once(&stored, async {
                let created = self
                    .users
                    .create_user(&signup.email_address, &password)
                    .await;
                if let Err(UserStoreError::EmailAddressAlreadyUsed) = created {
                    // Someone else took the address meanwhile: this signup can never
                    // finish, so it stays removed.
                    return Err(ErrorCode::InvalidSignupToken.into());
                }
                Ok(created.found()?.ok_or(ErrorCode::InternalConflict)?)
            })
            .await?;
        // The user exists now whatever happens next; the client can sign in.
        self.create_session(&user)
            .await
            .map_err(|error| super::session::not_created(error, ErrorCode::SessionNotCreated))
    }
}

/// The address the flow verifies.
const ADDRESS: CodeStep<SignupRecord> = CodeStep {
    sent_to: |signup| {
        (
            &signup.email_address,
            &signup.email_address_verification_code,
        )
    },
    verified: FlagStep::email_address(|signup| &mut signup.email_address_verified),
};

/// The password the flow sets.
const NEW_PASSWORD: NewPasswordStep<SignupRecord> = NewPasswordStep {
    slot: |signup| &mut signup.password,
    already_set: ErrorCode::PasswordAlreadySet,
    not_set: ErrorCode::PasswordNotSet,
};
