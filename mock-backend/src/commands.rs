//! `POST /command`: the test and management vocabulary shared with the Python reference server.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::faults::{Fault, FaultTarget};
use crate::json::{
    error_response, internal_error_response, is_truthy, json_response, non_empty_str, python_str,
};
use crate::routes::{bad_request, parse_object};
use crate::state::MockState;
use crate::store::{StoreError, User};

pub(crate) async fn command(State(state): State<MockState>, body: Bytes) -> Response {
    let object = match parse_object(&body) {
        Ok(object) => object,
        Err(message) => return bad_request(message),
    };
    let name = object.get("command");
    if !is_truthy(name) {
        return bad_request("Missing command");
    }
    match name.and_then(Value::as_str) {
        Some("get_token") => get_token(&state, &object),
        Some("clear_tokens") => {
            state.journal().clear_tokens();
            success()
        }
        Some("get_emails") => ok(json!({"emails": state.emails()})),
        Some("get_calls") => {
            let calls: Vec<Value> = state.calls().iter().map(|call| call.to_json()).collect();
            ok(json!({"calls": calls}))
        }
        Some("get_users") => match state.users().await {
            Ok(users) => ok(json!({"users": users.iter().map(User::to_json).collect::<Vec<_>>()})),
            Err(error) => {
                tracing::error!(%error, "could not list users");
                internal_error_response()
            }
        },
        Some("update_user") => update_user(&state, &object).await,
        Some("set_fault") => set_fault(&state, &object),
        Some("clear_faults") => {
            state.clear_faults();
            success()
        }
        Some("clear_all") => match state.clear().await {
            Ok(()) => success(),
            Err(error) => {
                tracing::error!(%error, "could not clear the state");
                internal_error_response()
            }
        },
        _ => bad_request(&format!("Unknown command: {}", python_str(name))),
    }
}

fn ok(value: Value) -> Response {
    json_response(StatusCode::OK, &value)
}

fn success() -> Response {
    ok(json!({"success": true}))
}

fn get_token(state: &MockState, object: &Map<String, Value>) -> Response {
    let (Some(kind), Some(email)) = (
        non_empty_str(object.get("action")),
        non_empty_str(object.get("email")),
    ) else {
        return bad_request("Missing action or email");
    };
    match state.take_token(kind, email) {
        Some(code) => ok(json!({"found": true, "code": code})),
        None => ok(json!({"found": false})),
    }
}

async fn update_user(state: &MockState, object: &Map<String, Value>) -> Response {
    let Some(user_id) = non_empty_str(object.get("user_id")) else {
        return bad_request("Missing user_id");
    };
    let disabled = match object.get("disabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(disabled)) => Some(*disabled),
        Some(_) => return bad_request("Invalid disabled: must be a boolean"),
    };
    let display_name = match object.get("display_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.as_str()),
        Some(_) => return bad_request("Invalid display_name: must be a string"),
    };
    match state.update_user(user_id, disabled, display_name).await {
        Ok(()) => success(),
        Err(StoreError::UserNotFound) => error_response(StatusCode::NOT_FOUND, "User not found"),
        Err(error) => {
            tracing::error!(%error, "could not update a user");
            internal_error_response()
        }
    }
}

fn set_fault(state: &MockState, object: &Map<String, Value>) -> Response {
    let target_value = object.get("target");
    let Some(target) = target_value
        .and_then(Value::as_str)
        .and_then(|target| target.parse::<FaultTarget>().ok())
    else {
        return bad_request(&format!(
            "Unknown fault target: {}",
            python_str(target_value)
        ));
    };
    let fault = match Fault::from_json(object.get("fault").unwrap_or(&Value::Null)) {
        Ok(fault) => fault,
        Err(error) => return bad_request(&error.to_string()),
    };
    tracing::info!(%target, ?fault, "fault set");
    state.set_fault(target, fault);
    success()
}
