//! Sessions: creation, validation (expiry, user checks, activity refresh) and the
//! three session actions.

use serde::Serialize;

use super::{key_of, NewCredential, Stored};
use crate::faroe::clock::Timestamp;
use crate::faroe::error::{internal, ActionError, ActionResult, ErrorCode};
use crate::faroe::models::{NoValues, Session};
use crate::faroe::records::{encode, SessionRecord};
use crate::faroe::user::{User, UserStoreError};
use crate::faroe::Faroe;
use crate::storage::StorageError;

#[derive(Debug, Serialize)]
pub struct SessionCreated {
    pub session: Session,
    pub session_token: String,
}

#[derive(Debug, Serialize)]
pub struct SessionValues {
    pub session: Session,
}

/// Logs why a session could not be created and answers `code` instead.
pub(crate) fn not_created(error: ActionError, code: ErrorCode) -> ActionError {
    tracing::error!(error = ?error, "session not created");
    code.into()
}

/// Whether the user check may be skipped while the user cache is fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserCheck {
    CacheAllowed,
    Always,
}

impl Faroe {
    /// Stores a new session for `user`.
    pub(crate) async fn create_session(&self, user: &User) -> ActionResult<SessionCreated> {
        let now = self.now();
        let credential = NewCredential::generate();
        let record = SessionRecord {
            id: credential.id,
            user_id: user.id.clone(),
            secret_hash: credential.secret_hash,
            created_at: now.unix_seconds(),
            token_last_verified_at: now.unix_seconds(),
            user_last_checked_at: None,
            user_disabled_counter: user.disabled_counter,
            user_sessions_counter: user.sessions_counter,
        };
        let key = key_of::<SessionRecord>(&record.id);
        self.insert(&key, &record, self.activity_expiry(now))
            .await?;
        Ok(SessionCreated {
            session: Session::new(&record, now, self.sessions.expiration),
            session_token: credential.token,
        })
    }

    fn activity_expiry(&self, last_verified_at: Timestamp) -> Timestamp {
        last_verified_at + self.sessions.inactivity_timeout
    }

    fn session_model(&self, record: &SessionRecord) -> Session {
        let created = Timestamp::from_unix_seconds(record.created_at);
        Session::new(record, created, self.sessions.expiration)
    }

    fn is_session_expired(&self, record: &SessionRecord, now: Timestamp) -> bool {
        let created = Timestamp::from_unix_seconds(record.created_at);
        let last_verified = Timestamp::from_unix_seconds(record.token_last_verified_at);
        let past_expiration = self
            .sessions
            .expiration
            .is_some_and(|lifetime| !now.is_before_end_of(created, lifetime));
        past_expiration || !now.is_before_end_of(last_verified, self.sessions.inactivity_timeout)
    }

    /// Validates a session token for `get_session` and `delete_session`, which may
    /// trust a fresh user cache.
    pub(crate) async fn validate_session(
        &self,
        session_token: &str,
    ) -> ActionResult<Stored<SessionRecord>> {
        let (stored, _) = self
            .check_session(session_token, UserCheck::CacheAllowed)
            .await?;
        Ok(stored)
    }

    /// Validates a session token and always checks (and returns) its user.
    pub(crate) async fn validate_session_and_user(
        &self,
        session_token: &str,
    ) -> ActionResult<(Stored<SessionRecord>, User)> {
        match self.check_session(session_token, UserCheck::Always).await? {
            (stored, Some(user)) => Ok((stored, user)),
            (_, None) => Err(internal("session user check skipped")),
        }
    }

