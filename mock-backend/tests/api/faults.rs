//! Fault injection on user actions and on `/email`.

use std::time::{Duration, Instant};

use mock_backend::{Fault, FaultTarget, UserActionName};
use serde_json::{json, Value};

use crate::helpers::{
    assert_action_error, assert_action_ok, assert_error, spawn, Answer, TestBackend, HASH_B64,
    SALT_B64,
};

async fn set_fault(backend: &TestBackend, target: &str, fault: Value) {
    let answer = backend
        .command(json!({"command": "set_fault", "target": target, "fault": fault}))
        .await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"success": true}"#)
    );
}

async fn increment(backend: &TestBackend, counter: i64) -> Answer {
    backend
        .invoke(
            "increment_user_sessions_counter",
            json!({"user_id": "1_quinn", "user_sessions_counter": counter}),
        )
        .await
}

async fn sessions_counter(backend: &TestBackend) -> Value {
    backend.users().await[0]["sessions_counter"].clone()
}

/// Checks the answer a replacing fault gives on a user action.
fn assert_faulted(answer: &Answer, kind: &str) {
    match kind {
        "error_code" => assert_action_error(answer, "internal_error"),
        "http_500" => assert_error(answer, 500, "Internal Server Error"),
        "malformed_json" => {
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (200, r#"{"ok": tru"#)
            );
        }
        "wrong_envelope" => {
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (200, r#"{"status": "ok"}"#)
            );
        }
        other => panic!("no such fault kind {other}"),
    }
}

fn fault_json(kind: &str) -> Value {
    match kind {
        "error_code" => json!({"kind": "error_code", "error_code": "internal_error"}),
        other => json!({"kind": other}),
    }
}

const REPLACING_KINDS: [&str; 4] = ["error_code", "http_500", "malformed_json", "wrong_envelope"];

#[tokio::test]
async fn user_action_faults_answer_as_told_and_change_nothing() {
    let backend = spawn().await;
    backend.create_user("quinn@example.com").await;
    for kind in REPLACING_KINDS {
        set_fault(
            &backend,
            "increment_user_sessions_counter",
            fault_json(kind),
        )
        .await;
        // Twice: a fault stays until cleared.
        assert_faulted(&increment(&backend, 0).await, kind);
        assert_faulted(&increment(&backend, 0).await, kind);
        assert_eq!(sessions_counter(&backend).await, json!(0), "{kind}");
        // Other actions are untouched.
        assert_action_ok(&backend.get_user("1_quinn").await);
        let cleared = backend.command(json!({"command": "clear_faults"})).await;
        assert_eq!(
            (cleared.status, cleared.text.as_str()),
            (200, r#"{"success": true}"#)
        );
    }
    assert_action_ok(&increment(&backend, 0).await);
    assert_eq!(sessions_counter(&backend).await, json!(1));
}

#[tokio::test]
async fn faulted_creates_create_nothing_and_consume_no_id() {
    let backend = spawn().await;
    let create = json!({"email_address": "rita@example.com", "password_hash": HASH_B64,
                        "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64});
    for kind in REPLACING_KINDS {
        set_fault(&backend, "create_user", fault_json(kind)).await;
        assert_faulted(&backend.invoke("create_user", create.clone()).await, kind);
    }
    assert!(backend.users().await.is_empty());
    backend.command(json!({"command": "clear_faults"})).await;
    assert_eq!(
        backend.create_user("rita@example.com").await["id"],
        json!("1_rita")
    );
}

#[tokio::test]
async fn error_code_faults_carry_any_code() {
    let backend = spawn().await;
    backend.create_user("sam@example.com").await;
    set_fault(
        &backend,
        "get_user",
        json!({"kind": "error_code", "error_code": "user_not_found"}),
    )
    .await;
    assert_action_error(&backend.get_user("1_sam").await, "user_not_found");
    set_fault(
        &backend,
        "get_user",
        json!({"kind": "error_code", "error_code": "unexpected_error"}),
    )
    .await;
    assert_action_error(&backend.get_user("1_sam").await, "unexpected_error");
}

#[tokio::test]
async fn a_delay_fault_delays_then_answers_normally() {
    let backend = spawn().await;
    backend.create_user("quinn@example.com").await;
    set_fault(
        &backend,
        "increment_user_sessions_counter",
        json!({"kind": "delay", "milliseconds": 300}),
    )
    .await;
    let started = Instant::now();
    let answer = increment(&backend, 0).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_action_ok(&answer);
    assert_eq!(sessions_counter(&backend).await, json!(1));
}

#[tokio::test]
async fn email_faults_answer_as_told_and_store_no_code() {
    let backend = spawn().await;
    let email = json!({"type": "signup_verification", "email": "a@b.c", "code": "K7Q2MZ9D"});
    set_fault(
        &backend,
        "email",
        json!({"kind": "error_code", "error_code": "smtp_down"}),
    )
    .await;
    assert_error(&backend.post("/email", &email).await, 500, "smtp_down");
    set_fault(&backend, "email", json!({"kind": "http_500"})).await;
    assert_error(
        &backend.post("/email", &email).await,
        500,
        "Internal Server Error",
    );
    set_fault(&backend, "email", json!({"kind": "malformed_json"})).await;
    let answer = backend.post("/email", &email).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"ok": tru"#)
    );
    set_fault(&backend, "email", json!({"kind": "wrong_envelope"})).await;
    let answer = backend.post("/email", &email).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"status": "ok"}"#)
    );
    assert_eq!(
        backend.backend.take_token("signup_verification", "a@b.c"),
        None
    );
    // The journal still shows each attempt.
    assert_eq!(backend.backend.emails().len(), 4);
    // User actions are untouched by an e-mail fault.
    backend.create_user("a@b.c").await;
}

