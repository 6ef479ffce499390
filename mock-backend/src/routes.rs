//! The HTTP routes of the user server.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::actions::{
    error_code_for, error_envelope, new_action_invocation_id, success_envelope, UserActionName,
    UserActionRequest,
};
use crate::commands::command;
use crate::faults::{Fault, FaultTarget};
use crate::journal::UserActionCall;
use crate::json::{
    error_response, internal_error_response, json_response, non_empty_str, raw_json_response,
};
use crate::state::MockState;
use crate::store::StoreError;

/// The body a `malformed_json` fault answers with.
pub const MALFORMED_JSON_BODY: &str = r#"{"ok": tru"#;
/// The body a `wrong_envelope` fault answers with.
pub const WRONG_ENVELOPE_BODY: &str = r#"{"status": "ok"}"#;

/// The router of the user server, ready to embed or serve.
pub fn router(state: MockState) -> Router {
    Router::new()
        .route("/invoke", post(invoke))
        .route("/auth/invoke_user_action", post(invoke))
        .route("/email", post(email))
        .route("/command", post(command))
        .route("/auth/clear_tables", post(clear_tables))
        .route("/auth/prepare_user", post(prepare_user))
        .route("/health", get(health))
        .route("/", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(state)
}

/// Parses a request body that must be JSON; the error is the 400 message.
fn parse_json(body: &[u8]) -> Result<Value, &'static str> {
    serde_json::from_slice::<Value>(body).map_err(|_| "Invalid JSON body")
}

/// Parses a request body that must be a JSON object; the error is the 400 message.
pub(crate) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match parse_json(body)? {
        Value::Object(object) => Ok(object),
        _ => Err("Request body must be a JSON object"),
    }
}

pub(crate) fn bad_request(message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, message)
}

async fn invoke(State(state): State<MockState>, body: Bytes) -> Response {
    let object = match parse_json(&body) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return bad_request("Invalid request object"),
        Err(message) => return bad_request(message),
    };
    state.journal().record_call(UserActionCall {
        action: object.get("action").cloned().unwrap_or(Value::Null),
        arguments: object.get("arguments").cloned().unwrap_or(Value::Null),
    });
    let action = object
        .get("action")
        .and_then(Value::as_str)
        .and_then(|name| name.parse::<UserActionName>().ok());
    let action_invocation_id = new_action_invocation_id();
    // Faults come before validation, as in the Python reference server.
    let fault = action.and_then(|action| state.faults().get(FaultTarget::UserAction(action)));
    if let Some(fault) = fault {
        tracing::info!(action = action.map_or("", UserActionName::as_str), %action_invocation_id, ?fault, "injecting fault");
        match fault {
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            Fault::ErrorCode(code) => {
                return json_response(
                    StatusCode::OK,
                    &error_envelope(&action_invocation_id, &code),
                )
            }
            other => return fault_response(&other),
        }
    }
    let Some(action_name) = object.get("action").and_then(Value::as_str) else {
        return bad_request("Missing or invalid 'action' field");
    };
    let Some(arguments) = object.get("arguments").and_then(Value::as_object) else {
        return bad_request("Missing or invalid 'arguments' field");
    };
    let Some(action) = action else {
        tracing::warn!(action = action_name, "unknown user action");
        return bad_request(&format!("Unknown action {action_name}"));
    };
    let request = match UserActionRequest::parse(action, arguments) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(%action, %error, "invalid user action arguments");
            return bad_request(&error.to_string());
        }
    };
    match request.execute(state.store()).await {
        Ok(user) => {
            tracing::info!(%action, %action_invocation_id, user_id = user.as_ref().map(|user| user.id.as_str()), "user action succeeded");
            json_response(
                StatusCode::OK,
                &success_envelope(&action_invocation_id, user.as_ref()),
            )
        }
        Err(StoreError::Task(error)) => {
            tracing::error!(%action, %action_invocation_id, %error, "user action task failed");
            internal_error_response()
        }
        Err(error) => {
            let error_code = error_code_for(&error);
            if let StoreError::Database(_) = error {
                tracing::error!(%action, %action_invocation_id, %error, "user action failed");
            } else {
                tracing::info!(%action, %action_invocation_id, error_code, "user action refused");
            }
            json_response(
                StatusCode::OK,
                &error_envelope(&action_invocation_id, error_code),
            )
        }
    }
}

/// The answer of a fault that replaces the whole response (not `delay`, not `error_code`).
fn fault_response(fault: &Fault) -> Response {
    match fault {
        Fault::MalformedJson => raw_json_response(StatusCode::OK, MALFORMED_JSON_BODY),
        Fault::WrongEnvelope => raw_json_response(StatusCode::OK, WRONG_ENVELOPE_BODY),
        Fault::ErrorCode(code) => error_response(StatusCode::INTERNAL_SERVER_ERROR, code),
        Fault::Http500 | Fault::Delay(_) => internal_error_response(),
    }
}

async fn email(State(state): State<MockState>, body: Bytes) -> Response {
    let object = match parse_object(&body) {
        Ok(object) => object,
        Err(message) => return bad_request(message),
    };
    let (Some(kind), Some(recipient)) = (
        non_empty_str(object.get("type")),
        non_empty_str(object.get("email")),
    ) else {
        return bad_request("Missing type or email");
    };
    let kind = kind.to_owned();
    let recipient = recipient.to_owned();
    let code = non_empty_str(object.get("code")).map(str::to_owned);
    state.journal().record_email(Value::Object(object));
    if let Some(fault) = state.faults().get(FaultTarget::Email) {
        tracing::info!(email_type = kind, ?fault, "injecting fault");
        match fault {
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            other => return fault_response(&other),
        }
    }
    if let Some(code) = code {
        state.journal().store_token(&kind, &recipient, &code);
        tracing::info!(email_type = kind, "stored e-mail code");
    } else {
        tracing::info!(email_type = kind, "received e-mail");
    }
    json_response(StatusCode::OK, &json!({"success": true}))
}

async fn clear_tables(State(state): State<MockState>) -> Response {
    match state.store().delete_all_users().await {
        Ok(()) => json_response(StatusCode::OK, &json!({})),
        Err(error) => {
            tracing::error!(%error, "could not clear the user table");
            internal_error_response()
        }
    }
}

async fn prepare_user() -> Response {
    json_response(StatusCode::OK, &json!({}))
}

async fn health() -> Response {
    raw_json_response(StatusCode::OK, r#"{"status":"ok"}"#)
}

/// GET and POST of an unknown path answer 404; other methods 501, as the Python server does.
async fn not_found(method: Method) -> Response {
    if method == Method::GET || method == Method::POST {
        error_response(StatusCode::NOT_FOUND, "Not Found")
    } else {
        error_response(
            StatusCode::NOT_IMPLEMENTED,
            &format!("Unsupported method ('{method}')"),
        )
    }
}