    /// Validates a session token; the user comes back unless a fresh cache let the
    /// check be skipped (never with `UserCheck::Always`).
    pub(crate) async fn check_session(
        &self,
        session_token: &str,
        user_check: UserCheck,
    ) -> ActionResult<(Stored<SessionRecord>, Option<User>)> {
        let invalid = || ActionError::from(ErrorCode::InvalidSessionToken);
        let mut stored = self
            .read_token::<SessionRecord>(session_token)
            .await?
            .ok_or_else(invalid)?;
        let now = self.now();
        if self.is_session_expired(&stored.record, now) {
            self.discard(&stored.key).await?;
            return Err(invalid());
        }
        let cache = self
            .sessions
            .user_cache_expiration
            .filter(|_| user_check == UserCheck::CacheAllowed);
        let cache_is_fresh = match (cache, stored.record.user_last_checked_at) {
            (Some(lifetime), Some(checked_at)) => {
                now.is_before_end_of(Timestamp::from_unix_seconds(checked_at), lifetime)
            }
            _ => false,
        };
        let mut user = None;
        if !cache_is_fresh {
            let current = match self.users.get_user(&stored.record.user_id).await {
                Ok(current) => current,
                Err(UserStoreError::UserNotFound) => {
                    self.discard(&stored.key).await?;
                    return Err(invalid());
                }
                Err(error) => return Err(internal(error)),
            };
            if current.disabled
                || current.disabled_counter != stored.record.user_disabled_counter
                || current.sessions_counter != stored.record.user_sessions_counter
            {
                self.discard(&stored.key).await?;
                return Err(invalid());
            }
            if cache.is_some() {
                self.remember_user_check(&mut stored, now).await?;
            }
            user = Some(current);
        }
        self.refresh_activity(&stored, now).await?;
        Ok((stored, user))
    }

    /// Notes when the user was last checked; losing a race to another writer is fine.
    async fn remember_user_check(
        &self,
        stored: &mut Stored<SessionRecord>,
        now: Timestamp,
    ) -> ActionResult<()> {
        let mut record = stored.record.clone();
        record.user_last_checked_at = Some(now.unix_seconds());
        let value = encode(&record).map_err(internal)?;
        let expires_at =
            self.activity_expiry(Timestamp::from_unix_seconds(record.token_last_verified_at));
        match self
            .storage
            .update(&stored.key, &value, expires_at, stored.counter)
            .await
        {
            Ok(()) => {
                stored.record = record;
                stored.counter += 1;
                Ok(())
            }
            Err(StorageError::NotFound | StorageError::Conflict) => Ok(()),
            Err(error) => Err(internal(error)),
        }
    }

    /// Writes the session's last activity, at most once per check interval.
    async fn refresh_activity(
        &self,
        stored: &Stored<SessionRecord>,
        now: Timestamp,
    ) -> ActionResult<()> {
        let last_verified = Timestamp::from_unix_seconds(stored.record.token_last_verified_at);
        if now.is_before_end_of(last_verified, self.sessions.activity_check_interval) {
            return Ok(());
        }
        // The record was just read (and its counter kept current): write from it.
        // A request that refreshed it meanwhile wins the compare-and-swap, which is fine.
        let mut record = stored.record.clone();
        record.token_last_verified_at = now.unix_seconds();
        let value = encode(&record).map_err(internal)?;
        match self
            .storage
            .update(
                &stored.key,
                &value,
                self.activity_expiry(now),
                stored.counter,
            )
            .await
        {
            Ok(()) | Err(StorageError::NotFound | StorageError::Conflict) => Ok(()),
            Err(error) => Err(internal(error)),
        }
    }

    pub async fn get_session(&self, session_token: &str) -> ActionResult<SessionValues> {
        let stored = self.validate_session(session_token).await?;
        Ok(SessionValues {
            session: self.session_model(&stored.record),
        })
    }

    /// Deleting a session that is already gone counts as done.
    pub async fn delete_session(&self, session_token: &str) -> ActionResult<NoValues> {
        let stored = self.validate_session(session_token).await?;
        self.discard(&stored.key).await?;
        Ok(NoValues {})
    }

    /// Invalidates every session of the user, this one included, by moving the user's
    /// sessions counter; each session is deleted on its next use.
    pub async fn delete_all_sessions(&self, session_token: &str) -> ActionResult<NoValues> {
        let (stored, user) = self.validate_session_and_user(session_token).await?;
        match self
            .users
            .increment_user_sessions_counter(&stored.record.user_id, user.sessions_counter)
            .await
        {
            Ok(()) => Ok(NoValues {}),
            Err(UserStoreError::UserNotFound) => Err(ErrorCode::InternalConflict.into()),
            Err(error) => Err(internal(error)),
        }
    }
}
