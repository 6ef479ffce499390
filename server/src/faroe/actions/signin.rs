//! Signin: prove the password of an existing user, then get a session.

use super::{FlagStep, NewCredential};
use crate::faroe::error::ActionResult;
use crate::faroe::models::{Created, NoValues};
use crate::faroe::records::{SessionRecord, SigninRecord, UserCounters};
use crate::faroe::Faroe;

impl Faroe {
    pub async fn create_signin(
        &self,
        user_email_address: &str,
    ) -> ActionResult<Created<SigninRecord>> {
        let user = self
            .enabled_user_by_address("create_signin", user_email_address)
            .await?;
        let user_counters = UserCounters::of(&user);
        let credential = NewCredential::generate();
        let record = SigninRecord {
            id: credential.id,
            user_id: user.id,
            secret_hash: credential.secret_hash,
            user_first_factor_verified: false,
            user_counters,
            created_at: self.now().unix_seconds(),
        };
        self.store_new(&record, credential.token).await
    }

    pub async fn verify_signin_user_password(
        &self,
        signin_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let (stored, user) = self.valid_user_flow::<SigninRecord>(signin_token).await?;
        self.verify_password_step(stored, &user, password, FIRST_FACTOR)
            .await
    }

    pub async fn complete_signin(
        &self,
        signin_token: &str,
    ) -> ActionResult<Created<SessionRecord>> {
        let (mut stored, user) = self.valid_user_flow::<SigninRecord>(signin_token).await?;
        FIRST_FACTOR.ensure_done(&mut stored.record)?;
        let created = self
            .complete_once(&stored, self.create_session(&user))
            .await?;
        self.notify_signed_in(user, &created).await;
        Ok(created)
    }
}

/// The password is the first factor.
const FIRST_FACTOR: FlagStep<SigninRecord> =
    FlagStep::first_factor(|signin| &mut signin.user_first_factor_verified);
