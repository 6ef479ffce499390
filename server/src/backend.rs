//! The HTTP client of the user server: user actions on `POST /invoke`, e-mails on
//! `POST /email`.
//!
//! One pooled keep-alive client (hyper's, without the extras of a general-purpose
//! client: this is the hot path of every session check) with connect and request
//! timeouts serves every call. Answers are
//! read strictly; anything unexpected is a failure of the calling action. Failure
//! messages name the action and what went wrong, never passwords, hashes, salts or codes.

use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::faroe::clock::Timestamp;
use crate::faroe::email::{Email, EmailError, EmailSender};
use crate::faroe::user::{PasswordHash, User, UserStore, UserStoreError};
use crate::faroe::user_server_failure::{FailureKind, UserServerFailure};

mod answer;

use answer::{Answer, AnyValues, UserValues};

/// The largest user-server answer read; a longer one fails the calling action
/// instead of growing the server's memory with whatever the user server sends.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// `January 2, 2006 15:04:05` in Go's notation: the timestamps of notification e-mails.
const EMAIL_TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[month repr:long] [day padding:none], [year] [hour]:[minute]:[second]");

#[derive(Debug, thiserror::Error)]
#[error("cannot build the user server client: invalid URL {url:?}")]
pub struct ClientBuildError {
    url: String,
}

/// Talks to the user server at one base URL.
#[derive(Debug, Clone)]
pub struct UserServerClient {
    http: Client<HttpConnector, Full<Bytes>>,
    invoke_url: Uri,
    email_url: Uri,
    timeout: Duration,
}

/// How a user action treats the user server's error codes.
#[derive(Clone, Copy)]
struct ErrorMapping {
    user_not_found: bool,
    email_address_already_used: bool,
}

const CREATE_USER: ErrorMapping = ErrorMapping {
    user_not_found: false,
    email_address_already_used: true,
};
const LOOKUP: ErrorMapping = ErrorMapping {
    user_not_found: true,
    email_address_already_used: false,
};
const UPDATE: ErrorMapping = ErrorMapping {
    user_not_found: true,
    email_address_already_used: true,
};
const DELETE: ErrorMapping = ErrorMapping {
    user_not_found: true,
    email_address_already_used: false,
};

fn failure(action: &str, kind: FailureKind, problem: impl std::fmt::Display) -> UserStoreError {
    UserStoreError::failure(kind, format!("{action}: {problem}"))
}

