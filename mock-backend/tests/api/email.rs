//! `POST /email` and the stored codes read back with `get_token`.

use serde_json::json;

use crate::helpers::{assert_error, spawn};

#[tokio::test]
async fn code_emails_are_stored_and_popped_once() {
    let backend = spawn().await;
    let answer = backend
        .post(
            "/email",
            &json!({"type": "signup_verification", "email": "a@b.c", "code": "K7Q2MZ9D"}),
        )
        .await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"success": true}"#)
    );
    let get = json!({"command": "get_token", "action": "signup_verification", "email": "a@b.c"});
    let first = backend.command(get.clone()).await;
    assert_eq!(
        (first.status, first.text.as_str()),
        (200, r#"{"found": true, "code": "K7Q2MZ9D"}"#)
    );
    let second = backend.command(get).await;
    assert_eq!(
        (second.status, second.text.as_str()),
        (200, r#"{"found": false}"#)
    );
}

#[tokio::test]
async fn a_later_email_overwrites_and_types_are_separate() {
    let backend = spawn().await;
    for (kind, code) in [
        ("signup_verification", "AAAAAAAA"),
        ("signup_verification", "BBBBBBBB"),
        ("password_reset", "CCCCCCCCCCCC"),
    ] {
        let answer = backend
            .post(
                "/email",
                &json!({"type": kind, "email": "x@y.z", "code": code}),
            )
            .await;
        assert_eq!(answer.status, 200);
    }
    assert_eq!(
        backend
            .backend
            .take_token("signup_verification", "x@y.z")
            .as_deref(),
        Some("BBBBBBBB")
    );
    assert_eq!(
        backend
            .backend
            .take_token("password_reset", "x@y.z")
            .as_deref(),
        Some("CCCCCCCCCCCC")
    );
    assert_eq!(
        backend.backend.take_token("signup_verification", "X@y.z"),
        None
    );
}

#[tokio::test]
async fn emails_without_code_are_journaled_but_not_stored() {
    let backend = spawn().await;
    let notification = json!({"type": "email_updated", "email": "old@x.y", "displayName": "Ann",
                              "timestamp": "August 25, 2025 05:51:26", "newEmail": "new@x.y"});
    let empty_code = json!({"type": "signin_notification", "email": "old@x.y", "code": ""});
    let with_code =
        json!({"type": "email_update_verification", "email": "new@x.y", "code": "ZZZZZZZZ"});
    for body in [&notification, &empty_code, &with_code] {
        assert_eq!(backend.post("/email", body).await.status, 200);
    }
    let answer = backend.command(json!({"command": "get_emails"})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json,
        json!({"emails": [notification, empty_code, with_code]})
    );
    assert_eq!(backend.backend.emails().len(), 3);
    assert_eq!(backend.backend.take_token("email_updated", "old@x.y"), None);
    assert_eq!(
        backend.backend.take_token("signin_notification", "old@x.y"),
        None
    );
    assert_eq!(
        backend
            .backend
            .take_token("email_update_verification", "new@x.y")
            .as_deref(),
        Some("ZZZZZZZZ")
    );
}

#[tokio::test]
async fn escaped_addresses_are_decoded_before_storing() {
    let backend = spawn().await;
    let answer = backend
        .post_raw(
            "/email",
            r#"{"type":"signup_verification","email":"a\u0026b@c.d","code":"QQQQQQQQ"}"#,
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        backend
            .backend
            .take_token("signup_verification", "a&b@c.d")
            .as_deref(),
        Some("QQQQQQQQ")
    );
}

#[tokio::test]
async fn missing_type_or_email_answers_400_and_records_nothing() {
    let backend = spawn().await;
    for body in [
        json!({"email": "a@b.c", "code": "X"}),
        json!({"type": "signup_verification", "code": "X"}),
        json!({"type": "", "email": "a@b.c", "code": "X"}),
        json!({"type": "signup_verification", "email": "", "code": "X"}),
        json!({"type": null, "email": "a@b.c"}),
        json!({"type": 3, "email": "a@b.c"}),
        json!({}),
    ] {
        assert_error(
            &backend.post("/email", &body).await,
            400,
            "Missing type or email",
        );
    }
    assert!(backend.backend.emails().is_empty());
}

#[tokio::test]
async fn get_token_needs_action_and_email() {
    let backend = spawn().await;
    for body in [
        json!({"command": "get_token", "email": "a@b.c"}),
        json!({"command": "get_token", "action": "signup_verification"}),
        json!({"command": "get_token", "action": "", "email": "a@b.c"}),
    ] {
        assert_error(&backend.command(body).await, 400, "Missing action or email");
    }
}

#[tokio::test]
async fn clear_tokens_forgets_every_code() {
    let backend = spawn().await;
    backend
        .post(
            "/email",
            &json!({"type": "password_reset", "email": "a@b.c", "code": "C"}),
        )
        .await;
    let answer = backend.command(json!({"command": "clear_tokens"})).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (200, r#"{"success": true}"#)
    );
    let answer = backend
        .command(json!({"command": "get_token", "action": "password_reset", "email": "a@b.c"}))
        .await;
    assert_eq!(answer.json, json!({"found": false}));
    // The journal keeps the e-mail itself.
    assert_eq!(backend.backend.emails().len(), 1);
}
