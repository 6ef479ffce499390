//! A reference model of users and flows: from the contract alone (docs/protocol.md §3–§8 as
//! changed by docs/protocol.md §15) it predicts the outcome of each action, `Ok` or its error code.
//!
//! Time is in seconds since the case started. Records are never removed from the
//! vectors: a deleted or consumed record is kept with `alive == false`, so steps can
//! still pick its (now stale) token.

mod rate_limit;
mod records;
mod reset;
mod session_bound;
mod signin;
mod signup;
mod validation;

use std::collections::HashMap;

use conformance::in_process::WEAK_PASSWORDS;

use rate_limit::Bucket;
pub use records::*;

pub type Code = &'static str;

pub const SIGNUP: Code = "invalid_signup_token";
pub const SIGNIN: Code = "invalid_signin_token";
pub const SESSION: Code = "invalid_session_token";
pub const EMAIL_UPDATE: Code = "invalid_user_email_address_update_token";
pub const PASSWORD_UPDATE: Code = "invalid_password_update_token";
pub const DELETION: Code = "invalid_user_deletion_token";
pub const RESET: Code = "invalid_user_password_reset_token";

pub(super) const MINUTE: i64 = 60;
pub(super) const DAY: i64 = 86_400;

/// Lifetimes (docs/protocol.md §3.1), and the session expiry our server is configured with (90 days).
pub const SIGNUP_LIFETIME: i64 = 20 * MINUTE;
pub const SIGNIN_LIFETIME: i64 = 10 * MINUTE;
pub const EMAIL_UPDATE_LIFETIME: i64 = 20 * MINUTE;
pub const PASSWORD_UPDATE_LIFETIME: i64 = 10 * MINUTE;
pub const DELETION_LIFETIME: i64 = 10 * MINUTE;
pub const RESET_LIFETIME: i64 = 20 * MINUTE;
pub const SESSION_EXPIRATION: i64 = 90 * DAY;

/// The invalidation counters of a user, also snapshotted by records (docs/protocol.md §4.0, §5.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub password: u32,
    pub email: u32,
    pub disabled: u32,
    pub sessions: u32,
}

#[derive(Debug)]
pub struct User {
    pub email: String,
    pub password: String,
    /// The id the user server gave it, once a response has shown it.
    pub id: Option<String>,
    pub disabled: bool,
    pub deleted: bool,
    pub counters: Counters,
}

/// The kinds of token the server issues, one for each kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Signup,
    Signin,
    Session,
    EmailUpdate,
    PasswordUpdate,
    Deletion,
    Reset,
}

#[derive(Debug, Default)]
pub struct Model {
    pub now: i64,
    pub users: Vec<User>,
    pub signups: Vec<Signup>,
    pub signins: Vec<Signin>,
    pub sessions: Vec<Session>,
    pub email_updates: Vec<EmailUpdate>,
    pub password_updates: Vec<PasswordUpdate>,
    pub deletions: Vec<Deletion>,
    pub resets: Vec<Reset>,
    /// Every token issued, in order.
    pub issued: Vec<(Kind, String)>,
    /// Each valid token that found its record ended, and what ended it (for the
    /// coverage report: the runner drains it after each step).
    pub ended: Vec<(Kind, &'static str)>,
    /// (tokens, last refill) per bucket and key, as docs/protocol.md §15 #5 defines the arithmetic.
    buckets: HashMap<(Bucket, String), (i64, i64)>,
}

/// The e-mail pattern of docs/protocol.md §8.
pub fn valid_email(address: &str) -> bool {
    let local_ok = |c: char| c.is_ascii_alphanumeric() || "!#%&'*+-/=?^_{|}~.".contains(c);
    let domain_ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let parts: Vec<&str> = address.split('@').collect();
    address.len() <= 100
        && parts.len() == 2
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts[0].chars().all(local_ok)
        && parts[1].chars().all(domain_ok)
}

/// The rules for a new password (docs/protocol.md §4.0 new password rules, §7.1).
pub fn new_password_rules(password: &str) -> Result<(), Code> {
    let length = password.chars().count();
    if !(10..=100).contains(&length) {
        Err("invalid_password_length")
    } else if WEAK_PASSWORDS.contains(&password) {
        Err("weak_password")
    } else {
        Ok(())
    }
}

/// Sets a flow's new password, once, if it follows the rules.
pub(super) fn set_once(
    slot: &mut Option<String>,
    password: &str,
    already_set: Code,
) -> Result<(), Code> {
    if slot.is_some() {
        return Err(already_set);
    }
    new_password_rules(password)?;
    *slot = Some(password.to_owned());
    Ok(())
}

pub(super) fn user_key(user: usize) -> String {
    format!("user {user}")
}

impl Model {
    /// Whether the user can still sign in: neither deleted nor disabled.
    pub fn user_ok(&self, user: usize) -> bool {
        let user = &self.users[user];
        !user.deleted && !user.disabled
    }

    /// The user (live, disabled or not) with this address.
    pub fn user_by_email(&self, email: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|user| !user.deleted && user.email == email)
    }

    pub(super) fn email_in_use(&self, email: &str) -> bool {
        self.user_by_email(email).is_some()
    }

    pub fn issue(&mut self, kind: Kind, token: &str) {
        self.issued.push((kind, token.to_owned()));
    }

    // Outside the protocol: the user server's `update_user`.

    pub fn set_disabled(&mut self, user: usize, disabled: bool) {
        let user = &mut self.users[user];
        if user.disabled != disabled {
            user.disabled = disabled;
            user.counters.disabled += 1;
        }
    }
}
