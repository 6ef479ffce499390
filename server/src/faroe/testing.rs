//! Test kit for the protocol core: in-memory fakes of every dependency, a manual
//! clock, fault switches, and a harness that invokes actions through the envelope.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::clock::{ManualClock, Timestamp};
use super::email::{Email, EmailError, EmailSender};
use super::passwords::{
    Argon2idParams, PasswordHasher, PasswordStrengthChecker, StrengthCheckError,
};
use super::user::{PasswordHash, User, UserStore, UserStoreError};
use super::user_server_failure::FailureKind;
use super::{Faroe, SessionConfig};
pub use crate::fault_storage::{FaultyStorage, StorageOp};

/// Cheap Argon2id parameters: tests hash in microseconds. The algorithm ids differ
/// from production, which the core does not care about.
pub const CHEAP_USER_PARAMS: Argon2idParams = Argon2idParams {
    time_cost: 1,
    memory_kib: 8,
    parallelism: 1,
};
pub const CHEAP_TEMPORARY_PARAMS: Argon2idParams = Argon2idParams {
    time_cost: 1,
    memory_kib: 9,
    parallelism: 1,
};

/// 2023-11-14T22:13:20Z, a whole second.
pub const START: i64 = 1_700_000_000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------- user store

/// An in-memory user server with the user-server contract's semantics.
#[derive(Default)]
pub struct FakeUsers {
    users: Mutex<Vec<User>>,
    ids_issued: Mutex<HashMap<String, u32>>,
    faults: Mutex<HashMap<&'static str, UserStoreError>>,
    calls: Mutex<Vec<&'static str>>,
}

