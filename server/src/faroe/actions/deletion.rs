//! Account deletion: a signed-in user proves their identity with their password,
//! and the user is deleted.

use super::session::UserCheck::CacheAllowed;
use super::{FlagStep, IdentityFirstFlow, NewCredential};
use crate::faroe::error::{ActionResult, ErrorCode, Found};
use crate::faroe::models::{Created, NoValues};
use crate::faroe::records::{UserCounters, UserDeletionRecord};
use crate::faroe::Faroe;

type Deletion = UserDeletionRecord;

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
            user_counters: UserCounters::of(&user),
            created_at: self.now().unix_seconds(),
        };
        self.store_new(&record, credential.token).await
    }

    /// Deletes the user. Their sessions stay stored and each fails its next use.
    pub async fn complete_user_deletion(
        &self,
        session_token: &str,
        user_deletion_token: &str,
    ) -> ActionResult<NoValues> {
        let tokens = (session_token, user_deletion_token);
        let (mut stored, _) = self.session_flow::<Deletion>(tokens, CacheAllowed).await?;
        Deletion::IDENTITY.ensure_done(&mut stored.record)?;
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

/// The password proves the identity, first (`verify_user_deletion_user_password` is
/// `verify_identity`).
impl IdentityFirstFlow for Deletion {
    const IDENTITY: FlagStep<Self> =
        FlagStep::identity(|deletion| &mut deletion.user_identity_verified);
}
