//! Sessions: creation, validation (expiry, user checks, activity refresh) and the
//! three session actions.

use super::{key_of, NewCredential, Removal, Stored};
use crate::faroe::clock::Timestamp;
use crate::faroe::error::{ActionError, ActionResult, ErrorCode, Found, InternalError};
use crate::faroe::models::{Created, NoValues, Session, Values};
use crate::faroe::records::{decode, encode, SessionRecord};
use crate::faroe::user::User;
use crate::faroe::Faroe;

/// Logs why a session could not be created and answers `code` instead.
pub(crate) fn not_created(error: ActionError, code: ErrorCode) -> ActionError {
    match &error {
        ActionError::Internal(cause) => {
            tracing::error!(source = cause.source_kind(), error = %cause.chain(), "session not created");
        }
        ActionError::Code(answer) => tracing::error!(error = %answer, "session not created"),
    }
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
    pub(crate) async fn create_session(&self, user: &User) -> ActionResult<Created<SessionRecord>> {
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
        Ok(Created {
            model: Session::new(&record, now, self.sessions.expiration),
            token: credential.token,
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
            (_, None) => Err(InternalError::Invariant("session user check skipped").into()),
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
            self.remove(&stored.key, Removal::Invalid).await?;
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
            let current = self.users.get_user(&stored.record.user_id).await.found()?;
            let Some(current) = current.filter(|user| {
                !user.disabled
                    && user.disabled_counter == stored.record.user_disabled_counter
                    && user.sessions_counter == stored.record.user_sessions_counter
            }) else {
                self.remove(&stored.key, Removal::Invalid).await?;
                return Err(invalid());
            };
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
        let value = encode(&record)?;
        let expires_at =
            self.activity_expiry(Timestamp::from_unix_seconds(record.token_last_verified_at));
        let updated = self
            .storage
            .update(&stored.key, &value, expires_at, stored.counter)
            .await
            .found()?;
        if updated.is_some() {
            stored.record = record;
            stored.counter += 1;
        }
        Ok(())
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
        let Some(entry) = self.storage.get(&stored.key).await.found()? else {
            return Ok(());
        };
        let mut record: SessionRecord = decode(&entry.value)?;
        if record.token_last_verified_at > now.unix_seconds() {
            return Ok(());
        }
        record.token_last_verified_at = now.unix_seconds();
        let value = encode(&record)?;
        self.storage
            .update(
                &stored.key,
                &value,
                self.activity_expiry(now),
                entry.counter,
            )
            .await
            .found()?;
        Ok(())
    }

    pub async fn get_session(&self, session_token: &str) -> ActionResult<Values<SessionRecord>> {
        let stored = self.validate_session(session_token).await?;
        Ok(Values {
            model: self.session_model(&stored.record),
        })
    }

    /// Deleting a session that is already gone counts as done.
    pub async fn delete_session(&self, session_token: &str) -> ActionResult<NoValues> {
        let stored = self.validate_session(session_token).await?;
        self.remove(&stored.key, Removal::Invalid).await?;
        Ok(NoValues {})
    }

    /// Invalidates every session of the user, this one included, by moving the user's
    /// sessions counter; each session is deleted on its next use.
    pub async fn delete_all_sessions(&self, session_token: &str) -> ActionResult<NoValues> {
        let (stored, user) = self.validate_session_and_user(session_token).await?;
        self.users
            .increment_user_sessions_counter(&stored.record.user_id, user.sessions_counter)
            .await
            .found()?
            .ok_or(ErrorCode::InternalConflict)?;
        Ok(NoValues {})
    }
}
