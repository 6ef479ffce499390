//! What an action can answer besides its values.

use super::email::EmailError;
use super::passwords::{HashError, StrengthCheckError};
use super::records::CodecError;
use super::user::UserStoreError;
use crate::storage::StorageError;

/// The error codes of the protocol, spelled as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InternalError,
    InternalConflict,
    InvalidEmailAddress,
    EmailAddressAlreadyUsed,
    EmailAddressNotAllowed,
    RateLimited,
    InvalidSignupToken,
    EmailAddressAlreadyVerified,
    EmailAddressNotVerified,
    IncorrectEmailAddressVerificationCode,
    PasswordAlreadySet,
    PasswordNotSet,
    InvalidPasswordLength,
    WeakPassword,
    SessionNotCreated,
    UserNotFound,
    UserDisabled,
    InvalidSigninToken,
    UserFirstFactorAlreadyVerified,
    UserFirstFactorNotVerified,
    IncorrectPassword,
    InvalidSessionToken,
    InvalidUserEmailAddressUpdateToken,
    SessionMismatch,
    UserIdentityAlreadyVerified,
    UserIdentityNotVerified,
    InvalidPasswordUpdateToken,
    NewPasswordAlreadySet,
    NewPasswordNotSet,
    InvalidUserDeletionToken,
    InvalidUserPasswordResetToken,
    IncorrectTemporaryPassword,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InternalError => "internal_error",
            InternalConflict => "internal_conflict",
            InvalidEmailAddress => "invalid_email_address",
            EmailAddressAlreadyUsed => "email_address_already_used",
            EmailAddressNotAllowed => "email_address_not_allowed",
            RateLimited => "rate_limited",
            InvalidSignupToken => "invalid_signup_token",
            EmailAddressAlreadyVerified => "email_address_already_verified",
            EmailAddressNotVerified => "email_address_not_verified",
            IncorrectEmailAddressVerificationCode => "incorrect_email_address_verification_code",
            PasswordAlreadySet => "password_already_set",
            PasswordNotSet => "password_not_set",
            InvalidPasswordLength => "invalid_password_length",
            WeakPassword => "weak_password",
            SessionNotCreated => "session_not_created",
            UserNotFound => "user_not_found",
            UserDisabled => "user_disabled",
            InvalidSigninToken => "invalid_signin_token",
            UserFirstFactorAlreadyVerified => "user_first_factor_already_verified",
            UserFirstFactorNotVerified => "user_first_factor_not_verified",
            IncorrectPassword => "incorrect_password",
            InvalidSessionToken => "invalid_session_token",
            InvalidUserEmailAddressUpdateToken => "invalid_user_email_address_update_token",
            SessionMismatch => "session_mismatch",
            UserIdentityAlreadyVerified => "user_identity_already_verified",
            UserIdentityNotVerified => "user_identity_not_verified",
            InvalidPasswordUpdateToken => "invalid_password_update_token",
            NewPasswordAlreadySet => "new_password_already_set",
            NewPasswordNotSet => "new_password_not_set",
            InvalidUserDeletionToken => "invalid_user_deletion_token",
            InvalidUserPasswordResetToken => "invalid_user_password_reset_token",
            IncorrectTemporaryPassword => "incorrect_temporary_password",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure inside the server, kept with its source. Answered as `internal_error`;
/// the endpoint logs the cause chain with the action and its invocation id, and
/// never sends it.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    UserServer(#[from] UserStoreError),
    #[error(transparent)]
    Hashing(#[from] HashError),
    #[error(transparent)]
    StrengthCheck(#[from] StrengthCheckError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Response(#[from] serde_json::Error),
    /// A state the protocol cannot continue from (a counter at its maximum).
    #[error("{0}")]
    Invariant(&'static str),
}

impl InternalError {
    /// Which dependency failed, for the log line.
    pub fn source_kind(&self) -> &'static str {
        match self {
            InternalError::Storage(_) => "storage",
            InternalError::UserServer(_) => "user server",
            InternalError::Hashing(_) => "password hashing",
            InternalError::StrengthCheck(_) => "password strength check",
            InternalError::Codec(_) => "record codec",
            InternalError::Email(_) => "e-mail",
            InternalError::Response(_) => "response encoding",
            InternalError::Invariant(_) => "invariant",
        }
    }

    /// The message and every source below it, joined by `: `.
    pub fn chain(&self) -> String {
        error_chain(self)
    }
}

/// An error's message and every source below it, joined by `: `.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Many errors end their own message with their source's: say each part once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Why an action did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// An outcome the contract names; answered as is.
    #[error("{0}")]
    Code(ErrorCode),
    /// Answered as `internal_error`.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl ActionError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ActionError::Code(code) => *code,
            ActionError::Internal(_) => ErrorCode::InternalError,
        }
    }
}

impl From<ErrorCode> for ActionError {
    fn from(code: ErrorCode) -> Self {
        ActionError::Code(code)
    }
}

/// `?` on any source of an internal error gives an `ActionError`.
macro_rules! internal_sources {
    ($($source:ty),+) => {
        $(impl From<$source> for ActionError {
            fn from(error: $source) -> Self {
                ActionError::Internal(error.into())
            }
        })+
    };
}

internal_sources!(
    StorageError,
    UserStoreError,
    HashError,
    StrengthCheckError,
    CodecError,
    EmailError,
    serde_json::Error
);

pub type ActionResult<T> = Result<T, ActionError>;

/// For storage and user-server answers where "not found" is an outcome the action
/// decides on, not a failure: `NotFound` / `UserNotFound` become `None`, every
/// other error is internal.
pub trait Found<T> {
    fn found(self) -> ActionResult<Option<T>>;
}

impl<T> Found<T> for Result<T, StorageError> {
    fn found(self) -> ActionResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            // Absent, or (for a guarded write) present at another counter: either way
            // nothing was found to act on.
            Err(StorageError::NotFound | StorageError::Conflict) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

impl<T> Found<T> for Result<T, UserStoreError> {
    fn found(self) -> ActionResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(UserStoreError::UserNotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot connect: {0}")]
    struct Quoting(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("storage failure")]
    struct Plain(#[source] Quoting);

    #[test]
    fn every_cause_is_named_once() {
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        // A source its parent already quotes is not repeated.
        assert_eq!(error_chain(&Quoting(refused())), "cannot connect: refused");
        // One its parent does not quote is added.
        assert_eq!(
            error_chain(&Plain(Quoting(refused()))),
            "storage failure: cannot connect: refused"
        );
    }
}
