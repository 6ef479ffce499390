//! The seven user actions: argument validation, execution against the store, and the response
//! envelope of the Python user-server library.

use std::fmt;
use std::str::FromStr;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::Rng as _;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::{NewPasswordHash, NewUser, StoreError, User, UserModel, UserStore};

/// The user actions the auth server invokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserActionName {
    CreateUser,
    GetUser,
    GetUserByEmailAddress,
    UpdateUserEmailAddress,
    UpdateUserPasswordHash,
    IncrementUserSessionsCounter,
    DeleteUser,
}

impl UserActionName {
    pub const ALL: [Self; 7] = [
        Self::CreateUser,
        Self::GetUser,
        Self::GetUserByEmailAddress,
        Self::UpdateUserEmailAddress,
        Self::UpdateUserPasswordHash,
        Self::IncrementUserSessionsCounter,
        Self::DeleteUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateUser => "create_user",
            Self::GetUser => "get_user",
            Self::GetUserByEmailAddress => "get_user_by_email_address",
            Self::UpdateUserEmailAddress => "update_user_email_address",
            Self::UpdateUserPasswordHash => "update_user_password_hash",
            Self::IncrementUserSessionsCounter => "increment_user_sessions_counter",
            Self::DeleteUser => "delete_user",
        }
    }
}

impl fmt::Display for UserActionName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The name is not one of the seven user actions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown user action {0}")]
pub struct UnknownUserAction(pub String);

impl FromStr for UserActionName {
    type Err = UnknownUserAction;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| UnknownUserAction(name.to_owned()))
    }
}

/// A user action with validated arguments.
#[derive(Debug, Clone)]
pub enum UserActionRequest {
    CreateUser(NewUser),
    GetUser {
        user_id: String,
    },
    GetUserByEmailAddress {
        email_address: String,
    },
    UpdateUserEmailAddress {
        user_id: String,
        email_address: String,
        user_email_address_counter: i64,
    },
    UpdateUserPasswordHash {
        user_id: String,
        new_hash: NewPasswordHash,
        user_password_hash_counter: i64,
    },
    IncrementUserSessionsCounter {
        user_id: String,
        user_sessions_counter: i64,
    },
    DeleteUser {
        user_id: String,
    },
}

/// An argument is missing or has the wrong type; the message names it as the Python library
/// does: `Invalid or missing '<name>' field`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid or missing '{0}' field")]
pub struct InvalidArgument(pub &'static str);

/// Standard alphabet, padding required. Non-zero bits in the last character's unused part are
/// tolerated, as Go's `base64.StdEncoding` and Python's `b64decode(validate=True)` do.
const STRICT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

struct Arguments<'a>(&'a Map<String, Value>);

impl Arguments<'_> {
    fn string(&self, name: &'static str) -> Result<String, InvalidArgument> {
        match self.0.get(name) {
            Some(Value::String(text)) => Ok(text.clone()),
            _ => Err(InvalidArgument(name)),
        }
    }

    /// Strict standard base64: the standard alphabet and padding, nothing else.
    fn bytes(&self, name: &'static str) -> Result<Vec<u8>, InvalidArgument> {
        match self.0.get(name) {
            Some(Value::String(text)) => STRICT_BASE64
                .decode(text)
                .map_err(|_| InvalidArgument(name)),
            _ => Err(InvalidArgument(name)),
        }
    }

    /// A JSON integer; booleans and fractions are refused.
    fn integer(&self, name: &'static str) -> Result<i64, InvalidArgument> {
        match self.0.get(name) {
            Some(Value::Number(number)) => {
                if let Some(value) = number.as_i64() {
                    Ok(value)
                } else if number.is_u64() {
                    // Larger than any counter can be: it can never match, which -1 expresses.
                    Ok(-1)
                } else {
                    Err(InvalidArgument(name))
                }
            }
            _ => Err(InvalidArgument(name)),
        }
    }
}

