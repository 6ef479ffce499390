//! What an action can answer besides its values.

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

/// Why an action did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// An outcome the contract names; answered as is.
    Code(ErrorCode),
    /// Storage, the user server or hashing failed. Answered as `internal_error`;
    /// the cause is logged with the action invocation id, never sent.
    Internal(String),
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

/// Wraps any failure as `internal_error` with its cause.
pub fn internal(cause: impl std::fmt::Display) -> ActionError {
    ActionError::Internal(cause.to_string())
}

pub type ActionResult<T> = Result<T, ActionError>;