impl UserServerClient {
    /// A client for the user server at `base_url` (e.g. `http://127.0.0.2:8079`).
    /// `timeout` bounds connecting and each whole request.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, ClientBuildError> {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        // Small request/answer exchanges: waiting to coalesce packets only adds latency.
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new()).build(connector);
        let base_url = base_url.trim_end_matches('/');
        let uri = |path: &str| {
            format!("{base_url}{path}")
                .parse::<Uri>()
                .map_err(|_| ClientBuildError {
                    url: base_url.to_owned(),
                })
        };
        Ok(UserServerClient {
            http,
            invoke_url: uri("/invoke")?,
            email_url: uri("/email")?,
            timeout,
        })
    }

    /// Describes a transport failure without the request body (which may hold hashes).
    fn describe(error: &(dyn std::error::Error + 'static), connecting: bool) -> UserServerFailure {
        let mut cause = error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        let message = if connecting {
            format!("cannot connect: {cause}")
        } else {
            format!("request failed: {cause}")
        };
        UserServerFailure::new(FailureKind::Transport, message)
    }

    async fn post(&self, url: &Uri, body: Vec<u8>) -> Result<(u16, Bytes), UserServerFailure> {
        let request = Request::post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| {
                UserServerFailure::new(
                    FailureKind::BadAnswer,
                    format!("request not built: {error}"),
                )
            })?;
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|error| Self::describe(&error, error.is_connect()))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|error| {
                    if error.is::<http_body_util::LengthLimitError>() {
                        UserServerFailure::new(
                            FailureKind::BadAnswer,
                            format!("the answer is longer than {MAX_ANSWER_BYTES} bytes"),
                        )
                    } else {
                        Self::describe(&*error, false)
                    }
                })?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(UserServerFailure::new(
                    FailureKind::Timeout,
                    format!(
                        "no answer within {}",
                        crate::config::format_duration(self.timeout)
                    ),
                ))
            })
    }

    async fn invoke<A: Serialize, V: DeserializeOwned>(
        &self,
        action: &'static str,
        arguments: A,
    ) -> Result<Answer<V>, UserStoreError> {
        #[derive(Serialize)]
        struct Request<A> {
            action: &'static str,
            arguments: A,
        }
        let body = serde_json::to_vec(&Request { action, arguments }).map_err(|error| {
            failure(
                action,
                FailureKind::BadAnswer,
                format!("cannot encode the request: {error}"),
            )
        })?;
        let (status, body) = self
            .post(&self.invoke_url, body)
            .await
            .map_err(|problem| UserStoreError::Failure(problem.during(action)))?;
        if status != 200 {
            return Err(failure(
                action,
                FailureKind::BadAnswer,
                format!("user server answered status {status}"),
            ));
        }
        answer::read(&body).map_err(|problem| failure(action, FailureKind::BadAnswer, problem))
    }

    async fn invoke_mapped<A: Serialize, V: DeserializeOwned>(
        &self,
        action: &'static str,
        arguments: A,
        mapping: ErrorMapping,
    ) -> Result<V, UserStoreError> {
        match self.invoke(action, arguments).await? {
            Answer::Values(values) => Ok(values),
            Answer::Error(code) => Err(match code.as_str() {
                "user_not_found" if mapping.user_not_found => UserStoreError::UserNotFound,
                "email_address_already_used" if mapping.email_address_already_used => {
                    UserStoreError::EmailAddressAlreadyUsed
                }
                _ => failure(
                    action,
                    FailureKind::UnexpectedErrorCode,
                    format!("user server answered error {}", printable(&code)),
                ),
            }),
        }
    }

    async fn invoke_for_user<A: Serialize>(
        &self,
        action: &'static str,
        arguments: A,
        mapping: ErrorMapping,
    ) -> Result<User, UserStoreError> {
        self.invoke_mapped(action, arguments, mapping)
            .await
            .map(|UserValues(user)| user)
    }

    /// A user action without values: any `values` object will do.
    async fn invoke_without_values<A: Serialize>(
        &self,
        action: &'static str,
        arguments: A,
        mapping: ErrorMapping,
    ) -> Result<(), UserStoreError> {
        self.invoke_mapped(action, arguments, mapping)
            .await
            .map(|AnyValues| ())
    }
}

/// An error code as logged: at most 64 printable characters.
fn printable(code: &str) -> String {
    let cleaned: String = code.chars().filter(|c| !c.is_control()).take(64).collect();
    format!("{cleaned:?}")
}

/// An `/invoke` answer read as a user action's would be: `Ok(None)` for an error code.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn read_answer(body: &[u8]) -> Result<Option<User>, String> {
    match answer::read(body)? {
        Answer::Values(UserValues(user)) => Ok(Some(user)),
        Answer::Error(_) => Ok(None),
    }
}