impl UserActionRequest {
    /// Validates `arguments` for `action`, in the order the Python library checks them.
    pub fn parse(
        action: UserActionName,
        arguments: &Map<String, Value>,
    ) -> Result<Self, InvalidArgument> {
        let args = Arguments(arguments);
        Ok(match action {
            UserActionName::CreateUser => Self::CreateUser(NewUser {
                email_address: args.string("email_address")?,
                password_hash: args.bytes("password_hash")?,
                password_hash_algorithm_id: args.string("password_hash_algorithm_id")?,
                password_salt: args.bytes("password_salt")?,
            }),
            UserActionName::GetUser => Self::GetUser {
                user_id: args.string("user_id")?,
            },
            UserActionName::GetUserByEmailAddress => Self::GetUserByEmailAddress {
                email_address: args.string("email_address")?,
            },
            UserActionName::UpdateUserEmailAddress => Self::UpdateUserEmailAddress {
                user_id: args.string("user_id")?,
                email_address: args.string("email_address")?,
                user_email_address_counter: args.integer("user_email_address_counter")?,
            },
            UserActionName::UpdateUserPasswordHash => Self::UpdateUserPasswordHash {
                user_id: args.string("user_id")?,
                new_hash: NewPasswordHash {
                    password_hash: args.bytes("password_hash")?,
                    password_hash_algorithm_id: args.string("password_hash_algorithm_id")?,
                    password_salt: args.bytes("password_salt")?,
                },
                user_password_hash_counter: args.integer("user_password_hash_counter")?,
            },
            UserActionName::IncrementUserSessionsCounter => Self::IncrementUserSessionsCounter {
                user_id: args.string("user_id")?,
                user_sessions_counter: args.integer("user_sessions_counter")?,
            },
            UserActionName::DeleteUser => Self::DeleteUser {
                user_id: args.string("user_id")?,
            },
        })
    }

    /// Runs the action. Returns the user for the three actions that have one.
    pub async fn execute(self, store: &UserStore) -> Result<Option<User>, StoreError> {
        match self {
            Self::CreateUser(new_user) => store.create_user(new_user).await.map(Some),
            Self::GetUser { user_id } => store.get_user(user_id).await.map(Some),
            Self::GetUserByEmailAddress { email_address } => store
                .get_user_by_email_address(email_address)
                .await
                .map(Some),
            Self::UpdateUserEmailAddress {
                user_id,
                email_address,
                user_email_address_counter,
            } => store
                .update_user_email_address(user_id, email_address, user_email_address_counter)
                .await
                .map(|()| None),
            Self::UpdateUserPasswordHash {
                user_id,
                new_hash,
                user_password_hash_counter,
            } => store
                .update_user_password_hash(user_id, new_hash, user_password_hash_counter)
                .await
                .map(|()| None),
            Self::IncrementUserSessionsCounter {
                user_id,
                user_sessions_counter,
            } => store
                .increment_user_sessions_counter(user_id, user_sessions_counter)
                .await
                .map(|()| None),
            Self::DeleteUser { user_id } => store.delete_user(user_id).await.map(|()| None),
        }
    }
}

/// The error code the reference server answers for a store failure.
pub fn error_code_for(error: &StoreError) -> &'static str {
    match error {
        StoreError::UserNotFound => "user_not_found",
        StoreError::EmailAddressAlreadyUsed => "email_address_already_used",
        StoreError::Database(_) | StoreError::Task(_) => "unexpected_error",
    }
}

const INVOCATION_ID_ALPHABET: &[u8; 32] = b"abcdefghjkmnopqrstuvwxyz23456789";

/// A fresh action invocation id: 24 characters of the Python library's alphabet.
pub fn new_action_invocation_id() -> String {
    let random: [u8; 24] = rand::rng().random();
    random
        .iter()
        .map(|byte| char::from(INVOCATION_ID_ALPHABET[usize::from(byte >> 3)]))
        .collect()
}

/// `{"ok": true, "action_invocation_id": ..., "values": {...}}`, written without a JSON
/// tree in between.
#[derive(Debug, Serialize)]
pub struct SuccessEnvelope<'a> {
    ok: bool,
    action_invocation_id: &'a str,
    values: SuccessValues<'a>,
}

/// `{"user": {...}}` for the actions that answer a user, `{}` for the others.
#[derive(Debug, Serialize)]
struct SuccessValues<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserModel<'a>>,
}

pub fn success_envelope<'a>(
    action_invocation_id: &'a str,
    user: Option<&'a User>,
) -> SuccessEnvelope<'a> {
    SuccessEnvelope {
        ok: true,
        action_invocation_id,
        values: SuccessValues {
            user: user.map(User::model),
        },
    }
}

/// `{"ok": false, "action_invocation_id": ..., "error_code": ...}`.
#[derive(Debug, Serialize)]
pub struct ErrorEnvelope<'a> {
    ok: bool,
    action_invocation_id: &'a str,
    error_code: &'a str,
}

