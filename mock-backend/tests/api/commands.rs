//! The `/command` vocabulary, apart from tokens (see email.rs) and faults (see faults.rs).

use serde_json::json;

use crate::helpers::{assert_action_ok, assert_error, spawn};

#[tokio::test]
async fn missing_and_unknown_commands_answer_400() {
    let backend = spawn().await;
    assert_error(&backend.command(json!({})).await, 400, "Missing command");
    assert_error(
        &backend.command(json!({"command": ""})).await,
        400,
        "Missing command",
    );
    assert_error(
        &backend.command(json!({"command": null})).await,
        400,
        "Missing command",
    );
    assert_error(
        &backend.command(json!({"command": "explode"})).await,
        400,
        "Unknown command: explode",
    );
    assert_error(
        &backend.command(json!({"command": 5})).await,
        400,
        "Unknown command: 5",
    );
    assert_error(
        &backend.command(json!({"command": true})).await,
        400,
        "Unknown command: True",
    );
}

#[tokio::test]
async fn get_users_lists_users_in_creation_order() {
    let backend = spawn().await;
    let zed = backend.create_user("zed@example.com").await;
    let amy = backend.create_user("amy@example.com").await;
    let answer = backend.command(json!({"command": "get_users"})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json, json!({"users": [zed, amy]}));
    let library_users = backend.backend.users().await.expect("users are listed");
    let ids: Vec<&str> = library_users.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(ids, ["1_zed", "1_amy"]);
    assert_eq!(library_users[0].password_hash, b"hash");
}

#[tokio::test]
async fn update_user_sets_disabled_and_display_name() {
    let backend = spawn().await;
    backend.create_user("nina@example.com").await;
    let answer = backend
        .command(json!({"command": "update_user", "user_id": "1_nina", "disabled": true, "display_name": "Nina"}))
        .await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"success": true}"#)
    );
    let user = assert_action_ok(&backend.get_user("1_nina").await)["user"].clone();
    assert_eq!(user["disabled"], json!(true));
    assert_eq!(user["display_name"], json!("Nina"));
    assert_eq!(user["disabled_counter"], json!(1));
    // Setting the same value again does not move the counter.
    backend
        .command(json!({"command": "update_user", "user_id": "1_nina", "disabled": true}))
        .await;
    // Only the display name: the counter stays.
    backend
        .command(json!({"command": "update_user", "user_id": "1_nina", "display_name": ""}))
        .await;
    let user = assert_action_ok(&backend.get_user("1_nina").await)["user"].clone();
    assert_eq!(user["disabled_counter"], json!(1));
    assert_eq!(user["display_name"], json!(""));
    backend
        .command(json!({"command": "update_user", "user_id": "1_nina", "disabled": false}))
        .await;
    let user = assert_action_ok(&backend.get_user("1_nina").await)["user"].clone();
    assert_eq!(
        (user["disabled"].clone(), user["disabled_counter"].clone()),
        (json!(false), json!(2))
    );
}

#[tokio::test]
async fn update_user_rejects_unknown_users_and_bad_fields() {
    let backend = spawn().await;
    backend.create_user("omar@example.com").await;
    assert_error(
        &backend
            .command(json!({"command": "update_user", "user_id": "1_nobody", "disabled": true}))
            .await,
        404,
        "User not found",
    );
    assert_error(
        &backend
            .command(json!({"command": "update_user", "disabled": true}))
            .await,
        400,
        "Missing user_id",
    );
    assert_error(
        &backend
            .command(json!({"command": "update_user", "user_id": "", "disabled": true}))
            .await,
        400,
        "Missing user_id",
    );
    assert_error(
        &backend
            .command(json!({"command": "update_user", "user_id": "1_omar", "disabled": 1}))
            .await,
        400,
        "Invalid disabled: must be a boolean",
    );
    assert_error(
        &backend
            .command(json!({"command": "update_user", "user_id": "1_omar", "display_name": 1}))
            .await,
        400,
        "Invalid display_name: must be a string",
    );
    let user = &backend.users().await[0];
    assert_eq!(
        (user["disabled"].clone(), user["disabled_counter"].clone()),
        (json!(false), json!(0))
    );
}

#[tokio::test]
async fn clear_all_resets_users_tokens_journal_and_faults_but_not_numbering() {
    let backend = spawn().await;
    backend.create_user("pat@example.com").await;
    backend
        .post(
            "/email",
            &json!({"type": "signup_verification", "email": "pat@example.com", "code": "X"}),
        )
        .await;
    backend
        .command(
            json!({"command": "set_fault", "target": "get_user", "fault": {"kind": "http_500"}}),
        )
        .await;
    let answer = backend.command(json!({"command": "clear_all"})).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"success": true}"#)
    );
    assert!(backend.users().await.is_empty());
    assert!(backend.backend.emails().is_empty());
    assert!(backend.backend.calls().is_empty());
    assert_eq!(
        backend
            .backend
            .take_token("signup_verification", "pat@example.com"),
        None
    );
    assert_eq!(
        backend.create_user("pat@example.com").await["id"],
        json!("2_pat")
    );
    assert_action_ok(&backend.get_user("2_pat").await);
}
