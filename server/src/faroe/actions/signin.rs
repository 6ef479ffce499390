//! Signin: prove the password of an existing user, then get a session.

use super::{ensure, key_of, NewCredential};
use crate::faroe::clock::Timestamp;
use crate::faroe::email::Email;
use crate::faroe::email_address::is_valid_email_address;
use crate::faroe::error::{ActionResult, ErrorCode, Found};
use crate::faroe::models::{Created, NoValues, Values};
use crate::faroe::records::{FlowRecord, SessionRecord, SigninRecord};
use crate::faroe::Faroe;

impl Faroe {
    pub async fn create_signin(
        &self,
        user_email_address: &str,
    ) -> ActionResult<Created<SigninRecord>> {
        ensure(
            is_valid_email_address(user_email_address),
            ErrorCode::InvalidEmailAddress,
        )?;
        self.take_creation("create_signin").await?;
        let user = self
            .users
            .get_user_by_email_address(user_email_address)
            .await
            .found()?
            .ok_or(ErrorCode::UserNotFound)?;
        ensure(!user.disabled, ErrorCode::UserDisabled)?;
        let credential = NewCredential::generate();
        let record = SigninRecord {
            id: credential.id,
            user_id: user.id,
            secret_hash: credential.secret_hash,
            user_first_factor_verified: false,
            user_password_hash_counter: user.password_hash_counter,
            user_disabled_counter: user.disabled_counter,
            created_at: self.now().unix_seconds(),
        };
        let key = key_of::<SigninRecord>(&record.id);
        self.insert(&key, &record, record.expires_at()).await?;
        Ok(Created {
            model: record.model(),
            token: credential.token,
        })
    }

    pub async fn get_signin(&self, signin_token: &str) -> ActionResult<Values<SigninRecord>> {
        let (stored, _) = self.valid_user_flow::<SigninRecord>(signin_token).await?;
        Ok(Values::of(&stored.record))
    }

    pub async fn delete_signin(&self, signin_token: &str) -> ActionResult<NoValues> {
        let (stored, _) = self.valid_user_flow::<SigninRecord>(signin_token).await?;
        self.delete_flow(stored).await
    }

    pub async fn verify_signin_user_password(
        &self,
        signin_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let (stored, user) = self.valid_user_flow::<SigninRecord>(signin_token).await?;
        self.verify_password_step(
            stored,
            &user,
            password,
            ErrorCode::UserFirstFactorAlreadyVerified,
            |signin| &mut signin.user_first_factor_verified,
        )
        .await
    }

    pub async fn complete_signin(
        &self,
        signin_token: &str,
    ) -> ActionResult<Created<SessionRecord>> {
        let (stored, user) = self.valid_user_flow::<SigninRecord>(signin_token).await?;
        ensure(
            stored.record.user_first_factor_verified,
            ErrorCode::UserFirstFactorNotVerified,
        )?;
        let created = self
            .complete_once(&stored, self.create_session(&user))
            .await?;
        self.send_notification(&Email::SigninNotification {
            email_address: user.email_address,
            display_name: user.display_name,
            signed_in_at: Timestamp::from_unix_seconds(created.model.created_at),
        })
        .await;
        Ok(created)
    }
}