#[async_trait]
impl UserStore for UserServerClient {
    async fn create_user(
        &self,
        email_address: &str,
        password: &PasswordHash,
    ) -> Result<User, UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            email_address: &'a str,
            password_hash: String,
            password_hash_algorithm_id: &'a str,
            password_salt: String,
        }
        let arguments = Arguments {
            email_address,
            password_hash: BASE64.encode(&password.hash),
            password_hash_algorithm_id: &password.algorithm_id,
            password_salt: BASE64.encode(&password.salt),
        };
        self.invoke_for_user("create_user", arguments, CREATE_USER)
            .await
    }

    async fn get_user(&self, user_id: &str) -> Result<User, UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            user_id: &'a str,
        }
        self.invoke_for_user("get_user", Arguments { user_id }, LOOKUP)
            .await
    }

    async fn get_user_by_email_address(&self, email_address: &str) -> Result<User, UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            email_address: &'a str,
        }
        self.invoke_for_user(
            "get_user_by_email_address",
            Arguments { email_address },
            LOOKUP,
        )
        .await
    }

    async fn update_user_email_address(
        &self,
        user_id: &str,
        email_address: &str,
        user_email_address_counter: i32,
    ) -> Result<(), UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            user_id: &'a str,
            email_address: &'a str,
            user_email_address_counter: i32,
        }
        let arguments = Arguments {
            user_id,
            email_address,
            user_email_address_counter,
        };
        self.invoke_without_values("update_user_email_address", arguments, UPDATE)
            .await
    }

    async fn update_user_password_hash(
        &self,
        user_id: &str,
        password: &PasswordHash,
        user_password_hash_counter: i32,
    ) -> Result<(), UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            user_id: &'a str,
            password_hash: String,
            password_hash_algorithm_id: &'a str,
            password_salt: String,
            user_password_hash_counter: i32,
        }
        let arguments = Arguments {
            user_id,
            password_hash: BASE64.encode(&password.hash),
            password_hash_algorithm_id: &password.algorithm_id,
            password_salt: BASE64.encode(&password.salt),
            user_password_hash_counter,
        };
        self.invoke_without_values("update_user_password_hash", arguments, UPDATE)
            .await
    }

    async fn increment_user_sessions_counter(
        &self,
        user_id: &str,
        user_sessions_counter: i32,
    ) -> Result<(), UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            user_id: &'a str,
            user_sessions_counter: i32,
        }
        let arguments = Arguments {
            user_id,
            user_sessions_counter,
        };
        self.invoke_without_values("increment_user_sessions_counter", arguments, UPDATE)
            .await
    }

    async fn delete_user(&self, user_id: &str) -> Result<(), UserStoreError> {
        #[derive(Serialize)]
        struct Arguments<'a> {
            user_id: &'a str,
        }
        self.invoke_without_values("delete_user", Arguments { user_id }, DELETE)
            .await
    }
}

/// The `/email` body: members in this order, empty ones left out.
#[derive(Serialize)]
struct EmailBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    email: &'a str,
    #[serde(rename = "displayName", skip_serializing_if = "str::is_empty")]
    display_name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    code: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    timestamp: String,
    #[serde(rename = "newEmail", skip_serializing_if = "str::is_empty")]
    new_email: &'a str,
}

/// Renders an instant as `March 5, 2025 09:07:03` (UTC, whole seconds).
pub fn format_email_timestamp(at: Timestamp) -> Result<String, String> {
    OffsetDateTime::from_unix_timestamp(at.unix_seconds())
        .map_err(|error| error.to_string())?
        .format(EMAIL_TIMESTAMP)
        .map_err(|error| error.to_string())
}

/// Encodes an e-mail as the `/email` body, with `<`, `>`, `&`, U+2028 and U+2029
/// escaped as `\u003c` and so on.
pub fn email_body(email: &Email) -> Result<String, String> {
    let stamp = |at: &Timestamp| format_email_timestamp(*at);
    let body = match email {
        Email::SignupVerification {
            email_address,
            code,
        } => EmailBody {
            kind: email.kind(),
            email: email_address,
            display_name: "",
            code,
            timestamp: String::new(),
            new_email: "",
        },
        Email::EmailUpdateVerification {
            email_address,
            display_name,
            code,
        } => EmailBody {
            kind: email.kind(),
            email: email_address,
            display_name,
            code,
            timestamp: String::new(),
            new_email: "",
        },
        Email::PasswordReset {
            email_address,
            display_name,
            temporary_password,
        } => EmailBody {
            kind: email.kind(),
            email: email_address,
            display_name,
            code: temporary_password,
            timestamp: String::new(),
            new_email: "",
        },
        Email::SigninNotification {
            email_address,
            display_name,
            signed_in_at: at,
        }
        | Email::PasswordUpdated {
            email_address,
            display_name,
            updated_at: at,
        } => EmailBody {
            kind: email.kind(),
            email: email_address,
            display_name,
            code: "",
            timestamp: stamp(at)?,
            new_email: "",
        },
        Email::EmailUpdated {
            email_address,
            display_name,
            new_email_address,
            updated_at,
        } => EmailBody {
            kind: email.kind(),
            email: email_address,
            display_name,
            code: "",
            timestamp: stamp(updated_at)?,
            new_email: new_email_address,
        },
    };
    let json = serde_json::to_string(&body).map_err(|error| error.to_string())?;
    let mut escaped = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            _ => escaped.push(c),
        }
    }
    Ok(escaped)
}