#[tokio::test]
async fn an_email_delay_fault_delays_then_stores_the_code() {
    let backend = spawn().await;
    set_fault(
        &backend,
        "email",
        json!({"kind": "delay", "milliseconds": 300}),
    )
    .await;
    let started = Instant::now();
    let answer = backend
        .post(
            "/email",
            &json!({"type": "password_reset", "email": "a@b.c", "code": "CODE"}),
        )
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"success": true}"#)
    );
    assert_eq!(
        backend
            .backend
            .take_token("password_reset", "a@b.c")
            .as_deref(),
        Some("CODE")
    );
}

#[tokio::test]
async fn faults_apply_before_argument_validation_and_calls_are_journaled() {
    let backend = spawn().await;
    set_fault(&backend, "delete_user", json!({"kind": "http_500"})).await;
    let answer = backend
        .post("/invoke", &json!({"action": "delete_user"}))
        .await;
    assert_error(&answer, 500, "Internal Server Error");
    let answer = backend.invoke("delete_user", json!({"user_id": 5})).await;
    assert_error(&answer, 500, "Internal Server Error");
    // Without a fault the same requests are refused as invalid.
    backend.command(json!({"command": "clear_faults"})).await;
    let answer = backend.invoke("delete_user", json!({"user_id": 5})).await;
    assert_error(&answer, 400, "Invalid or missing 'user_id' field");
    let calls = backend.command(json!({"command": "get_calls"})).await;
    assert_eq!(
        calls.json,
        json!({"calls": [
            {"action": "delete_user", "arguments": null},
            {"action": "delete_user", "arguments": {"user_id": 5}},
            {"action": "delete_user", "arguments": {"user_id": 5}},
        ]})
    );
}

#[tokio::test]
async fn invalid_fault_commands_answer_400() {
    let backend = spawn().await;
    let kind = "Invalid fault: kind must be one of error_code, http_500, malformed_json, wrong_envelope, delay";
    let milliseconds = "Invalid fault: milliseconds must be a non-negative integer";
    for (body, message) in [
        (
            json!({"command": "set_fault", "fault": {"kind": "http_500"}}),
            "Unknown fault target: None",
        ),
        (
            json!({"command": "set_fault", "target": "create_signup", "fault": {"kind": "http_500"}}),
            "Unknown fault target: create_signup",
        ),
        (json!({"command": "set_fault", "target": "email"}), kind),
        (
            json!({"command": "set_fault", "target": "email", "fault": {"kind": "boom"}}),
            kind,
        ),
        (
            json!({"command": "set_fault", "target": "email", "fault": {"kind": "error_code"}}),
            "Invalid fault: error_code must be a non-empty string",
        ),
        (
            json!({"command": "set_fault", "target": "email", "fault": {"kind": "delay", "milliseconds": "5"}}),
            milliseconds,
        ),
        (
            json!({"command": "set_fault", "target": "email", "fault": {"kind": "delay", "milliseconds": -5}}),
            milliseconds,
        ),
    ] {
        assert_error(&backend.command(body).await, 400, message);
    }
}

#[tokio::test]
async fn faults_set_through_the_library_apply_and_clear() {
    let backend = spawn().await;
    backend.create_user("tom@example.com").await;
    backend.backend.set_fault(
        FaultTarget::UserAction(UserActionName::GetUser),
        Fault::ErrorCode("internal_error".to_owned()),
    );
    backend
        .backend
        .set_fault(FaultTarget::Email, Fault::Http500);
    assert_action_error(&backend.get_user("1_tom").await, "internal_error");
    let email = json!({"type": "password_reset", "email": "tom@example.com", "code": "C"});
    assert_eq!(backend.post("/email", &email).await.status, 500);
    backend.backend.clear_faults();
    assert_action_ok(&backend.get_user("1_tom").await);
    assert_eq!(backend.post("/email", &email).await.status, 200);
}
