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

/// One of a user's invalidation counters.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Password,
    Email,
    Disabled,
    Sessions,
}

impl Counters {
    fn get(&self, counter: Counter) -> u32 {
        match counter {
            Counter::Password => self.password,
            Counter::Email => self.email,
            Counter::Disabled => self.disabled,
            Counter::Sessions => self.sessions,
        }
    }
}

/// What ends a kind of record (§4.0 with §15 #1, #9, #10).
pub struct Validity {
    /// The error code for a token of this kind that finds no valid record.
    pub invalid: Code,
    pub lifetime: i64,
    /// Whether the record is still valid at exactly `created + lifetime`.
    pub valid_at_lifetime: bool,
    /// The user's counters that end the record when they have moved since its creation.
    pub watched: &'static [Counter],
}

/// A kind of record the model keeps: where, its token, and what ends it.
pub trait Record: Sized + 'static {
    const KIND: Kind;
    const VALIDITY: Validity;
    fn all(model: &Model) -> &[Self];
    fn all_mut(model: &mut Model) -> &mut [Self];
    fn token(&self) -> &str;
    fn created(&self) -> i64;
    fn alive(&self) -> bool;
    fn end(&mut self);
    /// Its user, and the user's counters when it was created (a signup has none).
    fn owner(&self) -> Option<(usize, Counters)>;
}

/// A record bound to the session it was created with (§4.4–§4.6).
pub trait Bound: Record {
    fn user(&self) -> usize;
    fn session(&self) -> usize;
    fn identity_verified(&self) -> bool;
    fn verify_identity(&mut self);
}

/// Implements [`Record`] (and [`Bound`] for a `session-bound` one) from the members
/// the record types share by name.
macro_rules! record {
    ($record:ident in $records:ident, $validity:expr, owner: |$r:ident| $owner:expr) => {
        impl Record for $record {
            const KIND: Kind = Kind::$record;
            const VALIDITY: Validity = $validity;
            fn all(model: &Model) -> &[Self] {
                &model.$records
            }
            fn all_mut(model: &mut Model) -> &mut [Self] {
                &mut model.$records
            }
            fn token(&self) -> &str {
                &self.token
            }
            fn created(&self) -> i64 {
                self.created
            }
            fn alive(&self) -> bool {
                self.alive
            }
            fn end(&mut self) {
                self.alive = false;
            }
            fn owner(&self) -> Option<(usize, Counters)> {
                let $r = self;
                $owner
            }
        }
    };
    ($record:ident in $records:ident, $validity:expr) => {
        record!($record in $records, $validity, owner: |record| Some((record.user, record.snapshot)));
    };
    ($record:ident in $records:ident, $validity:expr, session-bound) => {
        record!($record in $records, $validity);
        impl Bound for $record {
            fn user(&self) -> usize {
                self.user
            }
            fn session(&self) -> usize {
                self.session
            }
            fn identity_verified(&self) -> bool {
                self.identity_verified
            }
            fn verify_identity(&mut self) {
                self.identity_verified = true;
            }
        }
    };
}

record!(
    Signup in signups,
    Validity {
        invalid: SIGNUP,
        lifetime: SIGNUP_LIFETIME,
        valid_at_lifetime: false,
        watched: &[],
    },
    owner: |_signup| None
);
record!(
    Signin in signins,
    Validity {
        invalid: SIGNIN,
        lifetime: SIGNIN_LIFETIME,
        valid_at_lifetime: false,
        watched: &[Counter::Password, Counter::Disabled],
    }
);
record!(
    Session in sessions,
    Validity {
        invalid: SESSION,
        lifetime: SESSION_EXPIRATION,
        valid_at_lifetime: false,
        watched: &[Counter::Disabled, Counter::Sessions],
    }
);
record!(
    EmailUpdate in email_updates,
    Validity {
        invalid: EMAIL_UPDATE,
        lifetime: EMAIL_UPDATE_LIFETIME,
        valid_at_lifetime: true,
        watched: &[Counter::Password, Counter::Email, Counter::Disabled],
    },
    session-bound
);
record!(
    PasswordUpdate in password_updates,
    Validity {
        invalid: PASSWORD_UPDATE,
        lifetime: PASSWORD_UPDATE_LIFETIME,
        valid_at_lifetime: true,
        watched: &[Counter::Password, Counter::Disabled],
    },
    session-bound
);
record!(
    Deletion in deletions,
    Validity {
        invalid: DELETION,
        lifetime: DELETION_LIFETIME,
        valid_at_lifetime: true,
        watched: &[Counter::Password, Counter::Disabled],
    },
    session-bound
);
record!(
    Reset in resets,
    Validity {
        invalid: RESET,
        lifetime: RESET_LIFETIME,
        valid_at_lifetime: false,
        watched: &[Counter::Email, Counter::Disabled, Counter::Password],
    }
);

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

