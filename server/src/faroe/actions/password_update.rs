//! Password update: a signed-in user proves their identity with the current
//! password, chooses a new one, and the password changes.

use super::session::UserCheck::{Always, CacheAllowed};
use super::{ensure_counter_can_move, FlagStep, IdentityFirstFlow, NewCredential, NewPasswordStep};
use crate::faroe::error::{ActionResult, ErrorCode};
use crate::faroe::models::{Created, NoValues};
use crate::faroe::records::{UserCounters, UserPasswordUpdateRecord};
use crate::faroe::Faroe;

type Update = UserPasswordUpdateRecord;

impl Faroe {
    pub async fn create_user_password_update(
        &self,
        session_token: &str,
    ) -> ActionResult<Created<UserPasswordUpdateRecord>> {
        let (session, user) = self.validate_session_and_user(session_token).await?;
        ensure_counter_can_move(user.password_hash_counter)?;
        let user_counters = UserCounters::of(&user);
        let credential = NewCredential::generate();
        let record = UserPasswordUpdateRecord {
            id: credential.id,
            user_id: user.id,
            session_id: session.record.id,
            secret_hash: credential.secret_hash,
            user_identity_verified: false,
            new_password: None,
            user_counters,
            created_at: self.now().unix_seconds(),
        };
        self.store_new(&record, credential.token).await
    }

    /// The new password may be chosen only after the identity is proven, and once.
    pub async fn set_user_password_update_new_password(
        &self,
        session_token: &str,
        user_password_update_token: &str,
        password: &str,
    ) -> ActionResult<NoValues> {
        let tokens = (session_token, user_password_update_token);
        let (mut stored, _) = self.session_flow::<Update>(tokens, CacheAllowed).await?;
        Update::IDENTITY.ensure_done(&mut stored.record)?;
        self.set_new_password(stored, password, NEW_PASSWORD).await
    }

    /// Changes the password; the user is told. Sessions stay valid; other flows
    /// that snapshotted the password-hash counter become invalid.
    pub async fn complete_user_password_update(
        &self,
        session_token: &str,
        user_password_update_token: &str,
    ) -> ActionResult<NoValues> {
        let tokens = (session_token, user_password_update_token);
        let (mut stored, user) = self.session_flow::<Update>(tokens, Always).await?;
        Update::IDENTITY.ensure_done(&mut stored.record)?;
        let new_password = NEW_PASSWORD.ensure_set(&mut stored.record)?;
        self.complete_once(&stored, async {
            // Signing every device out comes first: should the password change then
            // fail, the user is signed out rather than an intruder left signed in.
            if self.sessions.revoke_sessions_on_password_update {
                self.revoke_sessions(&user).await?;
            }
            self.change_user_password(&user, &new_password, user.password_hash_counter)
                .await
        })
        .await?;
        Ok(NoValues {})
    }
}

/// The password proves the identity, first (`verify_user_password_update_user_password` is
/// `verify_identity`).
impl IdentityFirstFlow for Update {
    const IDENTITY: FlagStep<Self> =
        FlagStep::identity(|update| &mut update.user_identity_verified);
}

/// The password the flow sets.
const NEW_PASSWORD: NewPasswordStep<Update> = NewPasswordStep {
    slot: |update| &mut update.new_password,
    already_set: ErrorCode::NewPasswordAlreadySet,
    not_set: ErrorCode::NewPasswordNotSet,
};
