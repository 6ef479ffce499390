//! A reference model of users and flows: from the contract alone (PROTOCOL.md §3–§8 as
//! changed by §15) it predicts the outcome of each action, `Ok` or its error code.
//!
//! Time is in seconds since the case started. Records are never removed from the
//! vectors: a deleted or consumed record is kept with `alive == false`, so steps can
//! still pick its (now stale) token.

use std::collections::HashMap;

use conformance::in_process::WEAK_PASSWORDS;

pub type Code = &'static str;

pub const SIGNUP: Code = "invalid_signup_token";
pub const SIGNIN: Code = "invalid_signin_token";
pub const SESSION: Code = "invalid_session_token";
pub const EMAIL_UPDATE: Code = "invalid_user_email_address_update_token";
pub const PASSWORD_UPDATE: Code = "invalid_password_update_token";
pub const DELETION: Code = "invalid_user_deletion_token";
pub const RESET: Code = "invalid_user_password_reset_token";

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;

/// Lifetimes (§3.1), and the session expiry our server is configured with (90 days).
pub const SIGNUP_LIFETIME: i64 = 20 * MINUTE;
pub const SIGNIN_LIFETIME: i64 = 10 * MINUTE;
pub const EMAIL_UPDATE_LIFETIME: i64 = 20 * MINUTE;
pub const PASSWORD_UPDATE_LIFETIME: i64 = 10 * MINUTE;
pub const DELETION_LIFETIME: i64 = 10 * MINUTE;
pub const RESET_LIFETIME: i64 = 20 * MINUTE;
pub const SESSION_EXPIRATION: i64 = 90 * DAY;

/// The invalidation counters of a user, also snapshotted by records (§4.0, §5.5).
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

#[derive(Debug)]
pub struct Signup {
    pub token: String,
    pub email: String,
    pub code: String,
    pub verified: bool,
    pub password: Option<String>,
    pub created: i64,
    pub alive: bool,
}

#[derive(Debug)]
pub struct Signin {
    pub token: String,
    pub user: usize,
    pub verified: bool,
    pub snapshot: Counters,
    pub created: i64,
    pub alive: bool,
}

#[derive(Debug)]
pub struct Session {
    pub token: String,
    pub user: usize,
    pub snapshot: Counters,
    pub created: i64,
    pub alive: bool,
}

#[derive(Debug)]
pub struct EmailUpdate {
    pub token: String,
    pub user: usize,
    pub session: usize,
    pub email: String,
    pub code: String,
    pub verified: bool,
    pub identity_verified: bool,
    pub snapshot: Counters,
    pub created: i64,
    pub alive: bool,
}

#[derive(Debug)]
pub struct PasswordUpdate {
    pub token: String,
    pub user: usize,
    pub session: usize,
    pub identity_verified: bool,
    pub new_password: Option<String>,
    pub snapshot: Counters,
    pub created: i64,
    pub alive: bool,
}

#[derive(Debug)]
pub struct Deletion {
    pub token: String,
    pub user: usize,
    pub session: usize,
    pub identity_verified: bool,
    pub snapshot: Counters,
    pub created: i64,
    pub alive: bool,
}

#[derive(Debug)]
pub struct Reset {
    pub token: String,
    pub user: usize,
    pub temporary_password: String,
    pub verified: bool,
    pub new_password: Option<String>,
    pub snapshot: Counters,
    pub created: i64,
    pub alive: bool,
}

/// The kinds of token the server issues.
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

/// The rate-limit buckets (§6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    /// B_PW, by user.
    Password,
    /// B_MAIL, by address.
    Mail,
    /// B_CODE, by address.
    Code,
    /// B_TMP, by user.
    Temporary,
}

const CAPACITY: i64 = 5;

impl Bucket {
    fn interval(self) -> i64 {
        match self {
            Bucket::Mail => 30 * MINUTE,
            _ => MINUTE,
        }
    }
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
    /// (tokens, last refill) per bucket and key, as §15 #5 defines the arithmetic.
    buckets: HashMap<(Bucket, String), (i64, i64)>,
}

/// The e-mail pattern of §8.
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

/// The rules for a new password (§4.0 new_password_rules, §7.1).
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