/// Sets a flow's new password, once, if it follows the rules.
fn set_once(slot: &mut Option<String>, password: &str, already_set: Code) -> Result<(), Code> {
    if slot.is_some() {
        return Err(already_set);
    }
    new_password_rules(password)?;
    *slot = Some(password.to_owned());
    Ok(())
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

    // Validation (§4.0 with §15 #1, #9, #10).

    /// The live record of kind `R` whose token is exactly `token` (same id and same
    /// secret), if it is still valid. A valid token of a record that has expired, whose
    /// user is gone or disabled, or whose watched counters have moved ends the record.
    pub fn validate<R: Record>(&mut self, token: &str) -> Result<usize, Code> {
        let validity = R::VALIDITY;
        let i = R::all(self)
            .iter()
            .position(|record| record.alive() && record.token() == token)
            .ok_or(validity.invalid)?;
        let record = &R::all(self)[i];
        let age = self.now - record.created();
        let in_lifetime = if validity.valid_at_lifetime {
            age <= validity.lifetime
        } else {
            age < validity.lifetime
        };
        let owner_ok = record.owner().is_none_or(|(user, snapshot)| {
            let counters = self.users[user].counters;
            self.user_ok(user)
                && validity
                    .watched
                    .iter()
                    .all(|&counter| snapshot.get(counter) == counters.get(counter))
        });
        if !(in_lifetime && owner_ok) {
            R::all_mut(self)[i].end();
            return Err(validity.invalid);
        }
        Ok(i)
    }

    pub fn get<R: Record>(&mut self, token: &str) -> Result<usize, Code> {
        self.validate::<R>(token)
    }

    pub fn delete<R: Record>(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<R>(token)?;
        R::all_mut(self)[i].end();
        Ok(i)
    }

    /// A valid session-bound record, on a valid session: the one it was created with.
    fn bound<R: Bound>(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let s = self.validate::<Session>(session)?;
        let i = self.validate::<R>(token)?;
        if R::all(self)[i].session() != s {
            return Err("session_mismatch");
        }
        Ok(i)
    }

    pub fn get_bound<R: Bound>(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        self.bound::<R>(session, token)
    }

    pub fn delete_bound<R: Bound>(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<R>(session, token)?;
        R::all_mut(self)[i].end();
        Ok(i)
    }

    /// Verifies the user's identity on a session-bound record with their password.
    fn verify_identity<R: Bound>(&mut self, i: usize, password: &str) -> Result<usize, Code> {
        let record = &R::all(self)[i];
        if record.identity_verified() {
            return Err("user_identity_already_verified");
        }
        let user = record.user();
        self.check_password(user, password)?;
        R::all_mut(self)[i].verify_identity();
        Ok(i)
    }

    fn identified<R: Bound>(&self, i: usize) -> Result<(), Code> {
        if !R::all(self)[i].identity_verified() {
            return Err("user_identity_not_verified");
        }
        Ok(())
    }

    /// Spends one of the user's password attempts (B_PW) and compares the password.
    fn check_password(&mut self, user: usize, password: &str) -> Result<(), Code> {
        self.take(Bucket::Password, &user_key(user))?;
        if self.users[user].password != password {
            return Err("incorrect_password");
        }
        Ok(())
    }

    /// What e-mailing a verification code to `email` takes (B_CODE checked, B_MAIL spent).
    fn mail_code(&mut self, email: &str) -> Result<(), Code> {
        self.check(Bucket::Code, email)?;
        self.take(Bucket::Mail, email)
    }

    /// Spends an attempt at the code sent to `email` (B_CODE) and compares it.
    fn check_code(&mut self, email: &str, sent: &str, code: &str) -> Result<(), Code> {
        self.take(Bucket::Code, email)?;
        if sent != code {
            return Err("incorrect_email_address_verification_code");
        }
        Ok(())
    }

    // Signup (§4.1).

    pub fn create_signup(&mut self, email: &str) -> Result<(), Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        if self.email_in_use(email) {
            return Err("email_address_already_used");
        }
        self.mail_code(email)
    }

    pub fn send_signup_code(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        if self.signups[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.signups[i].email.clone();
        self.mail_code(&email)?;
        Ok(i)
    }

    pub fn verify_signup_code(&mut self, token: &str, code: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        let record = &self.signups[i];
        if record.verified {
            return Err("email_address_already_verified");
        }
        let (email, sent) = (record.email.clone(), record.code.clone());
        self.check_code(&email, &sent, code)?;
        self.signups[i].verified = true;
        Ok(i)
    }

    pub fn set_signup_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        if !self.signups[i].verified {
            return Err("email_address_not_verified");
        }
        set_once(
            &mut self.signups[i].password,
            password,
            "password_already_set",
        )?;
        Ok(i)
    }

    /// The new user's index.
    pub fn complete_signup(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
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

    pub fn verify_signin_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate::<Signin>(token)?;
        if self.signins[i].verified {
            return Err("user_first_factor_already_verified");
        }
        self.check_password(self.signins[i].user, password)?;
        self.signins[i].verified = true;
        Ok(i)
    }

    /// The user's index.
    pub fn complete_signin(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Signin>(token)?;
        if !self.signins[i].verified {
            return Err("user_first_factor_not_verified");
        }
        self.signins[i].alive = false;
        Ok(self.signins[i].user)
    }

    // Sessions (§4.3, §5).

    pub fn delete_all_sessions(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Session>(token)?;
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
        let s = self.validate::<Session>(session)?;
        if self.email_in_use(email) {
            return Err("email_address_already_used");
        }
        self.mail_code(email)?;
        Ok(s)
    }

    pub fn send_email_update_code(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        if self.email_updates[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.email_updates[i].email.clone();
        self.mail_code(&email)?;
        Ok(i)
    }

    pub fn verify_email_update_code(
        &mut self,
        session: &str,
        token: &str,
        code: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        let record = &self.email_updates[i];
        if record.verified {
            return Err("email_address_already_verified");
        }
        let (email, sent) = (record.email.clone(), record.code.clone());
        self.check_code(&email, &sent, code)?;
        self.email_updates[i].verified = true;
        Ok(i)
    }

    fn new_address_verified(&self, i: usize) -> Result<(), Code> {
        if !self.email_updates[i].verified {
            return Err("email_address_not_verified");
        }
        Ok(())
    }

    pub fn verify_email_update_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        self.new_address_verified(i)?;
        self.verify_identity::<EmailUpdate>(i, password)
    }

    pub fn complete_email_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        self.new_address_verified(i)?;
        self.identified::<EmailUpdate>(i)?;
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
        self.validate::<Session>(session)
    }

    pub fn verify_password_update_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<PasswordUpdate>(session, token)?;
        self.verify_identity::<PasswordUpdate>(i, password)
    }

    pub fn set_password_update_new_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<PasswordUpdate>(session, token)?;
        self.identified::<PasswordUpdate>(i)?;
        set_once(
            &mut self.password_updates[i].new_password,
            password,
            "new_password_already_set",
        )?;
        Ok(i)
    }

    pub fn complete_password_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<PasswordUpdate>(session, token)?;
        self.identified::<PasswordUpdate>(i)?;
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
        self.validate::<Session>(session)
    }

    pub fn verify_deletion_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<Deletion>(session, token)?;
        self.verify_identity::<Deletion>(i, password)
    }

    pub fn complete_deletion(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<Deletion>(session, token)?;
        self.identified::<Deletion>(i)?;
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

    pub fn verify_reset_temporary_password(
        &mut self,
        token: &str,
        temporary_password: &str,
    ) -> Result<usize, Code> {
        let i = self.validate::<Reset>(token)?;
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
        let i = self.validate::<Reset>(token)?;
        if !self.resets[i].verified {
            return Err("user_first_factor_not_verified");
        }
        set_once(
            &mut self.resets[i].new_password,
            password,
            "new_password_already_set",
        )?;
        Ok(i)
    }

    /// The user's index.
    pub fn complete_reset(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Reset>(token)?;
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