impl FakeUsers {
    /// Makes `action` (e.g. `"get_user"`) fail with `error` until cleared.
    pub fn fail(&self, action: &'static str, error: UserStoreError) {
        lock(&self.faults).insert(action, error);
    }

    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// The user actions called so far, in order.
    pub fn calls(&self) -> Vec<&'static str> {
        lock(&self.calls).clone()
    }

    pub fn user(&self, user_id: &str) -> Option<User> {
        lock(&self.users).iter().find(|u| u.id == user_id).cloned()
    }

    /// Changes a stored user directly (as an administrator would).
    pub fn modify(&self, user_id: &str, change: impl FnOnce(&mut User)) {
        if let Some(user) = lock(&self.users).iter_mut().find(|u| u.id == user_id) {
            change(user);
        }
    }

    /// Disables a user, moving the disabled counter as a real user server would.
    pub fn disable(&self, user_id: &str) {
        self.modify(user_id, |user| {
            user.disabled = true;
            user.disabled_counter += 1;
        });
    }

    fn enter(&self, action: &'static str) -> Result<(), UserStoreError> {
        lock(&self.calls).push(action);
        match lock(&self.faults).get(action) {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    fn with_user<T>(
        &self,
        user_id: &str,
        change: impl FnOnce(&mut User) -> Result<T, UserStoreError>,
    ) -> Result<T, UserStoreError> {
        let mut users = lock(&self.users);
        let user = users
            .iter_mut()
            .find(|u| u.id == user_id)
            .ok_or(UserStoreError::UserNotFound)?;
        change(user)
    }
}

#[async_trait]
impl UserStore for FakeUsers {
    async fn create_user(
        &self,
        email_address: &str,
        password: &PasswordHash,
    ) -> Result<User, UserStoreError> {
        self.enter("create_user")?;
        let mut users = lock(&self.users);
        if users.iter().any(|u| u.email_address == email_address) {
            return Err(UserStoreError::EmailAddressAlreadyUsed);
        }
        let local_part = email_address
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut issued = lock(&self.ids_issued);
        let n = issued.entry(local_part.clone()).or_default();
        *n += 1;
        let user = User {
            id: format!("{n}_{local_part}"),
            email_address: email_address.to_owned(),
            password_hash: password.clone(),
            display_name: String::new(),
            disabled: false,
            email_address_counter: 0,
            password_hash_counter: 0,
            disabled_counter: 0,
            sessions_counter: 0,
        };
        users.push(user.clone());
        Ok(user)
    }

    async fn get_user(&self, user_id: &str) -> Result<User, UserStoreError> {
        self.enter("get_user")?;
        self.with_user(user_id, |user| Ok(user.clone()))
    }

    async fn get_user_by_email_address(&self, email_address: &str) -> Result<User, UserStoreError> {
        self.enter("get_user_by_email_address")?;
        lock(&self.users)
            .iter()
            .find(|u| u.email_address == email_address)
            .cloned()
            .ok_or(UserStoreError::UserNotFound)
    }

    async fn update_user_email_address(
        &self,
        user_id: &str,
        email_address: &str,
        user_email_address_counter: i32,
    ) -> Result<(), UserStoreError> {
        self.enter("update_user_email_address")?;
        let taken = lock(&self.users)
            .iter()
            .any(|u| u.email_address == email_address && u.id != user_id);
        if taken {
            return Err(UserStoreError::EmailAddressAlreadyUsed);
        }
        self.with_user(user_id, |user| {
            if user.email_address_counter != user_email_address_counter {
                return Err(UserStoreError::UserNotFound);
            }
            user.email_address = email_address.to_owned();
            user.email_address_counter += 1;
            Ok(())
        })
    }

    async fn update_user_password_hash(
        &self,
        user_id: &str,
        password: &PasswordHash,
        user_password_hash_counter: i32,
    ) -> Result<(), UserStoreError> {
        self.enter("update_user_password_hash")?;
        self.with_user(user_id, |user| {
            if user.password_hash_counter != user_password_hash_counter {
                return Err(UserStoreError::UserNotFound);
            }
            user.password_hash = password.clone();
            user.password_hash_counter += 1;
            Ok(())
        })
    }

    async fn increment_user_sessions_counter(
        &self,
        user_id: &str,
        user_sessions_counter: i32,
    ) -> Result<(), UserStoreError> {
        self.enter("increment_user_sessions_counter")?;
        self.with_user(user_id, |user| {
            if user.sessions_counter != user_sessions_counter {
                return Err(UserStoreError::UserNotFound);
            }
            user.sessions_counter += 1;
            Ok(())
        })
    }

    async fn delete_user(&self, user_id: &str) -> Result<(), UserStoreError> {
        self.enter("delete_user")?;
        let mut users = lock(&self.users);
        let before = users.len();
        users.retain(|u| u.id != user_id);
        if users.len() == before {
            return Err(UserStoreError::UserNotFound);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- e-mail

/// Keeps every e-mail sent; can be switched to fail.
#[derive(Default)]
pub struct RecordingEmails {
    sent: Mutex<Vec<Email>>,
    failing: AtomicBool,
}

impl RecordingEmails {
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn sent(&self) -> Vec<Email> {
        lock(&self.sent).clone()
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        lock(&self.sent).iter().map(Email::kind).collect()
    }

    /// The code (or temporary password) of the last e-mail that carried one to `recipient`.
    pub fn last_code(&self, recipient: &str) -> Option<String> {
        lock(&self.sent).iter().rev().find_map(|email| match email {
            Email::SignupVerification {
                email_address,
                code,
            }
            | Email::EmailUpdateVerification {
                email_address,
                code,
                ..
            }
            | Email::PasswordReset {
                email_address,
                temporary_password: code,
                ..
            } if email_address == recipient => Some(code.clone()),
            _ => None,
        })
    }
}

#[async_trait]
impl EmailSender for RecordingEmails {
    async fn send(&self, email: &Email) -> Result<(), EmailError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(EmailError::new(
                FailureKind::Transport,
                "user server unreachable",
            ));
        }
        lock(&self.sent).push(email.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------- strength

/// Calls listed passwords weak; can be switched to fail.
#[derive(Default)]
pub struct FakeStrength {
    weak: Mutex<Vec<String>>,
    failing: AtomicBool,
}

impl FakeStrength {
    pub fn mark_weak(&self, password: &str) {
        lock(&self.weak).push(password.to_owned());
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl PasswordStrengthChecker for FakeStrength {
    async fn is_weak(&self, password: &str) -> Result<bool, StrengthCheckError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StrengthCheckError("range API unreachable".into()));
        }
        Ok(lock(&self.weak).iter().any(|weak| weak == password))
    }
}

// ---------------------------------------------------------------- harness

/// A `Faroe` wired to fakes, with handles to steer and inspect each of them.
pub struct Harness {
    pub faroe: Faroe,
    pub clock: Arc<ManualClock>,
    pub storage: Arc<FaultyStorage>,
    pub users: Arc<FakeUsers>,
    pub emails: Arc<RecordingEmails>,
    pub strength: Arc<FakeStrength>,
}

/// A password that passes the rules.
pub const PASSWORD: &str = "correct horse battery";

impl Harness {
    pub fn new() -> Self {
        Self::with_sessions(SessionConfig::default())
    }

    pub fn with_sessions(sessions: SessionConfig) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(START)));
        let storage = Arc::new(FaultyStorage::default());
        let users = Arc::new(FakeUsers::default());
        let emails = Arc::new(RecordingEmails::default());
        let strength = Arc::new(FakeStrength::default());
        let faroe = Faroe {
            storage: storage.clone(),
            users: users.clone(),
            emails: emails.clone(),
            clock: clock.clone(),
            hasher: PasswordHasher::new(CHEAP_USER_PARAMS, CHEAP_TEMPORARY_PARAMS, 2),
            password_strength: strength.clone(),
            sessions,
            client_limits: None,
        };
        Harness {
            faroe,
            clock,
            storage,
            users,
            emails,
            strength,
        }
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Invokes an action through the envelope and returns the parsed response.
    pub async fn invoke(&self, action: &str, arguments: Value) -> Value {
        let body = json!({ "action": action, "arguments": arguments }).to_string();
        let response = self
            .faroe
            .invoke(body.as_bytes())
            .await
            .unwrap_or_else(|rejected| panic!("{action} rejected: {rejected}"));
        serde_json::from_str(&response).expect("response is JSON")
    }

    /// Invokes an action that must succeed; returns its values.
    pub async fn ok(&self, action: &str, arguments: Value) -> Value {
        let response = self.invoke(action, arguments).await;
        assert_eq!(response["ok"], json!(true), "{action} failed: {response}");
        response["values"].clone()
    }

    /// Invokes an action that must fail; returns its error code.
    pub async fn error(&self, action: &str, arguments: Value) -> String {
        let response = self.invoke(action, arguments).await;
        assert_eq!(
            response["ok"],
            json!(false),
            "{action} succeeded: {response}"
        );
        response["error_code"]
            .as_str()
            .expect("error_code is a string")
            .to_owned()
    }

    /// Stores a user directly in the fake user server.
    pub async fn add_user(&self, email_address: &str, password: &str) -> User {
        let hash = self
            .faroe
            .hasher
            .hash_user_password(password)
            .await
            .expect("hash");
        self.users
            .create_user(email_address, &hash)
            .await
            .expect("create user")
    }

    /// A signup with a verified address; returns its token.
    pub async fn verified_signup(&self, email_address: &str) -> String {
        let created = self
            .ok("create_signup", json!({ "email_address": email_address }))
            .await;
        let token = created["signup_token"].as_str().expect("token").to_owned();
        let code = self.emails.last_code(email_address).expect("code sent");
        self.ok(
            "verify_signup_email_address_verification_code",
            json!({ "signup_token": token, "email_address_verification_code": code }),
        )
        .await;
        token
    }

    /// A signin whose password is verified; returns its token.
    pub async fn verified_signin(&self, email_address: &str, password: &str) -> String {
        let created = self
            .ok(
                "create_signin",
                json!({ "user_email_address": email_address }),
            )
            .await;
        let token = created["signin_token"].as_str().expect("token").to_owned();
        self.ok(
            "verify_signin_user_password",
            json!({ "signin_token": token, "password": password }),
        )
        .await;
        token
    }

    /// A new user (stored directly) with a fresh session; returns both.
    pub async fn signed_in_user(&self, email_address: &str) -> (User, String) {
        let user = self.add_user(email_address, PASSWORD).await;
        let signin_token = self.verified_signin(email_address, PASSWORD).await;
        let completed = self
            .ok("complete_signin", json!({ "signin_token": signin_token }))
            .await;
        let session_token = completed["session_token"]
            .as_str()
            .expect("token")
            .to_owned();
        (user, session_token)
    }
}

/// Replaces a token's secret with another of the same shape.
pub fn with_wrong_secret(token: &str) -> String {
    let (id, _) = token.split_once('.').expect("a token");
    format!("{id}.{}", "z".repeat(24))
}
