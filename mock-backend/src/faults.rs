//! Fault injection: make a user action or the e-mail route misbehave until cleared.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::actions::UserActionName;

/// What a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultTarget {
    /// Calls of one user action on `/invoke`.
    UserAction(UserActionName),
    /// `POST /email`.
    Email,
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UserAction(action) => formatter.write_str(action.as_str()),
            Self::Email => formatter.write_str("email"),
        }
    }
}

/// The name is neither a user action nor `email`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault target {0}")]
pub struct UnknownFaultTarget(pub String);

impl FromStr for FaultTarget {
    type Err = UnknownFaultTarget;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if name == "email" {
            return Ok(Self::Email);
        }
        name.parse()
            .map(Self::UserAction)
            .map_err(|_| UnknownFaultTarget(name.to_owned()))
    }
}

/// How a faulted call misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A user action answers `ok: false` with this code; `/email` answers HTTP 500 with it as
    /// the error message.
    ErrorCode(String),
    /// HTTP 500 `{"error": "Internal Server Error", "status_code": 500}`.
    Http500,
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// HTTP 200 with valid JSON that is not an action envelope.
    WrongEnvelope,
    /// Wait, then answer normally.
    Delay(Duration),
}

/// The `fault` member of a `set_fault` command is not a fault. The messages are the Python
/// reference server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFault {
    #[error(
        "Invalid fault: kind must be one of error_code, http_500, malformed_json, wrong_envelope, delay"
    )]
    Kind,
    #[error("Invalid fault: error_code must be a non-empty string")]
    ErrorCode,
    #[error("Invalid fault: milliseconds must be a non-negative integer")]
    Milliseconds,
}

impl Fault {
    /// Reads `{"kind": "error_code", "error_code": "..."}`, `{"kind": "http_500"}`,
    /// `{"kind": "malformed_json"}`, `{"kind": "wrong_envelope"}` or
    /// `{"kind": "delay", "milliseconds": n}`.
    pub fn from_json(value: &Value) -> Result<Self, InvalidFault> {
        let kind = value.get("kind").and_then(Value::as_str);
        match kind {
            Some("error_code") => value
                .get("error_code")
                .and_then(Value::as_str)
                .filter(|code| !code.is_empty())
                .map(|code| Self::ErrorCode(code.to_owned()))
                .ok_or(InvalidFault::ErrorCode),
            Some("http_500") => Ok(Self::Http500),
            Some("malformed_json") => Ok(Self::MalformedJson),
            Some("wrong_envelope") => Ok(Self::WrongEnvelope),
            Some("delay") => value
                .get("milliseconds")
                .and_then(Value::as_u64)
                .map(|milliseconds| Self::Delay(Duration::from_millis(milliseconds)))
                .ok_or(InvalidFault::Milliseconds),
            _ => Err(InvalidFault::Kind),
        }
    }
}

/// The faults in force. Cloning shares the table.
#[derive(Debug, Clone, Default)]
pub struct FaultTable {
    faults: Arc<Mutex<HashMap<FaultTarget, Fault>>>,
}

impl FaultTable {
    /// Replaces any fault on `target`.
    pub fn set(&self, target: FaultTarget, fault: Fault) {
        self.lock().insert(target, fault);
    }

    /// The fault on `target`, if any.
    pub fn get(&self, target: FaultTarget) -> Option<Fault> {
        self.lock().get(&target).cloned()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<FaultTarget, Fault>> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_parse() {
        assert_eq!("email".parse(), Ok(FaultTarget::Email));
        assert_eq!(
            "get_user".parse(),
            Ok(FaultTarget::UserAction(UserActionName::GetUser))
        );
        assert!("emails".parse::<FaultTarget>().is_err());
    }

    #[test]
    fn faults_parse() {
        assert_eq!(
            Fault::from_json(&json!({"kind": "error_code", "error_code": "internal_error"})),
            Ok(Fault::ErrorCode("internal_error".to_owned()))
        );
        assert_eq!(
            Fault::from_json(&json!({"kind": "delay", "milliseconds": 20})),
            Ok(Fault::Delay(Duration::from_millis(20)))
        );
        assert_eq!(
            Fault::from_json(&json!({"kind": "http_500"})),
            Ok(Fault::Http500)
        );
        for (bad, error) in [
            (json!({"kind": "error_code"}), InvalidFault::ErrorCode),
            (
                json!({"kind": "delay", "milliseconds": -1}),
                InvalidFault::Milliseconds,
            ),
            (
                json!({"kind": "delay", "milliseconds": true}),
                InvalidFault::Milliseconds,
            ),
            (json!({"kind": "explode"}), InvalidFault::Kind),
            (json!("http_500"), InvalidFault::Kind),
            (json!(null), InvalidFault::Kind),
        ] {
            assert_eq!(Fault::from_json(&bad), Err(error), "{bad}");
        }
    }
}
