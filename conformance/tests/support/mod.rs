//! What the property and fault tests share: the contract's action table (arguments
//! and reachable error codes, docs/protocol.md §4 as changed by §15), invoking an action,
//! and reading its outcome.
#![allow(dead_code)]

use anyhow::{anyhow, bail, Context};
use conformance::redact::is_id;
use conformance::target::Target;
use serde_json::{json, Value};

/// Reachable from every action.
pub const INTERNAL_ERROR: &str = "internal_error";

const SIGNUP: &str = "invalid_signup_token";
const SIGNIN: &str = "invalid_signin_token";
const SESSION: &str = "invalid_session_token";
const EMAIL_UPDATE: &str = "invalid_user_email_address_update_token";
const PASSWORD_UPDATE: &str = "invalid_password_update_token";
const DELETION: &str = "invalid_user_deletion_token";
const RESET: &str = "invalid_user_password_reset_token";

/// One action of the contract.
pub struct ActionSpec {
    pub name: &'static str,
    /// Every argument, in the order the contract lists them; all are strings.
    pub arguments: &'static [&'static str],
    /// The error codes it can answer besides `internal_error` (docs/protocol.md §4.9 with §15).
    pub codes: &'static [&'static str],
}

macro_rules! spec {
    ($name:literal, [$($arg:literal),*], [$($code:expr),*]) => {
        ActionSpec { name: $name, arguments: &[$($arg),*], codes: &[$($code),*] }
    };
}