#[async_trait]
impl EmailSender for UserServerClient {
    async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let kind = email.kind();
        let body = email_body(email).map_err(|problem| {
            EmailError::new(
                FailureKind::BadAnswer,
                format!("{kind}: cannot encode: {problem}"),
            )
        })?;
        let (status, _) = self
            .post(&self.email_url, body.into_bytes())
            .await
            .map_err(|problem| EmailError(problem.during(kind)))?;
        if status != 200 {
            return Err(EmailError::new(
                FailureKind::BadAnswer,
                format!("{kind}: user server answered status {status}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn user_json() -> Value {
        json!({
            "id": "1_alice",
            "email_address": "alice@example.com",
            "password_hash": "AAEC",
            "password_hash_algorithm_id": "argon2id.3.65536.1.32",
            "password_salt": "AwQ=",
            "display_name": "",
            "disabled": false,
            "email_address_counter": 0,
            "password_hash_counter": 1,
            "disabled_counter": 2,
            "sessions_counter": 2147483647
        })
    }

    /// Reads `user` as `values.user` of a success answer.
    fn read_user(user: &Value) -> Result<User, String> {
        let body = json!({"ok": true, "action_invocation_id": "x", "values": {"user": user}});
        read_answer(body.to_string().as_bytes())?.ok_or_else(|| "no user".to_owned())
    }

    fn read_any(body: &str) -> Result<Answer<AnyValues>, String> {
        answer::read(body.as_bytes())
    }

    #[test]
    fn a_well_formed_user_is_read() {
        let user = read_user(&user_json()).expect("valid");
        assert_eq!(user.id, "1_alice");
        assert_eq!(user.email_address, "alice@example.com");
        assert_eq!(user.password_hash.hash, vec![0, 1, 2]);
        assert_eq!(user.password_hash.algorithm_id, "argon2id.3.65536.1.32");
        assert_eq!(user.password_hash.salt, vec![3, 4]);
        assert_eq!(user.display_name, "");
        assert!(!user.disabled);
        assert_eq!(user.email_address_counter, 0);
        assert_eq!(user.password_hash_counter, 1);
        assert_eq!(user.disabled_counter, 2);
        assert_eq!(user.sessions_counter, i32::MAX);
    }

    #[test]
    fn malformed_users_are_rejected() {
        let changes: Vec<(&str, Value)> = vec![
            ("id", json!(1)),
            ("display_name", Value::Null),
            ("disabled", json!("false")),
            ("disabled", json!(0)),
            ("email_address_counter", json!(1.0)),
            ("email_address_counter", json!(1e2)),
            ("password_hash_counter", json!(2147483648u64)),
            ("disabled_counter", json!(-2147483649i64)),
            ("sessions_counter", json!("1")),
            ("sessions_counter", json!(true)),
            ("password_hash", json!("AAEC\n")),
            ("password_hash", json!("AAE")),
            ("password_salt", json!("AwQ")),
            ("password_salt", json!("A*Q=")),
        ];
        for (field, value) in changes {
            let mut user = user_json();
            user[field] = value.clone();
            assert!(read_user(&user).is_err(), "{field} = {value} was accepted");
        }
        for field in ["id", "email_address", "disabled", "sessions_counter"] {
            let mut user = user_json();
            user.as_object_mut().map(|u| u.remove(field));
            assert!(read_user(&user).is_err(), "{field} missing");
        }
        assert!(read_user(&json!([])).is_err());
        assert!(read_user(&json!(["1_alice"])).is_err());
        let no_user = r#"{"ok":true,"action_invocation_id":"x","values":{}}"#;
        assert!(read_answer(no_user.as_bytes()).is_err());
    }

    #[test]
    fn users_are_read_as_json_documents_are() {
        // Escaped member names and values, unknown members of any type, and a
        // repeated member counting with its last value.
        let body = r#"{"action_invocation_id":"x","extra":[{"a":null}],"ok":true,
            "values":{"other":1,"user":{"\u0069d":"1_al\u00efce","email_address":"a@b.c",
            "password_hash":"AAEC","password_hash_algorithm_id":"x","password_salt":"AwQ=",
            "password_salt":"BQY=","display_name":"Ann","disabled":true,"note":{"n":[1,2]},
            "email_address_counter":-1,"password_hash_counter":0,"disabled_counter":0,
            "sessions_counter":0,"sessions_counter":7}}}"#;
        let user = read_answer(body.as_bytes())
            .expect("readable")
            .expect("a user");
        assert_eq!(user.id, "1_al\u{ef}ce");
        assert_eq!(user.password_hash.salt, vec![5, 6]);
        assert!(user.disabled);
        assert_eq!(user.email_address_counter, -1);
        assert_eq!(user.sessions_counter, 7);
    }

    #[test]
    fn envelopes_are_read_strictly() {
        assert!(matches!(
            read_any(r#"{"ok":true,"action_invocation_id":"x","values":{}}"#),
            Ok(Answer::Values(AnyValues))
        ));
        assert!(matches!(
            read_any(r#"{"ok":false,"action_invocation_id":"x","error_code":"user_not_found"}"#),
            Ok(Answer::Error(code)) if code == "user_not_found"
        ));
        // The member that does not apply may hold anything; an escaped code is decoded.
        assert!(matches!(
            read_any(r#"{"ok":false,"action_invocation_id":"x","values":[],"error_code":"user_\u006eot_found"}"#),
            Ok(Answer::Error(code)) if code == "user_not_found"
        ));
        assert!(matches!(
            read_any(
                r#" {"error_code":7,"ok":true,"action_invocation_id":"x","values":{"a":[1]}} "#
            ),
            Ok(Answer::Values(AnyValues))
        ));
        for body in [
            "",
            "garbage",
            "[]",
            "[true,\"x\",{}]",
            r#"{"ok":"true","action_invocation_id":"x","values":{}}"#,
            r#"{"action_invocation_id":"x","values":{}}"#,
            r#"{"ok":true,"values":{}}"#,
            r#"{"ok":true,"action_invocation_id":1,"values":{}}"#,
            r#"{"ok":true,"action_invocation_id":"x"}"#,
            r#"{"ok":true,"action_invocation_id":"x","values":[]}"#,
            r#"{"ok":true,"action_invocation_id":"x","values":"{}"}"#,
            r#"{"ok":false,"action_invocation_id":"x"}"#,
            r#"{"ok":false,"action_invocation_id":"x","error_code":null}"#,
            r#"{"ok":true,"action_invocation_id":"x","values":{},}"#,
        ] {
            assert!(read_any(body).is_err(), "{body} was accepted");
        }
        let invalid_utf8 =
            b"{\"ok\":true,\"action_invocation_id\":\"x\",\"values\":{},\"z\":\"\xff\"}";
        assert!(answer::read::<AnyValues>(invalid_utf8).is_err());
    }

    #[test]
    fn email_timestamps_use_the_long_month_format_in_utc() {
        // 2025-03-05T09:07:03.9Z
        let at = Timestamp::from_unix_nanos(1_741_165_623_900_000_000);
        assert_eq!(
            format_email_timestamp(at).as_deref(),
            Ok("March 5, 2025 09:07:03")
        );
        let at = Timestamp::from_unix_seconds(1_756_101_086);
        assert_eq!(
            format_email_timestamp(at).as_deref(),
            Ok("August 25, 2025 05:51:26")
        );
    }

    #[test]
    fn email_bodies_keep_member_order_and_omit_empty_members() {
        let body = email_body(&Email::SignupVerification {
            email_address: "a@b.c".to_owned(),
            code: "K7Q2MZ9D".to_owned(),
        });
        assert_eq!(
            body.as_deref(),
            Ok(r#"{"type":"signup_verification","email":"a@b.c","code":"K7Q2MZ9D"}"#)
        );
        let body = email_body(&Email::EmailUpdated {
            email_address: "old@x.y".to_owned(),
            display_name: "Ann".to_owned(),
            new_email_address: "new@x.y".to_owned(),
            updated_at: Timestamp::from_unix_seconds(1_756_101_086),
        });
        assert_eq!(
            body.as_deref(),
            Ok(
                r#"{"type":"email_updated","email":"old@x.y","displayName":"Ann","timestamp":"August 25, 2025 05:51:26","newEmail":"new@x.y"}"#
            )
        );
        let body = email_body(&Email::PasswordReset {
            email_address: "a&b@c.d".to_owned(),
            display_name: "<Ann>".to_owned(),
            temporary_password: "ABCDEFGHJKMN".to_owned(),
        });
        assert_eq!(
            body.as_deref(),
            Ok(
                r#"{"type":"password_reset","email":"a\u0026b@c.d","displayName":"\u003cAnn\u003e","code":"ABCDEFGHJKMN"}"#
            )
        );
    }
}
