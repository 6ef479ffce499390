//! The Faroe action protocol: no HTTP and no SQL in here, only the traits the
//! protocol depends on (storage, user store, e-mail, clock, password strength).

pub mod actions;
pub mod client_limits;
pub mod clock;
pub mod credentials;
pub mod email;
pub mod email_address;
pub mod endpoint;
mod envelope;
pub mod error;
pub mod models;
pub mod passwords;
pub mod rate_limit;
pub mod records;
pub(crate) mod unique_members;
pub mod user;
pub mod user_server_failure;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use clock::Clock;
use email::EmailSender;
use passwords::{PasswordHasher, PasswordStrengthChecker};
use user::UserStore;

use crate::storage::Storage;

/// How sessions age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// A session unused this long is invalid.
    pub inactivity_timeout: Duration,
    /// Activity is written back at most this often.
    pub activity_check_interval: Duration,
    /// Absolute lifetime; `None` disables it.
    pub expiration: Option<Duration>,
    /// How long `get_session` and `delete_session` may trust the last user check;
    /// `None` checks the user on every validation.
    pub user_cache_expiration: Option<Duration>,
    /// Whether `complete_user_password_update` signs out every session of the user,
    /// the current one too (a password reset always does).
    pub revoke_sessions_on_password_update: bool,
}

/// The default absolute session lifetime: 90 days (`FAROE_SESSION_EXPIRATION=2160h`).
pub const DEFAULT_SESSION_EXPIRATION: Duration = Duration::from_secs(2160 * 3600);

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            inactivity_timeout: Duration::from_secs(30 * 24 * 3600),
            activity_check_interval: Duration::from_secs(60),
            expiration: Some(DEFAULT_SESSION_EXPIRATION),
            user_cache_expiration: None,
            revoke_sessions_on_password_update: false,
        }
    }
}

/// The protocol engine: everything an action needs.
pub struct Faroe {
    pub storage: Arc<dyn Storage>,
    pub users: Arc<dyn UserStore>,
    pub emails: Arc<dyn EmailSender>,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub password_strength: Arc<dyn PasswordStrengthChecker>,
    pub sessions: SessionConfig,
    /// Per-client rate limits; `None` keeps the protocol's buckets only.
    pub client_limits: Option<client_limits::ClientLimits>,
}
