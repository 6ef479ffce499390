//! Account deletion: a signed-in user proves their identity with their password,
//! and the user is deleted.

use serde::Serialize;

use super::{ensure, key_of, NewCredential, Stored, UserCheck};
use crate::faroe::error::{internal, ActionResult, ErrorCode};
use crate::faroe::models::{NoValues, UserDeletion};
use crate::faroe::records::{FlowRecord, UserDeletionRecord};
use crate::faroe::user::{User, UserStoreError};
use crate::faroe::Faroe;

#[derive(Debug, Serialize)]
pub struct UserDeletionCreated {
    pub user_deletion: UserDeletion,
    pub user_deletion_token: String,
}

#[derive(Debug, Serialize)]
pub struct UserDeletionValues {
    pub user_deletion: UserDeletion,
}

impl Faroe {
    async fn valid_user_deletion(
        &self,
        session_token: &str,
        deletion_token: &str,
        session_user: UserCheck,
    ) -> ActionResult<(Stored<UserDeletionRecord>, User)> {
        self.validate_session_flow(
            session_token,
            deletion_token,
            ErrorCode::InvalidUserDeletionToken,
            session_user,
        )
        .await
    }

    pub async fn create_user_deletion(
        &self,
        session_token: &str,
    ) -> ActionResult<UserDeletionCreated> {
        let (session, user) = self.validate_session_and_user(session_token).await?;
        let credential = NewCredential::generate();
        let record = UserDeletionRecord {
            id: credential.id,
            user_id: session.record.user_id,
            session_id: session.record.id,
            secret_hash: credential.secret_hash,
            user_identity_verified: false,
            user_password_hash_counter: user.password_hash_counter,
            user_disabled_counter: user.disabled_counter,
            created_at: self.now().unix_seconds(),
        };
        let key = key_of::<UserDeletionRecord>(&record.id);
        self.insert(&key, &record, record.expires_at()).await?;
        Ok(UserDeletionCreated {
            user_deletion: UserDeletion::from(&record),
            user_deletion_token: credential.token,
        })
    }

    pub async fn get_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<UserDeletionValues> {
        let (stored, _) = self
            .valid_user_deletion(session_token, user_deletion_token, UserCheck::CacheAllowed)
            .await?;
        Ok(UserDeletionValues {
            user_deletion: UserDeletion::from(&stored.record),
        })
    }

    pub async fn delete_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<NoValues> {
        let (stored, _) = self
            .valid_user_deletion(session_token, user_deletion_token, UserCheck::CacheAllowed)
            .await?;
        self.delete_record(&stored.key, ErrorCode::InvalidUserDeletionToken)
            .await?;
        Ok(NoValues {})
    }

    pub async fn verify_user_deletion_user_password(
        &self,
        session_token: &str,
        user_deletion_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let (stored, user) = self
            .valid_user_deletion(session_token, user_deletion_token, UserCheck::Always)
            .await?;
        self.verify_password_step::<UserDeletionRecord>(
            &stored,
            &user,
            password,
            stored.record.user_identity_verified,
            ErrorCode::UserIdentityAlreadyVerified,
            |deletion| &mut deletion.user_identity_verified,
        )
        .await?;
        Ok(NoValues {})
    }

    /// Deletes the user. Their sessions stay stored and each fails its next use.
    pub async fn complete_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<NoValues> {
        let (stored, _) = self
            .valid_user_deletion(session_token, user_deletion_token, UserCheck::CacheAllowed)
            .await?;
        ensure(
            stored.record.user_identity_verified,
            ErrorCode::UserIdentityNotVerified,
        )?;
        match self.users.delete_user(&stored.record.user_id).await {
            Ok(()) => {}
            Err(UserStoreError::UserNotFound) => return Err(ErrorCode::InternalConflict.into()),
            Err(error) => return Err(internal(error)),
        }
        self.discard_logged(&stored.key).await;
        Ok(NoValues {})
    }
}
