//! Every route and the status codes that are not specific to one user action.

use serde_json::json;

use crate::helpers::{assert_action_ok, assert_error, spawn};

#[tokio::test]
async fn health_and_root_answer_status_ok() {
    let backend = spawn().await;
    for path in ["/health", "/"] {
        let response = backend
            .client
            .get(backend.url(path))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/json")
        );
        assert_eq!(response.text().await.expect("body"), r#"{"status":"ok"}"#);
    }
}

#[tokio::test]
async fn unknown_routes_answer_404_and_other_methods_501() {
    let backend = spawn().await;
    assert_error(&backend.get("/nope").await, 404, "Not Found");
    assert_error(&backend.post_raw("/nope", "{}").await, 404, "Not Found");
    assert_error(&backend.get("/invoke").await, 404, "Not Found");
    assert_error(&backend.get("/command").await, 404, "Not Found");
    assert_error(&backend.post_raw("/health", "").await, 404, "Not Found");
    let put = backend
        .send(backend.client.put(backend.url("/invoke")).body("{}"))
        .await;
    assert_error(&put, 501, "Unsupported method ('PUT')");
}

#[tokio::test]
async fn prepare_user_answers_an_empty_object() {
    let backend = spawn().await;
    let answer = backend.post_raw("/auth/prepare_user", "").await;
    assert_eq!((answer.status, answer.text.as_str()), (200, "{}"));
}

#[tokio::test]
async fn clear_tables_deletes_every_user_without_reusing_ids() {
    let backend = spawn().await;
    backend.create_user("alice@example.com").await;
    backend.create_user("bob@example.com").await;
    let answer = backend.post_raw("/auth/clear_tables", "").await;
    assert_eq!((answer.status, answer.text.as_str()), (200, "{}"));
    assert!(backend.users().await.is_empty());
    let user = backend.create_user("alice@example.com").await;
    assert_eq!(user["id"], json!("2_alice"));
}

#[tokio::test]
async fn both_invoke_paths_serve_user_actions() {
    let backend = spawn().await;
    let created = backend.create_user("alice@example.com").await;
    let answer = backend
        .post(
            "/auth/invoke_user_action",
            &json!({"action": "get_user", "arguments": {"user_id": "1_alice"}}),
        )
        .await;
    let values = assert_action_ok(&answer);
    assert_eq!(values["user"], created);
}

#[tokio::test]
async fn responses_are_written_like_python_json_dumps() {
    let backend = spawn().await;
    backend.create_user("zoë@example.com").await;
    let answer = backend.get_user("1_zoë").await;
    assert!(answer
        .text
        .starts_with(r#"{"ok": true, "action_invocation_id": ""#));
    assert!(
        answer.text.contains(
            r#""values": {"user": {"id": "1_zo\u00eb", "email_address": "zo\u00eb@example.com", "password_hash": "aGFzaA==", "password_hash_algorithm_id": "argon2id", "password_salt": "c2FsdA==", "disabled": false, "display_name": "", "email_address_counter": 0, "password_hash_counter": 0, "disabled_counter": 0, "sessions_counter": 0}}}"#
        ),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn invalid_invoke_envelopes_answer_400() {
    let backend = spawn().await;
    for path in ["/invoke", "/auth/invoke_user_action"] {
        assert_error(&backend.post_raw(path, "{").await, 400, "Invalid JSON body");
        assert_error(&backend.post_raw(path, "").await, 400, "Invalid JSON body");
        assert_error(
            &backend
                .post_raw(path, r#"{"action": "get_user", "arguments": {},}"#)
                .await,
            400,
            "Invalid JSON body",
        );
        assert_error(
            &backend.post_raw(path, "[1, 2]").await,
            400,
            "Invalid request object",
        );
        assert_error(
            &backend.post(path, &json!({"arguments": {}})).await,
            400,
            "Missing or invalid 'action' field",
        );
        assert_error(
            &backend
                .post(path, &json!({"action": 7, "arguments": {}}))
                .await,
            400,
            "Missing or invalid 'action' field",
        );
        assert_error(
            &backend.post(path, &json!({"action": "get_user"})).await,
            400,
            "Missing or invalid 'arguments' field",
        );
        assert_error(
            &backend
                .post(path, &json!({"action": "get_user", "arguments": []}))
                .await,
            400,
            "Missing or invalid 'arguments' field",
        );
        assert_error(
            &backend
                .post(path, &json!({"action": "create_signup", "arguments": {}}))
                .await,
            400,
            "Unknown action create_signup",
        );
    }
}

#[tokio::test]
async fn invalid_bodies_on_email_and_command_answer_400() {
    let backend = spawn().await;
    for path in ["/email", "/command"] {
        assert_error(
            &backend.post_raw(path, "not json").await,
            400,
            "Invalid JSON body",
        );
        assert_error(
            &backend.post_raw(path, r#""text""#).await,
            400,
            "Request body must be a JSON object",
        );
    }
}

#[tokio::test]
async fn invalid_utf8_is_rejected_without_harm() {
    let backend = spawn().await;
    let answer = backend
        .send(
            backend
                .client
                .post(backend.url("/invoke"))
                .body(vec![b'{', 0xff, 0xfe, b'}']),
        )
        .await;
    assert_error(&answer, 400, "Invalid JSON body");
    assert_eq!(backend.get("/health").await.status, 200);
}