pub fn error_envelope<'a>(action_invocation_id: &'a str, error_code: &'a str) -> ErrorEnvelope<'a> {
    ErrorEnvelope {
        ok: false,
        action_invocation_id,
        error_code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::to_python_json;
    use serde_json::json;

    fn written<T: Serialize>(value: &T) -> String {
        String::from_utf8(to_python_json(value).expect("serialisable")).expect("ascii output")
    }

    #[test]
    fn envelopes_are_written_as_the_python_library_writes_them() {
        let user = User {
            id: "1_z\u{e9}".to_owned(),
            email_address: "z@example.com".to_owned(),
            password_hash: vec![0, 1, 2],
            password_hash_algorithm_id: "argon2id".to_owned(),
            password_salt: vec![3, 4],
            disabled: false,
            display_name: String::new(),
            email_address_counter: 1,
            password_hash_counter: 2,
            disabled_counter: 3,
            sessions_counter: -4,
        };
        assert_eq!(
            written(&success_envelope("inv", Some(&user))),
            concat!(
                r#"{"ok": true, "action_invocation_id": "inv", "values": {"user": {"#,
                r#""id": "1_z\u00e9", "email_address": "z@example.com", "password_hash": "AAEC", "#,
                r#""password_hash_algorithm_id": "argon2id", "password_salt": "AwQ=", "#,
                r#""disabled": false, "display_name": "", "email_address_counter": 1, "#,
                r#""password_hash_counter": 2, "disabled_counter": 3, "sessions_counter": -4}}}"#
            )
        );
        assert_eq!(
            written(&success_envelope("inv", None)),
            r#"{"ok": true, "action_invocation_id": "inv", "values": {}}"#
        );
        assert_eq!(
            written(&error_envelope("inv", "user_not_found")),
            r#"{"ok": false, "action_invocation_id": "inv", "error_code": "user_not_found"}"#
        );
        assert_eq!(user.to_json()["password_salt"], json!("AwQ="));
    }

    fn parse(action: UserActionName, arguments: Value) -> Result<UserActionRequest, String> {
        let Value::Object(map) = arguments else {
            return Err("not an object".to_owned());
        };
        UserActionRequest::parse(action, &map).map_err(|error| error.to_string())
    }

    #[test]
    fn action_names_round_trip() {
        for action in UserActionName::ALL {
            assert_eq!(action.as_str().parse::<UserActionName>(), Ok(action));
        }
        assert!("create_signup".parse::<UserActionName>().is_err());
    }

    #[test]
    fn invocation_ids_use_the_python_alphabet() {
        let id = new_action_invocation_id();
        assert_eq!(id.len(), 24);
        assert!(id
            .bytes()
            .all(|byte| INVOCATION_ID_ALPHABET.contains(&byte)));
    }

    #[test]
    fn arguments_are_checked_in_order() {
        let error = parse(
            UserActionName::CreateUser,
            json!({"email_address": 1, "password_hash": "!"}),
        )
        .err();
        assert_eq!(
            error.as_deref(),
            Some("Invalid or missing 'email_address' field")
        );
        let error = parse(
            UserActionName::CreateUser,
            json!({"email_address": "a@b.c", "password_hash": "AAA", "password_hash_algorithm_id": "x", "password_salt": "AA=="}),
        )
        .err();
        assert_eq!(
            error.as_deref(),
            Some("Invalid or missing 'password_hash' field")
        );
    }

    #[test]
    fn base64_must_be_strict_standard() {
        for bad in ["AAA", "AA=A", "A A=", "AA-_", "AB==\n", "AB=", "AB==="] {
            let result = parse(
                UserActionName::UpdateUserPasswordHash,
                json!({"user_id": "1_a", "password_hash": bad, "password_hash_algorithm_id": "x",
                       "password_salt": "", "user_password_hash_counter": 0}),
            );
            assert!(result.is_err(), "{bad:?} must be rejected");
        }
        let result = parse(
            UserActionName::UpdateUserPasswordHash,
            json!({"user_id": "1_a", "password_hash": "AAEC/+8=", "password_hash_algorithm_id": "x",
                   "password_salt": "AB==", "user_password_hash_counter": 0}),
        );
        assert!(result.is_ok(), "valid padded base64 must be accepted");
    }

    #[test]
    fn counters_must_be_integers_not_booleans() {
        for bad in [
            json!(true),
            json!(false),
            json!(1.0),
            json!("1"),
            json!(null),
        ] {
            let result = parse(
                UserActionName::IncrementUserSessionsCounter,
                json!({"user_id": "1_a", "user_sessions_counter": bad}),
            );
            assert_eq!(
                result.err().as_deref(),
                Some("Invalid or missing 'user_sessions_counter' field")
            );
        }
        let result = parse(
            UserActionName::IncrementUserSessionsCounter,
            json!({"user_id": "1_a", "user_sessions_counter": -3}),
        );
        assert!(result.is_ok());
    }
}
