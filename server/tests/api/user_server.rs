//! What the server sends the user server, and how it copes when the user server fails.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{
    action_error, error_code, is_ok, mount_empty_user_server, mount_one_user_server, spawn_app,
    spawn_app_with, user_server_on, TestApp, SHORT_TIMEOUT,
};

const EMAIL: &str = "alice@example.com";
const PASSWORD: &str = "correct horse battery staple";

fn ok_values(answer: &Value) -> &Value {
    assert!(is_ok(answer), "{answer}");
    &answer["values"]
}

/// The member names of a JSON object, in the order they were sent.
fn keys(object: &Value) -> Vec<&str> {
    object
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_full_signup_and_signin_send_exactly_these_requests() {
    let app = spawn_app().await;
    mount_one_user_server(&app.user_server).await;

    // Signup.
    let answer = app
        .invoke("create_signup", json!({ "email_address": EMAIL }))
        .await;
    let signup_token = ok_values(&answer)["signup_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let emails = app.received("/email").await;
    assert_eq!(emails.len(), 1);
    let email: Value = serde_json::from_str(&emails[0]).expect("JSON");
    let code = email["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(
        emails[0],
        format!(r#"{{"type":"signup_verification","email":"{EMAIL}","code":"{code}"}}"#)
    );
    let answer = app
        .invoke(
            "verify_signup_email_address_verification_code",
            json!({ "signup_token": signup_token, "email_address_verification_code": code }),
        )
        .await;
    ok_values(&answer);
    let answer = app
        .invoke(
            "set_signup_password",
            json!({ "signup_token": signup_token, "password": PASSWORD }),
        )
        .await;
    ok_values(&answer);
    let answer = app
        .invoke("complete_signup", json!({ "signup_token": signup_token }))
        .await;
    assert!(ok_values(&answer)["session_token"].is_string(), "{answer}");

    // Signin, an hour later.
    app.clock.advance(std::time::Duration::from_secs(3600));
    let answer = app
        .invoke("create_signin", json!({ "user_email_address": EMAIL }))
        .await;
    let signin_token = ok_values(&answer)["signin_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let answer = app
        .invoke(
            "verify_signin_user_password",
            json!({ "signin_token": signin_token, "password": PASSWORD }),
        )
        .await;
    ok_values(&answer);
    let answer = app
        .invoke("complete_signin", json!({ "signin_token": signin_token }))
        .await;
    let session_token = ok_values(&answer)["session_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let answer = app
        .invoke("get_session", json!({ "session_token": session_token }))
        .await;
    assert_eq!(ok_values(&answer)["session"]["user_id"], "1_alice");

    // What the user server saw on /invoke.
    let invokes = app.received("/invoke").await;
    let lookup_by_email = format!(
        r#"{{"action":"get_user_by_email_address","arguments":{{"email_address":"{EMAIL}"}}}}"#
    );
    let get_user = r#"{"action":"get_user","arguments":{"user_id":"1_alice"}}"#.to_owned();
    assert_eq!(invokes[0], lookup_by_email, "create_signup");
    let create_user: Value = serde_json::from_str(&invokes[1]).expect("JSON");
    assert_eq!(keys(&create_user), ["action", "arguments"]);
    assert_eq!(create_user["action"], "create_user");
    let arguments = &create_user["arguments"];
    assert_eq!(
        keys(arguments),
        [
            "email_address",
            "password_hash",
            "password_hash_algorithm_id",
            "password_salt"
        ]
    );
    let hash = arguments["password_hash"].as_str().expect("hash");
    let salt = arguments["password_salt"].as_str().expect("salt");
    assert_eq!(BASE64.decode(hash).map(|b| b.len()), Ok(32));
    assert_eq!(BASE64.decode(salt).map(|b| b.len()), Ok(16));
    assert_eq!(
        invokes[1],
        format!(
            r#"{{"action":"create_user","arguments":{{"email_address":"{EMAIL}","password_hash":"{hash}","password_hash_algorithm_id":"argon2id.3.65536.1.32","password_salt":"{salt}"}}}}"#
        )
    );
    let expected_rest = [
        lookup_by_email.clone(), // create_signin
        get_user.clone(),        // verify_signin_user_password
        get_user.clone(),        // complete_signin
        get_user.clone(),        // get_session
    ];
    assert_eq!(invokes[2..], expected_rest);

    // And on /email: the code, then the signin notification at the manual clock's time.
    let emails = app.received("/email").await;
    assert_eq!(
        emails[1..],
        [format!(
            r#"{{"type":"signin_notification","email":"{EMAIL}","displayName":"Alice","timestamp":"March 5, 2025 10:07:03"}}"#
        )]
    );
    // Every request carried the JSON content type.
    for request in app
        .user_server
        .received_requests()
        .await
        .unwrap_or_default()
    {
        assert_eq!(request.headers["content-type"], "application/json");
    }
}

async fn create_signup(app: &TestApp) -> Value {
    app.invoke(
        "create_signup",
        json!({ "email_address": "bob@example.com" }),
    )
    .await
}

async fn assert_alive(app: &TestApp) {
    let response = app
        .http
        .get(app.url("/alive"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

/// Runs create_signup against a faulty user server (installed by the caller), checks the
/// `internal_error` and that `/alive` still answers, then heals the user server and
/// checks the next action succeeds.
async fn fails_then_recovers(app: &TestApp) {
    let answer = create_signup(app).await;
    assert_eq!(answer["ok"], json!(false));
    assert_eq!(error_code(&answer), Some("internal_error"), "{answer}");
    assert_alive(app).await;
    app.user_server.reset().await;
    mount_empty_user_server(&app.user_server).await;
    let answer = create_signup(app).await;
    assert!(is_ok(&answer), "{answer}");
}

#[tokio::test]
async fn a_user_server_answering_500_is_an_internal_error() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&app.user_server)
        .await;
    fails_then_recovers(&app).await;
}

#[tokio::test]
async fn a_user_server_answering_garbage_is_an_internal_error() {
    for garbage in [
        "not json",
        "[]",
        r#"{"ok":true}"#,
        r#"{"ok":false,"action_invocation_id":"x"}"#,
        r#"{"ok":true,"action_invocation_id":"x","values":{"user":{"id":"1"}}}"#,
    ] {
        let app = spawn_app().await;
        Mock::given(method("POST"))
            .and(path("/invoke"))
            .respond_with(ResponseTemplate::new(200).set_body_string(garbage))
            .mount(&app.user_server)
            .await;
        fails_then_recovers(&app).await;
    }
}

#[tokio::test]
async fn an_unknown_error_code_is_an_internal_error() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("email_address_already_used"))
        .mount(&app.user_server)
        .await;
    // get_user_by_email_address maps only user_not_found.
    fails_then_recovers(&app).await;
}

#[tokio::test]
async fn a_slow_user_server_times_out_without_blocking_other_requests() {
    let app = spawn_app_with(|config| config.user_server_timeout = SHORT_TIMEOUT).await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found").set_delay(SHORT_TIMEOUT * 20))
        .mount(&app.user_server)
        .await;
    let started = std::time::Instant::now();
    let (slow, ()) = tokio::join!(create_signup(&app), async {
        // Served while the slow action waits.
        assert_alive(&app).await;
        let answer = app
            .invoke("get_session", json!({ "session_token": "x" }))
            .await;
        assert_eq!(error_code(&answer), Some("invalid_session_token"));
    });
    assert_eq!(error_code(&slow), Some("internal_error"), "{slow}");
    assert!(
        started.elapsed() < SHORT_TIMEOUT * 10,
        "the timeout applied"
    );
    app.user_server.reset().await;
    mount_empty_user_server(&app.user_server).await;
    assert!(is_ok(&create_signup(&app).await));
}

#[tokio::test]
async fn a_user_server_that_is_down_is_an_internal_error() {
    // A port on 127.0.0.2 that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.2:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let app = spawn_app_with(|config| {
        config.private_port = port;
        config.user_server_timeout = SHORT_TIMEOUT;
    })
    .await;
    let answer = create_signup(&app).await;
    assert_eq!(error_code(&answer), Some("internal_error"), "{answer}");
    assert_alive(&app).await;
    // The user server comes up: the next action works.
    let user_server = user_server_on(port).await;
    mount_empty_user_server(&user_server).await;
    assert!(is_ok(&create_signup(&app).await));
}

#[tokio::test]
async fn a_failed_code_email_is_an_internal_error() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found"))
        .mount(&app.user_server)
        .await;
    Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.user_server)
        .await;
    let answer = create_signup(&app).await;
    assert_eq!(error_code(&answer), Some("internal_error"), "{answer}");
}