/// The live record whose token is exactly `token` (same id and same secret).
fn find<'a, R: 'a>(
    records: impl IntoIterator<Item = &'a R>,
    token: &str,
    fields: impl Fn(&R) -> (&str, bool),
) -> Option<usize> {
    records.into_iter().position(|record| {
        let (issued, alive) = fields(record);
        alive && issued == token
    })
}

fn user_key(user: usize) -> String {
    format!("user {user}")
}

impl Model {
    fn user_ok(&self, user: usize) -> bool {
        let user = &self.users[user];
        !user.deleted && !user.disabled
    }

    /// The user (live, disabled or not) with this address.
    pub fn user_by_email(&self, email: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|user| !user.deleted && user.email == email)
    }

    fn email_in_use(&self, email: &str) -> bool {
        self.user_by_email(email).is_some()
    }

    pub fn issue(&mut self, kind: Kind, token: &str) {
        self.issued.push((kind, token.to_owned()));
    }

    // Buckets (§6, §15 #5).

    fn refilled(&self, bucket: Bucket, key: &str) -> Option<(i64, i64)> {
        let &(tokens, last) = self.buckets.get(&(bucket, key.to_owned()))?;
        let intervals = (self.now - last).max(0) / bucket.interval();
        Some(if tokens + intervals >= CAPACITY {
            (CAPACITY, self.now)
        } else {
            (tokens + intervals, last + intervals * bucket.interval())
        })
    }

    fn check(&self, bucket: Bucket, key: &str) -> Result<(), Code> {
        match self.refilled(bucket, key) {
            Some((0, _)) => Err("rate_limited"),
            _ => Ok(()),
        }
    }

    fn take(&mut self, bucket: Bucket, key: &str) -> Result<(), Code> {
        let next = match self.refilled(bucket, key) {
            None => (CAPACITY - 1, self.now),
            Some((0, _)) => return Err("rate_limited"),
            Some((tokens, last)) => (tokens - 1, last),
        };
        self.buckets.insert((bucket, key.to_owned()), next);
        Ok(())
    }

    // Validators (§4.0 with §15 #1, #9, #10). A valid token of a record that fails a
    // check deletes the record.

    fn validate_signup(&mut self, token: &str) -> Result<usize, Code> {
        let i = find(&self.signups, token, |r| (&r.token, r.alive)).ok_or(SIGNUP)?;
        if self.now - self.signups[i].created >= SIGNUP_LIFETIME {
            self.signups[i].alive = false;
            return Err(SIGNUP);
        }
        Ok(i)
    }

    fn validate_signin(&mut self, token: &str) -> Result<usize, Code> {
        let i = find(&self.signins, token, |r| (&r.token, r.alive)).ok_or(SIGNIN)?;
        let record = &self.signins[i];
        let user = &self.users[record.user];
        let valid = self.now - record.created < SIGNIN_LIFETIME
            && self.user_ok(record.user)
            && record.snapshot.password == user.counters.password
            && record.snapshot.disabled == user.counters.disabled;
        if !valid {
            self.signins[i].alive = false;
            return Err(SIGNIN);
        }
        Ok(i)
    }

    fn validate_session(&mut self, token: &str) -> Result<usize, Code> {
        let i = find(&self.sessions, token, |r| (&r.token, r.alive)).ok_or(SESSION)?;
        let record = &self.sessions[i];
        let user = &self.users[record.user];
        let valid = self.now - record.created < SESSION_EXPIRATION
            && self.user_ok(record.user)
            && record.snapshot.disabled == user.counters.disabled
            && record.snapshot.sessions == user.counters.sessions;
        if !valid {
            self.sessions[i].alive = false;
            return Err(SESSION);
        }
        Ok(i)
    }

    fn validate_email_update(&mut self, token: &str) -> Result<usize, Code> {
        let i = find(&self.email_updates, token, |r| (&r.token, r.alive)).ok_or(EMAIL_UPDATE)?;
        let record = &self.email_updates[i];
        let user = &self.users[record.user];
        let valid = self.now - record.created <= EMAIL_UPDATE_LIFETIME
            && self.user_ok(record.user)
            && record.snapshot.password == user.counters.password
            && record.snapshot.email == user.counters.email
            && record.snapshot.disabled == user.counters.disabled;
        if !valid {
            self.email_updates[i].alive = false;
            return Err(EMAIL_UPDATE);
        }
        Ok(i)
    }

    fn validate_password_update(&mut self, token: &str) -> Result<usize, Code> {
        let i =
            find(&self.password_updates, token, |r| (&r.token, r.alive)).ok_or(PASSWORD_UPDATE)?;
        let record = &self.password_updates[i];
        let user = &self.users[record.user];
        let valid = self.now - record.created <= PASSWORD_UPDATE_LIFETIME
            && self.user_ok(record.user)
            && record.snapshot.password == user.counters.password
            && record.snapshot.disabled == user.counters.disabled;
        if !valid {
            self.password_updates[i].alive = false;
            return Err(PASSWORD_UPDATE);
        }
        Ok(i)
    }

    fn validate_deletion(&mut self, token: &str) -> Result<usize, Code> {
        let i = find(&self.deletions, token, |r| (&r.token, r.alive)).ok_or(DELETION)?;
        let record = &self.deletions[i];
        let user = &self.users[record.user];
        let valid = self.now - record.created <= DELETION_LIFETIME
            && self.user_ok(record.user)
            && record.snapshot.password == user.counters.password
            && record.snapshot.disabled == user.counters.disabled;
        if !valid {
            self.deletions[i].alive = false;
            return Err(DELETION);
        }
        Ok(i)
    }

    fn validate_reset(&mut self, token: &str) -> Result<usize, Code> {
        let i = find(&self.resets, token, |r| (&r.token, r.alive)).ok_or(RESET)?;
        let record = &self.resets[i];
        let user = &self.users[record.user];
        let valid = self.now - record.created < RESET_LIFETIME
            && self.user_ok(record.user)
            && record.snapshot.email == user.counters.email
            && record.snapshot.disabled == user.counters.disabled
            && record.snapshot.password == user.counters.password;
        if !valid {
            self.resets[i].alive = false;
            return Err(RESET);
        }
        Ok(i)
    }

    // Signup (§4.1).

    pub fn create_signup(&mut self, email: &str) -> Result<(), Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        if self.email_in_use(email) {
            return Err("email_address_already_used");
        }
        self.check(Bucket::Code, email)?;
        self.take(Bucket::Mail, email)
    }

    pub fn get_signup(&mut self, token: &str) -> Result<usize, Code> {
        self.validate_signup(token)
    }

    pub fn delete_signup(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_signup(token)?;
        self.signups[i].alive = false;
        Ok(i)
    }

    pub fn send_signup_code(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_signup(token)?;
        if self.signups[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.signups[i].email.clone();
        self.check(Bucket::Code, &email)?;
        self.take(Bucket::Mail, &email)?;
        Ok(i)
    }

    pub fn verify_signup_code(&mut self, token: &str, code: &str) -> Result<usize, Code> {
        let i = self.validate_signup(token)?;
        if self.signups[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.signups[i].email.clone();
        self.take(Bucket::Code, &email)?;
        if self.signups[i].code != code {
            return Err("incorrect_email_address_verification_code");
        }
        self.signups[i].verified = true;
        Ok(i)
    }

    pub fn set_signup_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate_signup(token)?;
        if !self.signups[i].verified {
            return Err("email_address_not_verified");
        }
        if self.signups[i].password.is_some() {
            return Err("password_already_set");
        }
        new_password_rules(password)?;
        self.signups[i].password = Some(password.to_owned());
        Ok(i)
    }

    /// The new user's index.
    pub fn complete_signup(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_signup(token)?;
        if !self.signups[i].verified {
            return Err("email_address_not_verified");
        }
        let Some(password) = self.signups[i].password.clone() else {
            return Err("password_not_set");
        };
        self.signups[i].alive = false;
        let email = self.signups[i].email.clone();
        if self.email_in_use(&email) {
            return Err(SIGNUP);
        }
        self.users.push(User {
            email,
            password,
            id: None,
            disabled: false,
            deleted: false,
            counters: Counters::default(),
        });
        Ok(self.users.len() - 1)
    }

    // Signin (§4.2).

    /// The user's index.
    pub fn create_signin(&mut self, email: &str) -> Result<usize, Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        let user = self.user_by_email(email).ok_or("user_not_found")?;
        if self.users[user].disabled {
            return Err("user_disabled");
        }
        Ok(user)
    }

    pub fn get_signin(&mut self, token: &str) -> Result<usize, Code> {
        self.validate_signin(token)
    }

    pub fn delete_signin(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_signin(token)?;
        self.signins[i].alive = false;
        Ok(i)
    }

    pub fn verify_signin_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate_signin(token)?;
        if self.signins[i].verified {
            return Err("user_first_factor_already_verified");
        }
        let user = self.signins[i].user;
        self.take(Bucket::Password, &user_key(user))?;
        if self.users[user].password != password {
            return Err("incorrect_password");
        }
        self.signins[i].verified = true;
        Ok(i)
    }

    /// The user's index.
    pub fn complete_signin(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_signin(token)?;
        if !self.signins[i].verified {
            return Err("user_first_factor_not_verified");
        }
        self.signins[i].alive = false;
        Ok(self.signins[i].user)
    }

    // Sessions (§4.3, §5).

    pub fn get_session(&mut self, token: &str) -> Result<usize, Code> {
        self.validate_session(token)
    }

    pub fn delete_session(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_session(token)?;
        self.sessions[i].alive = false;
        Ok(i)
    }

    pub fn delete_all_sessions(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_session(token)?;
        let user = self.sessions[i].user;
        self.users[user].counters.sessions += 1;
        Ok(i)
    }

    // E-mail address update (§4.4).

    /// The session's index.
    pub fn create_email_update(&mut self, session: &str, email: &str) -> Result<usize, Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        let s = self.validate_session(session)?;
        if self.email_in_use(email) {
            return Err("email_address_already_used");
        }
        self.check(Bucket::Code, email)?;
        self.take(Bucket::Mail, email)?;
        Ok(s)
    }

    fn email_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let s = self.validate_session(session)?;
        let i = self.validate_email_update(token)?;
        if self.email_updates[i].session != s {
            return Err("session_mismatch");
        }
        Ok(i)
    }

    pub fn get_email_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        self.email_update(session, token)
    }

    pub fn delete_email_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.email_update(session, token)?;
        self.email_updates[i].alive = false;
        Ok(i)
    }

    pub fn send_email_update_code(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.email_update(session, token)?;
        if self.email_updates[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.email_updates[i].email.clone();
        self.check(Bucket::Code, &email)?;
        self.take(Bucket::Mail, &email)?;
        Ok(i)
    }

    pub fn verify_email_update_code(
        &mut self,
        session: &str,
        token: &str,
        code: &str,
    ) -> Result<usize, Code> {
        let i = self.email_update(session, token)?;
        if self.email_updates[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.email_updates[i].email.clone();
        self.take(Bucket::Code, &email)?;
        if self.email_updates[i].code != code {
            return Err("incorrect_email_address_verification_code");
        }
        self.email_updates[i].verified = true;
        Ok(i)
    }

    pub fn verify_email_update_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.email_update(session, token)?;
        if !self.email_updates[i].verified {
            return Err("email_address_not_verified");
        }
        if self.email_updates[i].identity_verified {
            return Err("user_identity_already_verified");
        }
        let user = self.email_updates[i].user;
        self.take(Bucket::Password, &user_key(user))?;
        if self.users[user].password != password {
            return Err("incorrect_password");
        }
        self.email_updates[i].identity_verified = true;
        Ok(i)
    }

    pub fn complete_email_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.email_update(session, token)?;
        if !self.email_updates[i].verified {
            return Err("email_address_not_verified");
        }
        if !self.email_updates[i].identity_verified {
            return Err("user_identity_not_verified");
        }
        self.email_updates[i].alive = false;
        let email = self.email_updates[i].email.clone();
        if self.email_in_use(&email) {
            return Err(EMAIL_UPDATE);
        }
        let user = &mut self.users[self.email_updates[i].user];
        user.email = email;
        user.counters.email += 1;
        Ok(i)
    }

    // Password update (§4.5 with §15 #3, #7).

    /// The session's index.
    pub fn create_password_update(&mut self, session: &str) -> Result<usize, Code> {
        self.validate_session(session)
    }

    fn password_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let s = self.validate_session(session)?;
        let i = self.validate_password_update(token)?;
        if self.password_updates[i].session != s {
            return Err("session_mismatch");
        }
        Ok(i)
    }

    pub fn get_password_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        self.password_update(session, token)
    }

    pub fn delete_password_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.password_update(session, token)?;
        self.password_updates[i].alive = false;
        Ok(i)
    }

    pub fn verify_password_update_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.password_update(session, token)?;
        if self.password_updates[i].identity_verified {
            return Err("user_identity_already_verified");
        }
        let user = self.password_updates[i].user;
        self.take(Bucket::Password, &user_key(user))?;
        if self.users[user].password != password {
            return Err("incorrect_password");
        }
        self.password_updates[i].identity_verified = true;
        Ok(i)
    }

    pub fn set_password_update_new_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.password_update(session, token)?;
        if !self.password_updates[i].identity_verified {
            return Err("user_identity_not_verified");
        }
        if self.password_updates[i].new_password.is_some() {
            return Err("new_password_already_set");
        }
        new_password_rules(password)?;
        self.password_updates[i].new_password = Some(password.to_owned());
        Ok(i)
    }

    pub fn complete_password_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.password_update(session, token)?;
        if !self.password_updates[i].identity_verified {
            return Err("user_identity_not_verified");
        }
        let Some(password) = self.password_updates[i].new_password.clone() else {
            return Err("new_password_not_set");
        };
        self.password_updates[i].alive = false;
        let user = &mut self.users[self.password_updates[i].user];
        user.password = password;
        user.counters.password += 1;
        Ok(i)
    }

    // User deletion (§4.6).

    /// The session's index.
    pub fn create_deletion(&mut self, session: &str) -> Result<usize, Code> {
        self.validate_session(session)
    }

    fn deletion(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let s = self.validate_session(session)?;
        let i = self.validate_deletion(token)?;
        if self.deletions[i].session != s {
            return Err("session_mismatch");
        }
        Ok(i)
    }

    pub fn get_deletion(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        self.deletion(session, token)
    }

    pub fn delete_deletion(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.deletion(session, token)?;
        self.deletions[i].alive = false;
        Ok(i)
    }

    pub fn verify_deletion_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.deletion(session, token)?;
        if self.deletions[i].identity_verified {
            return Err("user_identity_already_verified");
        }
        let user = self.deletions[i].user;
        self.take(Bucket::Password, &user_key(user))?;
        if self.users[user].password != password {
            return Err("incorrect_password");
        }
        self.deletions[i].identity_verified = true;
        Ok(i)
    }

    pub fn complete_deletion(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.deletion(session, token)?;
        if !self.deletions[i].identity_verified {
            return Err("user_identity_not_verified");
        }
        self.deletions[i].alive = false;
        let user = self.deletions[i].user;
        self.users[user].deleted = true;
        Ok(i)
    }

    // Password reset (§4.7 with §15 #1, #10).

    /// The user's index.
    pub fn create_reset(&mut self, email: &str) -> Result<usize, Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        let user = self.user_by_email(email).ok_or("user_not_found")?;
        if self.users[user].disabled {
            return Err("user_disabled");
        }
        self.check(Bucket::Temporary, &user_key(user))?;
        self.take(Bucket::Mail, email)?;
        Ok(user)
    }

    pub fn get_reset(&mut self, token: &str) -> Result<usize, Code> {
        self.validate_reset(token)
    }

    pub fn delete_reset(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_reset(token)?;
        self.resets[i].alive = false;
        Ok(i)
    }

    pub fn verify_reset_temporary_password(
        &mut self,
        token: &str,
        temporary_password: &str,
    ) -> Result<usize, Code> {
        let i = self.validate_reset(token)?;
        if self.resets[i].verified {
            return Err("user_first_factor_already_verified");
        }
        let user = self.resets[i].user;
        self.take(Bucket::Temporary, &user_key(user))?;
        if self.resets[i].temporary_password != temporary_password {
            return Err("incorrect_temporary_password");
        }
        self.resets[i].verified = true;
        Ok(i)
    }

    pub fn set_reset_new_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate_reset(token)?;
        if !self.resets[i].verified {
            return Err("user_first_factor_not_verified");
        }
        if self.resets[i].new_password.is_some() {
            return Err("new_password_already_set");
        }
        new_password_rules(password)?;
        self.resets[i].new_password = Some(password.to_owned());
        Ok(i)
    }

    /// The user's index.
    pub fn complete_reset(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate_reset(token)?;
        if !self.resets[i].verified {
            return Err("user_first_factor_not_verified");
        }
        let Some(password) = self.resets[i].new_password.clone() else {
            return Err("new_password_not_set");
        };
        self.resets[i].alive = false;
        let user = &mut self.users[self.resets[i].user];
        user.password = password;
        user.counters.password += 1;
        Ok(self.resets[i].user)
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