/// The 39 actions.
pub const ACTIONS: &[ActionSpec] = &[
    spec!(
        "create_signup",
        ["email_address"],
        [
            "invalid_email_address",
            "email_address_already_used",
            "email_address_not_allowed",
            "rate_limited",
            "internal_conflict"
        ]
    ),
    spec!("get_signup", ["signup_token"], [SIGNUP]),
    spec!("delete_signup", ["signup_token"], [SIGNUP]),
    spec!(
        "send_signup_email_address_verification_code",
        ["signup_token"],
        [
            SIGNUP,
            "email_address_already_verified",
            "rate_limited",
            "internal_conflict"
        ]
    ),
    spec!(
        "verify_signup_email_address_verification_code",
        ["signup_token", "email_address_verification_code"],
        [
            SIGNUP,
            "email_address_already_verified",
            "rate_limited",
            "incorrect_email_address_verification_code",
            "internal_conflict"
        ]
    ),
    spec!(
        "set_signup_password",
        ["signup_token", "password"],
        [
            SIGNUP,
            "email_address_not_verified",
            "password_already_set",
            "invalid_password_length",
            "weak_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "complete_signup",
        ["signup_token"],
        [
            SIGNUP,
            "email_address_not_verified",
            "password_not_set",
            "internal_conflict",
            "session_not_created"
        ]
    ),
    spec!(
        "create_signin",
        ["user_email_address"],
        ["invalid_email_address", "user_not_found", "user_disabled"]
    ),
    spec!("get_signin", ["signin_token"], [SIGNIN]),
    spec!("delete_signin", ["signin_token"], [SIGNIN]),
    spec!(
        "verify_signin_user_password",
        ["signin_token", "password"],
        [
            SIGNIN,
            "user_first_factor_already_verified",
            "rate_limited",
            "incorrect_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "complete_signin",
        ["signin_token"],
        [SIGNIN, "user_first_factor_not_verified"]
    ),
    spec!("get_session", ["session_token"], [SESSION]),
    spec!("delete_session", ["session_token"], [SESSION]),
    spec!(
        "delete_all_sessions",
        ["session_token"],
        [SESSION, "internal_conflict"]
    ),
    spec!(
        "create_user_email_address_update",
        ["session_token", "new_email_address"],
        [
            "invalid_email_address",
            SESSION,
            "email_address_already_used",
            "email_address_not_allowed",
            "rate_limited",
            "internal_conflict"
        ]
    ),
    spec!(
        "get_user_email_address_update",
        ["session_token", "user_email_address_update_token"],
        [SESSION, EMAIL_UPDATE, "session_mismatch"]
    ),
    spec!(
        "delete_user_email_address_update",
        ["session_token", "user_email_address_update_token"],
        [SESSION, EMAIL_UPDATE, "session_mismatch"]
    ),
    spec!(
        "send_user_email_address_update_email_address_verification_code",
        ["session_token", "user_email_address_update_token"],
        [
            SESSION,
            EMAIL_UPDATE,
            "session_mismatch",
            "email_address_already_verified",
            "rate_limited",
            "internal_conflict"
        ]
    ),
    spec!(
        "verify_user_email_address_update_email_address_verification_code",
        [
            "session_token",
            "user_email_address_update_token",
            "email_address_verification_code"
        ],
        [
            SESSION,
            EMAIL_UPDATE,
            "session_mismatch",
            "email_address_already_verified",
            "rate_limited",
            "incorrect_email_address_verification_code",
            "internal_conflict"
        ]
    ),
    spec!(
        "verify_user_email_address_update_user_password",
        [
            "session_token",
            "user_email_address_update_token",
            "password"
        ],
        [
            SESSION,
            EMAIL_UPDATE,
            "session_mismatch",
            "email_address_not_verified",
            "user_identity_already_verified",
            "rate_limited",
            "incorrect_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "complete_user_email_address_update",
        ["session_token", "user_email_address_update_token"],
        [
            SESSION,
            EMAIL_UPDATE,
            "session_mismatch",
            "email_address_not_verified",
            "user_identity_not_verified",
            "internal_conflict"
        ]
    ),
    spec!("create_user_password_update", ["session_token"], [SESSION]),
    spec!(
        "get_user_password_update",
        ["session_token", "user_password_update_token"],
        [SESSION, PASSWORD_UPDATE, "session_mismatch"]
    ),
    spec!(
        "delete_user_password_update",
        ["session_token", "user_password_update_token"],
        [SESSION, PASSWORD_UPDATE, "session_mismatch"]
    ),
    spec!(
        "verify_user_password_update_user_password",
        ["session_token", "user_password_update_token", "password"],
        [
            SESSION,
            PASSWORD_UPDATE,
            "session_mismatch",
            "user_identity_already_verified",
            "rate_limited",
            "incorrect_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "set_user_password_update_new_password",
        ["session_token", "user_password_update_token", "password"],
        [
            SESSION,
            PASSWORD_UPDATE,
            "session_mismatch",
            "user_identity_not_verified",
            "new_password_already_set",
            "invalid_password_length",
            "weak_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "complete_user_password_update",
        ["session_token", "user_password_update_token"],
        [
            SESSION,
            PASSWORD_UPDATE,
            "session_mismatch",
            "user_identity_not_verified",
            "new_password_not_set",
            "internal_conflict"
        ]
    ),
    spec!("create_user_deletion", ["session_token"], [SESSION]),
    spec!(
        "get_user_deletion",
        ["session_token", "user_deletion_token"],
        [SESSION, DELETION, "session_mismatch"]
    ),
    spec!(
        "delete_user_deletion",
        ["session_token", "user_deletion_token"],
        [SESSION, DELETION, "session_mismatch"]
    ),
    spec!(
        "verify_user_deletion_user_password",
        ["session_token", "user_deletion_token", "password"],
        [
            SESSION,
            DELETION,
            "session_mismatch",
            "user_identity_already_verified",
            "rate_limited",
            "incorrect_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "complete_user_deletion",
        ["session_token", "user_deletion_token"],
        [
            SESSION,
            DELETION,
            "session_mismatch",
            "user_identity_not_verified",
            "internal_conflict"
        ]
    ),
    spec!(
        "create_user_password_reset",
        ["user_email_address"],
        [
            "invalid_email_address",
            "user_not_found",
            "user_disabled",
            "rate_limited",
            "internal_conflict"
        ]
    ),
    spec!(
        "get_user_password_reset",
        ["user_password_reset_token"],
        [RESET]
    ),
    spec!(
        "delete_user_password_reset",
        ["user_password_reset_token"],
        [RESET]
    ),
    spec!(
        "verify_user_password_reset_temporary_password",
        ["user_password_reset_token", "temporary_password"],
        [
            RESET,
            "user_first_factor_already_verified",
            "rate_limited",
            "incorrect_temporary_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "set_user_password_reset_new_password",
        ["user_password_reset_token", "password"],
        [
            RESET,
            "user_first_factor_not_verified",
            "new_password_already_set",
            "invalid_password_length",
            "weak_password",
            "internal_conflict"
        ]
    ),
    spec!(
        "complete_user_password_reset",
        ["user_password_reset_token"],
        [
            RESET,
            "user_first_factor_not_verified",
            "new_password_not_set",
            "internal_conflict",
            "session_not_created"
        ]
    ),
];

pub fn action_spec(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|spec| spec.name == name)
}

/// Checks that a 200 body is a well-formed result of `action` (docs/protocol.md §2.3): exactly the
/// members `ok`, `action_invocation_id` and `values` or `error_code`, in that order;
/// an id of the documented shape; an error code the action can answer.
pub fn check_result(action: &str, body: &str) -> anyhow::Result<Value> {
    check_result_of(Some(action), body)
}

/// As [`check_result`], for a result of an action not known (any documented code).
pub fn check_result_of(action: Option<&str>, body: &str) -> anyhow::Result<Value> {
    let action = action.unwrap_or("some action");
    let value: Value =
        serde_json::from_str(body).with_context(|| format!("{action}: not JSON: {body:?}"))?;
    let Value::Object(members) = &value else {
        bail!("{action}: not an object: {body}");
    };
    let keys: Vec<&str> = members.keys().map(String::as_str).collect();
    let id = members.get("action_invocation_id").and_then(Value::as_str);
    if !id.is_some_and(is_id) {
        bail!("{action}: action_invocation_id is not a 24-symbol id: {body}");
    }
    match members.get("ok") {
        Some(Value::Bool(true)) => {
            if keys != ["ok", "action_invocation_id", "values"] || !value["values"].is_object() {
                bail!("{action}: malformed success: {body}");
            }
        }
        Some(Value::Bool(false)) => {
            if keys != ["ok", "action_invocation_id", "error_code"] {
                bail!("{action}: malformed failure: {body}");
            }
            let code = value["error_code"].as_str().unwrap_or_default();
            let known = match action_spec(action) {
                Some(spec) => spec.codes.contains(&code),
                None => ACTIONS.iter().any(|spec| spec.codes.contains(&code)),
            };
            if code != INTERNAL_ERROR && !known {
                bail!("{action}: error code {code:?} is not one it can answer: {body}");
            }
        }
        _ => bail!("{action}: `ok` is not a boolean: {body}"),
    }
    Ok(value)
}

/// `Ok(())` or the error code of a well-formed result.
pub fn outcome(result: &Value) -> Result<(), String> {
    if result["ok"] == Value::Bool(true) {
        Ok(())
    } else {
        Err(result["error_code"].as_str().unwrap_or_default().to_owned())
    }
}

/// Invokes `action` and returns its result, which must be a well-formed HTTP 200.
pub async fn invoke(
    target: &Target,
    action: &str,
    arguments: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let arguments: serde_json::Map<String, Value> = arguments
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String((*value).to_owned())))
        .collect();
    let body = json!({ "action": action, "arguments": arguments }).to_string();
    let answer = target.request("POST", "/", body).await?;
    if answer.status != 200 {
        bail!("{action} answered HTTP {} {:?}", answer.status, answer.body);
    }
    check_result(action, &answer.body)
}

/// Reads (and removes) the code the server last e-mailed of `kind` to `email`.
pub async fn read_code(target: &Target, kind: &str, email: &str) -> anyhow::Result<String> {
    let answer = target
        .command(json!({ "command": "get_token", "action": kind, "email": email }))
        .await?;
    answer["code"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no {kind} e-mail with a code to {email}: {answer}"))
}

/// The user server's users, oldest first.
pub async fn users(target: &Target) -> anyhow::Result<Vec<Value>> {
    let answer = target.command(json!({ "command": "get_users" })).await?;
    answer["users"]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow!("get_users answered {answer}"))
}

/// `GET /alive` answers 200 `{"status":"alive"}`.
pub async fn check_alive(target: &Target) -> anyhow::Result<()> {
    let answer = target.request("GET", "/alive", String::new()).await?;
    if answer.status != 200 || answer.body != r#"{"status":"alive"}"# {
        bail!("GET /alive answered {} {:?}", answer.status, answer.body);
    }
    Ok(())
}