/// A well-formed "no such user" answer padded with an unused member to `size` bytes:
/// accepted when small, refused once it passes the answer limit.
fn padded_user_not_found(size: usize) -> ResponseTemplate {
    let head =
        r#"{"ok":false,"action_invocation_id":"test","error_code":"user_not_found","padding":""#;
    let mut body = String::with_capacity(size);
    body.push_str(head);
    body.push_str(&"a".repeat(size.saturating_sub(head.len() + 2)));
    body.push_str("\"}");
    ResponseTemplate::new(200).set_body_string(body)
}

#[tokio::test]
async fn a_user_server_answer_up_to_the_limit_is_read() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(padded_user_not_found(
            tiauth_faroe::backend::MAX_ANSWER_BYTES,
        ))
        .mount(&app.user_server)
        .await;
    Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&app.user_server)
        .await;
    let answer = create_signup(&app).await;
    assert!(is_ok(&answer), "{answer}");
}

#[tokio::test]
async fn a_user_server_answer_over_the_limit_is_an_internal_error() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(padded_user_not_found(
            tiauth_faroe::backend::MAX_ANSWER_BYTES + 1,
        ))
        .mount(&app.user_server)
        .await;
    Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&app.user_server)
        .await;
    fails_then_recovers(&app).await;
}

#[tokio::test]
async fn an_e_mail_answer_over_the_limit_is_an_internal_error() {
    let app = spawn_app().await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found"))
        .mount(&app.user_server)
        .await;
    Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("x".repeat(tiauth_faroe::backend::MAX_ANSWER_BYTES + 1)),
        )
        .mount(&app.user_server)
        .await;
    fails_then_recovers(&app).await;
}
