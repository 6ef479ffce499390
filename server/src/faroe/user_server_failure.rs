//! How an exchange with the user server failed: a kind the metrics count by, and a
//! message for the logs. The kind is set where the failure is seen, so nothing reads
//! it back out of the wording.

/// What went wrong, as far as the client can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No whole answer within the client's timeout.
    Timeout,
    /// No connection, or the connection failed during the exchange.
    Transport,
    /// An answer envelope with an error code the action does not expect.
    UnexpectedErrorCode,
    /// Anything else that leaves no usable answer: another HTTP status, a body that is
    /// not an answer envelope or is too long, a malformed user, a request that could
    /// not be encoded.
    BadAnswer,
}

/// A failed exchange; shows as its message alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UserServerFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl UserServerFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> UserServerFailure {
        UserServerFailure {
            kind,
            message: message.into(),
        }
    }

    /// The same failure, its message led by what was being done (`get_user: …`).
    pub fn during(self, what: &str) -> UserServerFailure {
        UserServerFailure {
            kind: self.kind,
            message: format!("{what}: {}", self.message),
        }
    }
}
