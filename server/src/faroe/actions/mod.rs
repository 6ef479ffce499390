//! The 39 actions, one file per flow, and the steps they share: validating a token,
//! rewriting a record under its counter, hashing a new password, sending e-mails.

pub mod deletion;
pub mod email_update;
pub mod password_reset;
pub mod password_update;
pub mod session;
pub mod signin;
pub mod signup;

use super::clock::Timestamp;
use super::credentials::{self, constant_time_eq, format_token, parse_token, SecretHash};
use super::email::Email;
use super::email_address::is_valid_email_address;
use super::error::{ActionResult, ErrorCode, Found, InternalError};
use super::models::NoValues;
use super::models::{Created, Values};
use super::rate_limit::{self, Bucket};
use super::records::{
    decode, encode, key_of, FlowRecord, SessionBoundRecord, SigninRecord, SignupRecord,
    TokenRecord, UserDeletionRecord, UserEmailAddressUpdateRecord, UserFlowRecord,
    UserPasswordResetRecord, UserPasswordUpdateRecord, VerificationCode,
};
use super::user::{PasswordHash, User};
use super::Faroe;

pub(crate) use session::UserCheck;

use std::future::Future;

/// A record as read from storage, with the counter that guards rewriting it.
#[derive(Debug, Clone)]
pub struct Stored<R> {
    pub key: String,
    pub record: R,
    pub counter: i64,
}

/// A freshly made id and secret for a new record.
pub(crate) struct NewCredential {
    pub id: String,
    pub secret: String,
    pub secret_hash: SecretHash,
    pub token: String,
}

impl NewCredential {
    pub fn generate() -> Self {
        let id = credentials::generate_id();
        let secret = credentials::generate_secret();
        NewCredential {
            secret_hash: SecretHash::of(&secret),
            token: format_token(&id, &secret),
            id,
            secret,
        }
    }
}

/// The secret half of a token that has been validated already.
pub(crate) fn secret_of(token: &str) -> &str {
    parse_token(token).map_or("", |(_, secret)| secret)
}

/// How removing a record treats the record being gone already, and a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// The record is no longer valid: gone already is fine, a failure fails the action.
    Invalid,
    /// The action's answer is decided (done, or failing for another reason): gone
    /// already is fine, and a failure is only logged so it cannot change the answer.
    Finished,
    /// The client asked for it: gone already answers this code.
    Requested(ErrorCode),
}

/// The flag a step of a flow sets once (a password or code verified), what a second
/// attempt answers, and what the steps that need it answer while it is not set.
pub(crate) struct FlagStep<R> {
    pub flag: fn(&mut R) -> &mut bool,
    pub already_set: ErrorCode,
    pub not_set: ErrorCode,
}

impl<R> FlagStep<R> {
    /// The user's password (or an e-mailed temporary one) proves the first factor.
    pub const fn first_factor(flag: fn(&mut R) -> &mut bool) -> Self {
        FlagStep {
            flag,
            already_set: ErrorCode::UserFirstFactorAlreadyVerified,
            not_set: ErrorCode::UserFirstFactorNotVerified,
        }
    }

    /// The signed-in user's password proves their identity again.
    pub const fn identity(flag: fn(&mut R) -> &mut bool) -> Self {
        FlagStep {
            flag,
            already_set: ErrorCode::UserIdentityAlreadyVerified,
            not_set: ErrorCode::UserIdentityNotVerified,
        }
    }

    /// A code e-mailed to an address proves it.
    pub const fn email_address(flag: fn(&mut R) -> &mut bool) -> Self {
        FlagStep {
            flag,
            already_set: ErrorCode::EmailAddressAlreadyVerified,
            not_set: ErrorCode::EmailAddressNotVerified,
        }
    }

    /// Before the step itself: it runs once.
    pub fn ensure_not_done(&self, record: &mut R) -> ActionResult<()> {
        ensure(!*(self.flag)(record), self.already_set)
    }

