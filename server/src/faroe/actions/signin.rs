//! Signin: prove the password of an existing user, then get a session.

use serde::Serialize;

use super::{ensure, key_of, NewCredential, Stored};
use crate::faroe::email::Email;
use crate::faroe::email_address::is_valid_email_address;
use crate::faroe::error::{internal, ActionResult, ErrorCode};
use crate::faroe::models::{NoValues, Signin};
use crate::faroe::records::{FlowRecord, SigninRecord};
use crate::faroe::user::{User, UserStoreError};
use crate::faroe::Faroe;

use super::session::SessionCreated;

#[derive(Debug, Serialize)]
pub struct SigninCreated {
    pub signin: Signin,
    pub signin_token: String,
}

#[derive(Debug, Serialize)]
pub struct SigninValues {
    pub signin: Signin,
}

impl Faroe {
    async fn valid_signin(&self, signin_token: &str) -> ActionResult<(Stored<SigninRecord>, User)> {
        self.validate_user_flow::<SigninRecord>(signin_token)
            .await?
            .ok_or_else(|| ErrorCode::InvalidSigninToken.into())
    }

    pub async fn create_signin(&self, user_email_address: &str) -> ActionResult<SigninCreated> {
        ensure(
            is_valid_email_address(user_email_address),
            ErrorCode::InvalidEmailAddress,
        )?;
        let user = match self
            .users
            .get_user_by_email_address(user_email_address)
            .await
        {
            Ok(user) => user,
            Err(UserStoreError::UserNotFound) => return Err(ErrorCode::UserNotFound.into()),
            Err(error) => return Err(internal(error)),
        };
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
        Ok(SigninCreated {
            signin: Signin::from(&record),
            signin_token: credential.token,
        })
    }

    pub async fn get_signin(&self, signin_token: &str) -> ActionResult<SigninValues> {
        let (stored, _) = self.valid_signin(signin_token).await?;
        Ok(SigninValues {
            signin: Signin::from(&stored.record),
        })
    }

    pub async fn delete_signin(&self, signin_token: &str) -> ActionResult<NoValues> {
        let (stored, _) = self.valid_signin(signin_token).await?;
        self.delete_record(&stored.key, ErrorCode::InvalidSigninToken)
            .await?;
        Ok(NoValues {})
    }

    pub async fn verify_signin_user_password(
        &self,
        signin_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let (stored, user) = self.valid_signin(signin_token).await?;
        self.verify_password_step::<SigninRecord>(
            &stored,
            &user,
            password,
            stored.record.user_first_factor_verified,
            ErrorCode::UserFirstFactorAlreadyVerified,
            |signin| &mut signin.user_first_factor_verified,
        )
        .await?;
        Ok(NoValues {})
    }

    pub async fn complete_signin(&self, signin_token: &str) -> ActionResult<SessionCreated> {
        let (stored, user) = self.valid_signin(signin_token).await?;
        ensure(
            stored.record.user_first_factor_verified,
            ErrorCode::UserFirstFactorNotVerified,
        )?;
        let created = self.create_session(&user).await?;
        self.discard_logged(&stored.key).await;
        self.send_notification(&Email::SigninNotification {
            email_address: user.email_address,
            display_name: user.display_name,
            signed_in_at: crate::faroe::clock::Timestamp::from_unix_seconds(
                created.session.created_at,
            ),
        })
        .await;
        Ok(created)
    }
}
