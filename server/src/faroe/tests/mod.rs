//! Core-level tests of every flow and of the envelope, driven through the action
//! envelope with the `testing` fakes and a manual clock.
//!
//! Tests named `row_<n>_…` pin an item of docs/protocol.md §15 (our deliberate
//! differences from upstream).

mod client_limits;
mod completion;
mod deletion;
mod email_update;
mod envelope;
mod password_reset;
mod password_update;
mod session;
mod signin;
mod signup;
mod stored_codes;

use std::marker::PhantomData;
use std::time::Duration;

use serde_json::{json, Value};

use super::email::Email;
use super::records::{decode, encode, TokenRecord};
// Key prefixes come from the record types and buckets, never from literals.
pub(super) use super::rate_limit::Bucket;
pub(super) use super::records::{
    SessionRecord, SigninRecord, SignupRecord, UserDeletionRecord, UserEmailAddressUpdateRecord,
    UserPasswordResetRecord, UserPasswordUpdateRecord,
};
use super::testing::{Harness, START};
use super::user::{User, UserStore, UserStoreError};
use super::user_server_failure::FailureKind;
use super::SessionConfig;
use crate::storage::{Storage, StorageError};

pub(super) const NEW_PASSWORD: &str = "a brand new passphrase";
pub(super) const MINUTE: Duration = Duration::from_secs(60);
pub(super) const NANOSECOND: Duration = Duration::from_nanos(1);