    /// Before a step that comes after this one.
    pub fn ensure_done(&self, record: &mut R) -> ActionResult<()> {
        ensure(*(self.flag)(record), self.not_set)
    }

    /// For `rewrite`: sets the flag, answering false when it was set already.
    fn set(&self, record: &mut R) -> bool {
        set_flag((self.flag)(record))
    }
}

/// The slot a flow's new-password step fills, what a second attempt answers, and
/// what completing the flow answers while it is empty.
pub(crate) struct NewPasswordStep<R> {
    pub slot: fn(&mut R) -> &mut Option<PasswordHash>,
    pub already_set: ErrorCode,
    pub not_set: ErrorCode,
}

impl<R> NewPasswordStep<R> {
    /// The new password's hash, for completing the flow.
    pub fn ensure_set(&self, record: &mut R) -> ActionResult<PasswordHash> {
        Ok((self.slot)(record).clone().ok_or(self.not_set)?)
    }
}

/// An address a flow verifies with an e-mailed code: the address and the sealed code
/// its record holds, and the flag set once the code is verified.
pub(crate) struct CodeStep<R> {
    pub sent_to: fn(&R) -> (&str, &VerificationCode),
    pub verified: FlagStep<R>,
}

/// Fails with `code` unless `condition` holds.
pub(crate) fn ensure(condition: bool, code: ErrorCode) -> ActionResult<()> {
    if condition {
        Ok(())
    } else {
        Err(code.into())
    }
}

/// For `rewrite`: sets a flag, answering false when it was set already.
fn set_flag(flag: &mut bool) -> bool {
    !std::mem::replace(flag, true)
}

/// For `rewrite`: fills an empty password slot, answering false when it was filled.
fn set_password(slot: &mut Option<PasswordHash>, password: PasswordHash) -> bool {
    slot.is_none() && slot.replace(password).is_none()
}

/// A counter the user server will increment; at its maximum it cannot move again.
pub(crate) fn ensure_counter_can_move(counter: i32) -> ActionResult<()> {
    if counter == i32::MAX {
        return Err(InternalError::Invariant("user counter at its maximum").into());
    }
    Ok(())
}

/// How the actions of a flow find its record: the tokens a request names it with,
/// and the validation they go through. `get_*` and `delete_*` of every flow run
/// through this alone (`get_flow`, `delete_flow`).
pub(crate) trait Flow: FlowRecord {
    /// The flow's own token; for a flow bound to a session, the session's and its own.
    type Tokens<'a>: Send;
    fn validate<'a>(
        faroe: &'a Faroe,
        tokens: Self::Tokens<'a>,
    ) -> impl Future<Output = ActionResult<Stored<Self>>> + Send + 'a;
}

impl Flow for SignupRecord {
    type Tokens<'a> = &'a str;
    async fn validate<'a>(faroe: &'a Faroe, token: &'a str) -> ActionResult<Stored<Self>> {
        faroe.valid_flow(token).await
    }
}

/// Flows of an existing user, named by their own token.
macro_rules! user_flows {
    ($($record:ty),+) => {$(
        impl Flow for $record {
            type Tokens<'a> = &'a str;
            async fn validate<'a>(
                faroe: &'a Faroe,
                token: &'a str,
            ) -> ActionResult<Stored<Self>> {
                Ok(faroe.valid_user_flow(token).await?.0)
            }
        }
    )+};
}

user_flows!(SigninRecord, UserPasswordResetRecord);

/// Flows started from a session, named by the session's token and their own; reading
/// or deleting one may trust the session's user cache.
macro_rules! session_flows {
    ($($record:ty),+) => {$(
        impl Flow for $record {
            type Tokens<'a> = (&'a str, &'a str);
            async fn validate<'a>(
                faroe: &'a Faroe,
                (session_token, token): (&'a str, &'a str),
            ) -> ActionResult<Stored<Self>> {
                let tokens = (session_token, token);
                Ok(faroe.session_flow(tokens, UserCheck::CacheAllowed).await?.0)
            }
        }
    )+};
}

