//! The e-mails the protocol asks the user server to deliver.

use async_trait::async_trait;

use super::clock::Timestamp;
use super::user_server_failure::{FailureKind, UserServerFailure};

#[derive(Clone, PartialEq, Eq)]
pub enum Email {
    /// The code that verifies a signup's address.
    SignupVerification { email_address: String, code: String },
    /// The code that verifies the new address of an e-mail address update, sent to that new address.
    EmailUpdateVerification {
        email_address: String,
        display_name: String,
        code: String,
    },
    /// The temporary password of a password reset.
    PasswordReset {
        email_address: String,
        display_name: String,
        temporary_password: String,
    },
    SigninNotification {
        email_address: String,
        display_name: String,
        signed_in_at: Timestamp,
    },
    PasswordUpdated {
        email_address: String,
        display_name: String,
        updated_at: Timestamp,
    },
    /// Sent to the old address once the address has changed.
    EmailUpdated {
        email_address: String,
        display_name: String,
        new_email_address: String,
        updated_at: Timestamp,
    },
}

impl Email {
    /// The kind, as the user server's `/email` route names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Email::SignupVerification { .. } => "signup_verification",
            Email::EmailUpdateVerification { .. } => "email_update_verification",
            Email::PasswordReset { .. } => "password_reset",
            Email::SigninNotification { .. } => "signin_notification",
            Email::PasswordUpdated { .. } => "password_updated",
            Email::EmailUpdated { .. } => "email_updated",
        }
    }

    pub fn recipient(&self) -> &str {
        match self {
            Email::SignupVerification { email_address, .. }
            | Email::EmailUpdateVerification { email_address, .. }
            | Email::PasswordReset { email_address, .. }
            | Email::SigninNotification { email_address, .. }
            | Email::PasswordUpdated { email_address, .. }
            | Email::EmailUpdated { email_address, .. } => email_address,
        }
    }
}

// Codes and temporary passwords are secrets: debug output names the kind and recipient only.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("kind", &self.kind())
            .field("recipient", &self.recipient())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("e-mail not sent: {0}")]
pub struct EmailError(pub UserServerFailure);

impl EmailError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> EmailError {
        EmailError(UserServerFailure::new(kind, message))
    }
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), EmailError>;
}
