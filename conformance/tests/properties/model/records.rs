//! The records the model keeps, and what ends each kind of them.

use super::*;

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

/// One of a user's invalidation counters.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Password,
    Email,
    Disabled,
    Sessions,
}

impl Counter {
    /// What moves it, for the coverage report.
    pub(super) fn moved_by(self) -> &'static str {
        match self {
            Counter::Password => "password change",
            Counter::Email => "e-mail address change",
            Counter::Disabled => "disabling",
            Counter::Sessions => "delete_all_sessions",
        }
    }
}

impl Counters {
    pub(super) fn get(&self, counter: Counter) -> u32 {
        match counter {
            Counter::Password => self.password,
            Counter::Email => self.email,
            Counter::Disabled => self.disabled,
            Counter::Sessions => self.sessions,
        }
    }
}

/// What ends a kind of record (docs/protocol.md §4.0 with §15 #1, #9, #10).
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

/// A record bound to the session it was created with (docs/protocol.md §4.4–§4.6).
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