session_flows!(
    UserEmailAddressUpdateRecord,
    UserPasswordUpdateRecord,
    UserDeletionRecord
);

/// A flow started from a session whose first step is the user proving their
/// identity with their password; its `verify_*_user_password` action is
/// `verify_identity`. (An e-mail address update verifies the new address first.)
pub(crate) trait IdentityFirstFlow: SessionBoundRecord {
    const IDENTITY: FlagStep<Self>;
}

impl Faroe {
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Reads the record a token names and checks the token's secret. `None` when the
    /// token is malformed, names nothing, or has the wrong secret. The secret is
    /// checked before anything else happens, so a guessed id alone triggers no user
    /// lookup and no deletion.
    pub(crate) async fn read_token<R: TokenRecord>(
        &self,
        token: &str,
    ) -> ActionResult<Option<Stored<R>>> {
        let Some((id, secret)) = parse_token(token) else {
            return Ok(None);
        };
        let key = key_of::<R>(id);
        let Some(entry) = self.storage.get(&key).await.found()? else {
            return Ok(None);
        };
        let record: R = decode(&entry.value)?;
        if !record.secret_hash().matches(secret) {
            return Ok(None);
        }
        Ok(Some(Stored {
            key,
            record,
            counter: entry.counter,
        }))
    }

    /// `read_token`, then the lifetime: an expired record is deleted. Every unusable
    /// token answers the record kind's invalid-token code.
    pub(crate) async fn valid_flow<R: FlowRecord>(&self, token: &str) -> ActionResult<Stored<R>> {
        let stored = self.read_token::<R>(token).await?.ok_or(R::INVALID_TOKEN)?;
        if !stored.record.is_valid_at(self.now()) {
            self.remove(&stored.key, Removal::Invalid).await?;
            return Err(R::INVALID_TOKEN.into());
        }
        Ok(stored)
    }

    /// `valid_flow`, then the user: a flow whose user is gone, disabled, or has
    /// changed in a way that voids it is deleted and its token invalid.
    pub(crate) async fn valid_user_flow<R: UserFlowRecord>(
        &self,
        token: &str,
    ) -> ActionResult<(Stored<R>, User)> {
        let stored = self.valid_flow::<R>(token).await?;
        let user = self.users.get_user(stored.record.user_id()).await.found()?;
        match user {
            Some(user) if !user.disabled && !stored.record.is_stale_for(&user) => {
                Ok((stored, user))
            }
            _ => {
                self.remove(&stored.key, Removal::Invalid).await?;
                Err(R::INVALID_TOKEN.into())
            }
        }
    }

    /// Validates the session, then a flow bound to it: the flow's token, then that
    /// the flow was started from this very session (`session_mismatch`).
    /// `session_user` says whether the session's user must be checked even while the
    /// user cache is fresh. Returns the flow and its user.
    pub(crate) async fn session_flow<R: SessionBoundRecord>(
        &self,
        (session_token, flow_token): (&str, &str),
        session_user: UserCheck,
    ) -> ActionResult<(Stored<R>, User)> {
        let (session, _) = self.check_session(session_token, session_user).await?;
        let (stored, user) = self.valid_user_flow::<R>(flow_token).await?;
        ensure(
            stored.record.session_id() == session.record.id,
            ErrorCode::SessionMismatch,
        )?;
        Ok((stored, user))
    }

