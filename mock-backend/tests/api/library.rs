//! The Rust API tests use to drive a backend without HTTP.

use std::net::{Ipv4Addr, SocketAddr};

use mock_backend::{router, MockBackend, MockState, StoreError};
use serde_json::json;

use crate::helpers::{spawn, HASH_B64};

#[tokio::test]
async fn the_handle_exposes_journal_users_and_tokens() {
    let backend = spawn().await;
    assert!(backend.backend.url().starts_with("http://127.0.0.1:"));
    assert_ne!(backend.backend.addr().port(), 0);
    backend.create_user("uma@example.com").await;
    backend
        .post(
            "/email",
            &json!({"type": "signup_verification", "email": "uma@example.com", "code": "C0DE"}),
        )
        .await;
    let calls = backend.backend.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, json!("create_user"));
    assert_eq!(calls[0].arguments["password_hash"], json!(HASH_B64));
    assert_eq!(backend.backend.emails()[0]["code"], json!("C0DE"));
    assert_eq!(
        backend
            .backend
            .take_token("signup_verification", "uma@example.com")
            .as_deref(),
        Some("C0DE")
    );
    assert_eq!(
        backend
            .backend
            .take_token("signup_verification", "uma@example.com"),
        None
    );

    backend
        .backend
        .update_user("1_uma", Some(true), Some("Uma"))
        .await
        .expect("user updated");
    let users = backend.backend.users().await.expect("users listed");
    assert_eq!(
        (
            users[0].disabled,
            users[0].display_name.as_str(),
            users[0].disabled_counter
        ),
        (true, "Uma", 1)
    );
    assert!(matches!(
        backend
            .backend
            .update_user("1_nobody", Some(true), None)
            .await,
        Err(StoreError::UserNotFound)
    ));

    backend.backend.clear().await.expect("cleared");
    assert!(backend
        .backend
        .users()
        .await
        .expect("users listed")
        .is_empty());
    assert!(backend.backend.calls().is_empty());
    assert!(backend.backend.emails().is_empty());
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let backend = MockBackend::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("backend starts");
    let url = format!("{}/health", backend.url());
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    assert_eq!(
        client
            .get(&url)
            .send()
            .await
            .expect("answered")
            .status()
            .as_u16(),
        200
    );
    drop(client);
    backend.shutdown().await.expect("clean shutdown");
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    assert!(fresh.get(&url).send().await.is_err());
}

#[tokio::test]
async fn binding_a_used_address_fails() {
    let first = MockBackend::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("backend starts");
    let error = MockBackend::start(first.addr())
        .await
        .expect_err("the port is taken");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
}

#[tokio::test]
async fn the_router_can_be_embedded() {
    let state = MockState::in_memory().expect("state");
    let app = axum::Router::new().nest("/backend", router(state.clone()));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bound");
    let addr = listener.local_addr().expect("address");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    let body = client
        .post(format!("http://{addr}/backend/email"))
        .body(r#"{"type": "password_reset", "email": "e@x.y", "code": "Z"}"#)
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    assert_eq!(body, r#"{"success": true}"#);
    assert_eq!(
        state.take_token("password_reset", "e@x.y").as_deref(),
        Some("Z")
    );
    server.abort();
}

#[tokio::test]
async fn a_database_file_keeps_users_across_restarts() {
    let path = std::env::temp_dir().join(format!(
        "mock-backend-library-test-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let backend = MockBackend::start_with_database_file(addr, &path)
        .await
        .expect("starts");
    backend
        .update_user("1_x", Some(true), None)
        .await
        .expect_err("no such user yet");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    let answer = client
        .post(format!("{}/invoke", backend.url()))
        .body(r#"{"action": "create_user", "arguments": {"email_address": "vic@example.com", "password_hash": "", "password_hash_algorithm_id": "a", "password_salt": ""}}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status().as_u16(), 200);
    drop(client);
    backend.shutdown().await.expect("clean shutdown");
    let again = MockBackend::start_with_database_file(addr, &path)
        .await
        .expect("restarts");
    let users = again.users().await.expect("users listed");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id, "1_vic");
    drop(again);
    let _ = std::fs::remove_file(&path);
}
