//! Per-client rate limits over HTTP: clients told apart by the X-Forwarded-For header
//! of a trusted proxy (the test client on 127.0.0.1 plays the proxy).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};
use tiauth_faroe::client_address::ClientAddressSource;
use tiauth_faroe::faroe::passwords::PasswordHasher;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{spawn_app_with, TestApp};

const PASSWORD: &str = "correct horse battery";

/// A user server with one user, `x@example.com`, whose password is `PASSWORD`.
async fn mount_user_x(app: &TestApp) {
    let hash = PasswordHasher::with_default_params(1)
        .hash_user_password(PASSWORD)
        .await
        .expect("hash");
    let user = json!({
        "id": "1_x",
        "email_address": "x@example.com",
        "password_hash": BASE64.encode(&hash.hash),
        "password_hash_algorithm_id": hash.algorithm_id,
        "password_salt": BASE64.encode(&hash.salt),
        "display_name": "X",
        "disabled": false,
        "email_address_counter": 0,
        "password_hash_counter": 0,
        "disabled_counter": 0,
        "sessions_counter": 0,
    });
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "action_invocation_id": "test",
            "values": { "user": user },
        })))
        .mount(&app.user_server)
        .await;
}

async fn invoke_as(app: &TestApp, forwarded_for: &str, action: &str, arguments: Value) -> Value {
    let response = app
        .http
        .post(app.url("/"))
        .header("X-Forwarded-For", forwarded_for)
        .body(json!({ "action": action, "arguments": arguments }).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// A signin of `x@example.com` and one password attempt, as `forwarded_for`.
async fn attempt(app: &TestApp, forwarded_for: &str, password: &str) -> String {
    let created = invoke_as(
        app,
        forwarded_for,
        "create_signin",
        json!({ "user_email_address": "x@example.com" }),
    )
    .await;
    let token = created["values"]["signin_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no signin: {created}"))
        .to_owned();
    let answer = invoke_as(
        app,
        forwarded_for,
        "verify_signin_user_password",
        json!({ "signin_token": token, "password": password }),
    )
    .await;
    answer["error_code"].as_str().unwrap_or("ok").to_owned()
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_have_their_own_attempts() {
    let app = spawn_app_with(|config| {
        config.client_ip_source =
            ClientAddressSource::parse("x-forwarded-for", "127.0.0.1").expect("valid");
    })
    .await;
    mount_user_x(&app).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, "203.0.113.1", "wrong password!").await,
            "incorrect_password"
        );
    }
    assert_eq!(attempt(&app, "203.0.113.1", PASSWORD).await, "rate_limited");
    // Naming another client first does not help: the proxy appended the real one.
    assert_eq!(
        attempt(&app, "203.0.113.2, 203.0.113.1", PASSWORD).await,
        "rate_limited"
    );
    assert_eq!(attempt(&app, "203.0.113.2", PASSWORD).await, "ok");
}

#[tokio::test]
async fn without_client_addresses_one_bucket_serves_everybody() {
    let app = spawn_app_with(|_| {}).await;
    mount_user_x(&app).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, "203.0.113.1", "wrong password!").await,
            "incorrect_password"
        );
    }
    assert_eq!(attempt(&app, "203.0.113.2", PASSWORD).await, "rate_limited");
}
