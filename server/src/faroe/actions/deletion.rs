//! Account deletion: a signed-in user proves their identity with their password,
//! and the user is deleted.

use super::{ensure, key_of, NewCredential, UserCheck};
use crate::faroe::error::{ActionResult, ErrorCode, Found};
use crate::faroe::models::{Created, NoValues, Values};
use crate::faroe::records::{FlowRecord, UserDeletionRecord};
use crate::faroe::Faroe;

impl Faroe {
    pub async fn create_user_deletion(
        &self,
        session_token: &str,
    ) -> ActionResult<Created<UserDeletionRecord>> {
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
        Ok(Created {
            model: record.model(),
            token: credential.token,
        })
    }

    pub async fn get_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<Values<UserDeletionRecord>> {
        let (stored, _) = self
            .valid_session_flow::<UserDeletionRecord>(
                session_token,
                user_deletion_token,
                UserCheck::CacheAllowed,
            )
            .await?;
        Ok(Values::of(&stored.record))
    }

    pub async fn delete_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<NoValues> {
        let (stored, _) = self
            .valid_session_flow::<UserDeletionRecord>(
                session_token,
                user_deletion_token,
                UserCheck::CacheAllowed,
            )
            .await?;
        self.delete_flow(stored).await
    }

    pub async fn verify_user_deletion_user_password(
        &self,
        session_token: &str,
        user_deletion_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let (stored, user) = self
            .valid_session_flow::<UserDeletionRecord>(
                session_token,
                user_deletion_token,
                UserCheck::Always,
            )
            .await?;
        self.verify_password_step(
            stored,
            &user,
            password,
            ErrorCode::UserIdentityAlreadyVerified,
            |deletion| &mut deletion.user_identity_verified,
        )
        .await
    }

    /// Deletes the user. Their sessions stay stored and each fails its next use.
    pub async fn complete_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<NoValues> {
        let (stored, _) = self
            .valid_session_flow::<UserDeletionRecord>(
                session_token,
                user_deletion_token,
                UserCheck::CacheAllowed,
            )
            .await?;
        ensure(
            stored.record.user_identity_verified,
            ErrorCode::UserIdentityNotVerified,
        )?;
        self.complete_once(&stored, async {
            self.users
                .delete_user(&stored.record.user_id)
                .await
                .found()?
                .ok_or(ErrorCode::InternalConflict)?;
            Ok(NoValues {})
        })
        .await
    }
}