    /// The `get_*` action of every flow: the validated record's model.
    pub(crate) async fn get_flow<'a, R: Flow>(
        &'a self,
        tokens: R::Tokens<'a>,
    ) -> ActionResult<Values<R>> {
        let stored = R::validate(self, tokens).await?;
        Ok(Values::of(&stored.record))
    }

    /// The `delete_*` action of every flow: the validated record is deleted; deleted
    /// meanwhile answers the kind's invalid-token code.
    pub(crate) async fn delete_flow<'a, R: Flow>(
        &'a self,
        tokens: R::Tokens<'a>,
    ) -> ActionResult<NoValues> {
        let stored = R::validate(self, tokens).await?;
        self.remove(&stored.key, Removal::Requested(R::INVALID_TOKEN))
            .await?;
        Ok(NoValues {})
    }

    /// Removes a record; `policy` says what a missing record and a failure mean.
    pub(crate) async fn remove(&self, key: &str, policy: Removal) -> ActionResult<()> {
        let result = self.storage.delete(key).await.found();
        match (policy, result) {
            (Removal::Requested(code), Ok(None)) => Err(code.into()),
            (_, Ok(_)) => Ok(()),
            (Removal::Finished, Err(error)) => {
                tracing::warn!(error = %error, "could not delete a finished record");
                Ok(())
            }
            (_, Err(error)) => Err(error),
        }
    }

    /// The user an address names, for the flows that start from one (`action`): the
    /// address pattern (`invalid_email_address`), the client's creation bucket when
    /// per-client limits are on, then the lookup (`user_not_found`), then
    /// `user_disabled`.
    pub(crate) async fn enabled_user_by_address(
        &self,
        action: &'static str,
        email_address: &str,
    ) -> ActionResult<User> {
        ensure(
            is_valid_email_address(email_address),
            ErrorCode::InvalidEmailAddress,
        )?;
        self.take_creation(action).await?;
        let user = self
            .users
            .get_user_by_email_address(email_address)
            .await
            .found()?
            .ok_or(ErrorCode::UserNotFound)?;
        ensure(!user.disabled, ErrorCode::UserDisabled)?;
        Ok(user)
    }

    /// Completes a flow exactly once: the validated record is taken out of storage
    /// under the counter read at validation, so of several concurrent callers one
    /// goes on and the others answer `internal_conflict`; then `effect` runs. When the
    /// effect fails for any reason but the record's own invalid-token code, the record
    /// is put back so the client can retry the completion.
    pub(crate) async fn complete_once<R: FlowRecord, T>(
        &self,
        stored: &Stored<R>,
        effect: impl std::future::Future<Output = ActionResult<T>>,
    ) -> ActionResult<T> {
        self.storage
            .delete_if_counter(&stored.key, stored.counter)
            .await
            .found()?
            .ok_or(ErrorCode::InternalConflict)?;
        let result = effect.await;
        if let Err(error) = &result {
            if error.code() != R::INVALID_TOKEN {
                self.put_back(stored).await;
            }
        }
        result
    }

    /// Stores a taken record again; a failure is only logged, the action's answer
    /// stands.
    async fn put_back<R: FlowRecord>(&self, stored: &Stored<R>) {
        if let Err(error) = self
            .insert(&stored.record, stored.record.expires_at())
            .await
        {
            tracing::warn!(error = %error, "could not restore a flow after its completion failed");
        }
    }

    /// Moves the user's sessions counter, so every session made before is invalid
    /// on its next use. A lost race is `internal_conflict`.
    pub(crate) async fn revoke_sessions(&self, user: &User) -> ActionResult<User> {
        ensure_counter_can_move(user.sessions_counter)?;
        self.users
            .increment_user_sessions_counter(&user.id, user.sessions_counter)
            .await
            .found()?
            .ok_or(ErrorCode::InternalConflict)?;
        Ok(User {
            sessions_counter: user.sessions_counter + 1,
            ..user.clone()
        })
    }

    /// Stores a new record.
    pub(crate) async fn insert<R: TokenRecord>(
        &self,
        record: &R,
        expires_at: Timestamp,
    ) -> ActionResult<()> {
        let value = encode(record)?;
        self.storage.add(&record.key(), &value, expires_at).await?;
        Ok(())
    }

    /// Stores a new flow record and answers its model with the token that names it.
    pub(crate) async fn store_new<R: FlowRecord>(
        &self,
        record: &R,
        token: String,
    ) -> ActionResult<Created<R>> {
        self.insert(record, record.expires_at()).await?;
        Ok(Created {
            model: record.model(),
            token,
        })
    }

    /// Re-reads a flow record and rewrites it with `change` applied, guarded by its
    /// counter. `change` answers false when its flag is already set. A record that
    /// vanished, a flag set meanwhile, or a lost update is `internal_conflict`.
    pub(crate) async fn rewrite<R: FlowRecord>(
        &self,
        key: &str,
        change: impl FnOnce(&mut R) -> bool,
    ) -> ActionResult<()> {
        let conflict = ErrorCode::InternalConflict;
        let entry = self.storage.get(key).await.found()?.ok_or(conflict)?;
        let mut record: R = decode(&entry.value)?;
        ensure(change(&mut record), conflict)?;
        let value = encode(&record)?;
        self.storage
            .update(key, &value, record.expires_at(), entry.counter)
            .await
            .found()?
            .ok_or(conflict)?;
        Ok(())
    }

    /// Applies the new-password rules (length, then strength) and hashes it.
    pub(crate) async fn hash_new_password(&self, password: &str) -> ActionResult<PasswordHash> {
        ensure(
            super::passwords::has_valid_length(password),
            ErrorCode::InvalidPasswordLength,
        )?;
        let weak = self.password_strength.is_weak(password).await?;
        ensure(!weak, ErrorCode::WeakPassword)?;
        Ok(self.hasher.hash_user_password(password).await?)
    }

    /// Checks a user's password: `incorrect_password` on mismatch.
    pub(crate) async fn verify_user_password(
        &self,
        user: &User,
        password: &str,
    ) -> ActionResult<()> {
        let matches = self
            .hasher
            .verify_user_password(&user.password_hash, password)
            .await?;
        ensure(matches, ErrorCode::IncorrectPassword)
    }

    /// A password step of a flow: `step`'s flag already set answers its code;
    /// otherwise one password-attempt token of the user is spent, the password is
    /// checked, and the flag is set.
    pub(crate) async fn verify_password_step<R: FlowRecord>(
        &self,
        mut stored: Stored<R>,
        user: &User,
        password: &str,
        step: FlagStep<R>,
    ) -> ActionResult<NoValues> {
        step.ensure_not_done(&mut stored.record)?;
        self.take_attempt(Bucket::UserPassword, &user.id).await?;
        self.verify_user_password(user, password).await?;
        self.rewrite::<R>(&stored.key, |record| step.set(record))
            .await?;
        Ok(NoValues {})
    }

    /// The `verify_*_user_password` action of a flow whose first step proves the
    /// identity: the session (its user checked even while the cache is fresh), the
    /// flow, then `verify_password_step`.
    pub(crate) async fn verify_identity<R: IdentityFirstFlow>(
        &self,
        tokens: (&str, &str),
        password: &str,
    ) -> ActionResult<NoValues> {
        let (stored, user) = self.session_flow::<R>(tokens, UserCheck::Always).await?;
        self.verify_password_step(stored, &user, password, R::IDENTITY)
            .await
    }

    /// A new-password step of a flow: `step`'s slot already filled answers its code;
    /// otherwise the new-password rules apply, and the hash is stored in the slot
    /// (`internal_conflict` when another call filled it meanwhile).
    pub(crate) async fn set_new_password<R: FlowRecord>(
        &self,
        mut stored: Stored<R>,
        password: &str,
        step: NewPasswordStep<R>,
    ) -> ActionResult<NoValues> {
        ensure((step.slot)(&mut stored.record).is_none(), step.already_set)?;
        let password_hash = self.hash_new_password(password).await?;
        self.rewrite::<R>(&stored.key, |record| {
            set_password((step.slot)(record), password_hash)
        })
        .await?;
        Ok(NoValues {})
    }

    /// Before a code e-mail to `email_address`: the address must still have code
    /// attempts left, and one e-mail token is spent.
    pub(crate) async fn spend_code_email_tokens(&self, email_address: &str) -> ActionResult<()> {
        self.check_attempt(Bucket::VerificationCode, email_address)
            .await?;
        rate_limit::take(
            self.storage.as_ref(),
            Bucket::Email,
            email_address,
            self.now(),
        )
        .await
    }

    /// Sends a flow's verification code again (the same code: one code per flow),
    /// unless the address is verified already; `email` makes the e-mail from the
    /// record and the opened code. `token` is the flow's validated token, whose secret
    /// opens the code.
    pub(crate) async fn resend_code<R: FlowRecord>(
        &self,
        mut stored: Stored<R>,
        token: &str,
        step: CodeStep<R>,
        email: impl FnOnce(&R, String) -> Email,
    ) -> ActionResult<NoValues> {
        step.verified.ensure_not_done(&mut stored.record)?;
        let (email_address, code) = (step.sent_to)(&stored.record);
        self.spend_code_email_tokens(email_address).await?;
        let code = code.open(secret_of(token));
        self.send_code_email(&email(&stored.record, code), None)
            .await?;
        Ok(NoValues {})
    }

    /// Checks the verification code `given` for a flow, unless the address is verified
    /// already, and marks the address verified. Every attempt costs a code token of the
    /// address, the right one included.
    pub(crate) async fn verify_code<R: FlowRecord>(
        &self,
        mut stored: Stored<R>,
        token: &str,
        given: &str,
        step: CodeStep<R>,
    ) -> ActionResult<NoValues> {
        step.verified.ensure_not_done(&mut stored.record)?;
        let (email_address, code) = (step.sent_to)(&stored.record);
        self.take_attempt(Bucket::VerificationCode, email_address)
            .await?;
        ensure(
            constant_time_eq(given, &code.open(secret_of(token))),
            ErrorCode::IncorrectEmailAddressVerificationCode,
        )?;
        self.rewrite::<R>(&stored.key, |record| step.verified.set(record))
            .await?;
        Ok(NoValues {})
    }

    /// Replaces the user's password hash (guarded by `password_hash_counter`) and
    /// tells the user. A lost race on the counter, or the user gone, is
    /// `internal_conflict`.
    pub(crate) async fn change_user_password(
        &self,
        user: &User,
        new_password: &PasswordHash,
        password_hash_counter: i32,
    ) -> ActionResult<()> {
        self.users
            .update_user_password_hash(&user.id, new_password, password_hash_counter)
            .await
            .found()?
            .ok_or(ErrorCode::InternalConflict)?;
        let updated_at = self.now();
        self.send_notification(&Email::PasswordUpdated {
            email_address: user.email_address.clone(),
            display_name: user.display_name.clone(),
            updated_at,
        })
        .await;
        Ok(())
    }

    /// Sends an e-mail carrying a code or temporary password; failing to is
    /// `internal_error`. When the action has just created the record the code belongs
    /// to (`created_record`), that record is removed again so no half-made flow stays.
    pub(crate) async fn send_code_email(
        &self,
        email: &Email,
        created_record: Option<&str>,
    ) -> ActionResult<()> {
        let Err(error) = self.emails.send(email).await else {
            return Ok(());
        };
        if let Some(key) = created_record {
            self.remove(key, Removal::Finished).await?;
        }
        Err(error.into())
    }

    /// Sends a notification; a failure is logged, the action still succeeds.
    pub(crate) async fn send_notification(&self, email: &Email) {
        if let Err(error) = self.emails.send(email).await {
            tracing::warn!(kind = email.kind(), error = %error, "could not send a notification e-mail");
        }
    }
}