/// A token-valued member of an action's values.
pub(super) fn token(values: &Value, name: &str) -> String {
    values[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {values}"))
        .to_owned()
}

/// The id half of a token.
pub(super) fn id_of(token: &str) -> &str {
    token.split_once('.').expect("a token").0
}

/// The storage key of the record a token names.
pub(super) fn key_of<R: TokenRecord>(token: &str) -> String {
    format!("{}{}", R::PREFIX, id_of(token))
}

/// The member names of a model, in the order they were sent.
pub(super) fn members(model: &Value) -> Vec<&str> {
    model
        .as_object()
        .expect("a model is an object")
        .keys()
        .map(String::as_str)
        .collect()
}

pub(super) fn storage_down() -> StorageError {
    StorageError::Failure("disk on fire".into())
}

pub(super) fn user_server_down() -> UserStoreError {
    UserStoreError::failure(FailureKind::Transport, "connection refused")
}

/// A harness whose sessions trust a user check for an hour, so a flow validator
/// sees user changes the session (validated from its cache) does not.
pub(super) fn harness_with_user_cache() -> Harness {
    Harness::with_sessions(SessionConfig {
        user_cache_expiration: Some(Duration::from_secs(3600)),
        ..SessionConfig::default()
    })
}

/// A user with a display name and a session.
pub(super) async fn signed_in(h: &Harness, email_address: &str) -> (User, String) {
    let (user, session_token) = h.signed_in_user(email_address).await;
    h.users
        .modify(&user.id, |user| user.display_name = "Ann".into());
    let user = h.users.user(&user.id).expect("user");
    // One cache-allowed validation, so a user cache (when on) is fresh.
    h.ok("get_session", json!({ "session_token": session_token }))
        .await;
    (user, session_token)
}

/// Another session of an existing user.
pub(super) async fn another_session(h: &Harness, email_address: &str, password: &str) -> String {
    let signin_token = h.verified_signin(email_address, password).await;
    let completed = h
        .ok("complete_signin", json!({ "signin_token": signin_token }))
        .await;
    token(&completed, "session_token")
}

/// The e-mails sent after the first `before`.
pub(super) fn emails_since(h: &Harness, before: usize) -> Vec<Email> {
    h.emails.sent().split_off(before)
}

/// Rewrites a stored record directly, as a corrupted or older server might have left it.
pub(super) async fn edit_record<R: TokenRecord>(
    h: &Harness,
    key: &str,
    change: impl FnOnce(&mut R),
) {
    let entry = h.storage.get(key).await.expect("stored record");
    let mut record: R = decode(&entry.value).expect("decodes");
    change(&mut record);
    let value = encode(&record).expect("encodes");
    let expires_at = super::clock::Timestamp::from_unix_seconds(START + 365 * 24 * 3600);
    h.storage
        .update(key, &value, expires_at, entry.counter)
        .await
        .expect("updated");
}

/// Asserts that `action` answers `code` for each of the given arguments.
pub(super) async fn assert_each_fails(h: &Harness, action: &str, cases: &[Value], code: &str) {
    for arguments in cases {
        assert_eq!(
            h.error(action, arguments.clone()).await,
            code,
            "{action} {arguments}"
        );
    }
}

/// Whether `password` is now the user's password.
pub(super) async fn password_is(h: &Harness, user_id: &str, password: &str) -> bool {
    let user = h.users.user(user_id).expect("user");
    h.faroe
        .hasher
        .verify_user_password(&user.password_hash, password)
        .await
        .expect("verifiable")
}

/// What tells one session-bound flow (e-mail update, password update, deletion) from
/// the others, for [`SessionFlow`].
pub(super) trait SessionFlowKind {
    /// The address of the signed-in user who starts the flow.
    const SIGNED_IN: &'static str;
    const CREATE: &'static str;
    const GET: &'static str;
    /// The member naming the flow's model in answers.
    const MODEL: &'static str;
    /// The member naming the flow's token in arguments and answers.
    const TOKEN: &'static str;
    /// The code answered for a bad token.
    const INVALID: &'static str;

    /// The arguments of `CREATE` from `session`.
    fn create_args(session: &str) -> Value {
        json!({ "session_token": session })
    }
}

/// A session-bound flow created by a signed-in user.
pub(super) struct SessionFlow<K> {
    pub(super) h: Harness,
    pub(super) user: User,
    pub(super) session: String,
    pub(super) token: String,
    kind: PhantomData<K>,
}

impl<K: SessionFlowKind> SessionFlow<K> {
    pub(super) async fn start() -> Self {
        Self::start_in(Harness::new()).await
    }

    pub(super) async fn start_in(h: Harness) -> Self {
        let (user, session) = signed_in(&h, K::SIGNED_IN).await;
        let created = h.ok(K::CREATE, K::create_args(&session)).await;
        Self::created(h, user, session, &created)
    }

    /// The flow `created` answered for `user` signed in with `session`.
    pub(super) fn created(h: Harness, user: User, session: String, created: &Value) -> Self {
        let token = token(created, K::TOKEN);
        SessionFlow {
            h,
            user,
            session,
            token,
            kind: PhantomData,
        }
    }

    /// The arguments naming `session` and `token`.
    fn args_for(session: &str, token: &str) -> Value {
        let mut args = json!({ "session_token": session });
        args[K::TOKEN] = json!(token);
        args
    }

    pub(super) fn args(&self) -> Value {
        Self::args_for(&self.session, &self.token)
    }

    /// The flow's arguments and one more.
    pub(super) fn with(&self, name: &str, value: &str) -> Value {
        let mut args = self.args();
        args[name] = json!(value);
        args
    }

    pub(super) fn with_password(&self, password: &str) -> Value {
        self.with("password", password)
    }

    pub(super) async fn model(&self) -> Value {
        self.h.ok(K::GET, self.args()).await[K::MODEL].clone()
    }

    /// Asserts the order of `action`'s checks: each `(session, token)` of `bad_sessions`
    /// is invalid_session_token, each of `bad_tokens` with the flow's session is
    /// `K::INVALID`, and the flow's token with each of `other_sessions` is
    /// session_mismatch. `extra` is one more argument the action takes.
    pub(super) async fn assert_checks_session_then_token_then_binding(
        &self,
        action: &str,
        extra: Option<(&str, &str)>,
        bad_sessions: &[(&str, &str)],
        bad_tokens: &[&str],
        other_sessions: &[&str],
    ) {
        let args = |session: &str, token: &str| {
            let mut args = Self::args_for(session, token);
            if let Some((name, value)) = extra {
                args[name] = json!(value);
            }
            args
        };
        let h = &self.h;
        let bad_sessions: Vec<Value> = bad_sessions.iter().map(|(s, t)| args(s, t)).collect();
        assert_each_fails(h, action, &bad_sessions, "invalid_session_token").await;
        let bad_tokens: Vec<Value> = bad_tokens.iter().map(|t| args(&self.session, t)).collect();
        assert_each_fails(h, action, &bad_tokens, K::INVALID).await;
        let mismatched: Vec<Value> = other_sessions
            .iter()
            .map(|s| args(s, &self.token))
            .collect();
        assert_each_fails(h, action, &mismatched, "session_mismatch").await;
    }
}
