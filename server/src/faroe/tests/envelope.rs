use serde_json::{json, Value};

use crate::faroe::endpoint::{ActionRequest, ACTION_NAMES};
use crate::faroe::testing::Harness;

async fn raw(harness: &Harness, body: &str) -> Result<String, String> {
    harness
        .faroe
        .invoke(body.as_bytes())
        .await
        .map_err(|rejected| rejected.to_string())
}

/// The hashing queue admits by this name, so an escaped one must read the same.
#[test]
fn an_escaped_action_name_names_its_action() {
    let body = br#"{"action":"create_user_password_rese\u0074","arguments":{"user_email_address":"a@b.c"}}"#;
    let request = ActionRequest::parse(body).map_err(|rejected| rejected.to_string());
    assert_eq!(
        request.map(|request| request.action()),
        Ok("create_user_password_reset")
    );
}

#[tokio::test]
async fn malformed_envelopes_are_rejected_before_any_action_runs() {
    let harness = Harness::new();
    for body in [
        "",
        "x",
        "[]",
        "null",
        r#"{"a":1} x"#,
        r#"{"arguments":{}}"#,
        r#"{"action":1,"arguments":{}}"#,
        r#"{"action":"get_session"}"#,
        r#"{"action":"get_session","arguments":null}"#,
        r#"{"action":"get_session","arguments":[]}"#,
        r#"{"action":"nope","arguments":{}}"#,
        r#"{"action":"Get_Session","arguments":{"session_token":"a.b"}}"#,
        r#"{"action":"get_session","arguments":{}}"#,
        r#"{"action":"get_session","arguments":{"session_token":1}}"#,
        r#"{"action":"get_session","arguments":{"session_token":null}}"#,
        r#"{"action":"get_session","arguments":{"session_token":"a.b",}}"#,
        r#"{"action":"get_session","action":"get_session","arguments":{"session_token":"a.b"}}"#,
        r#"{"action":"get_session","arguments":{"session_token":"a.b","session_token":"c.d"}}"#,
        r#"{"x":{"y":1,"y":2},"action":"get_session","arguments":{"session_token":"a.b"}}"#,
        r#"{"action":"get_session","arguments":{"session_token":"a.b","x":{"y":1,"y":2}}}"#,
        r#"{"action":"get_session","arguments":{"session_token":"a.b","x":[{"y":1,"y":2}]}}"#,
        r#"{"action":"get_session","arguments":{"session_token":{"a":"b"}}}"#,
        r#"{"action":"get_session","arguments":{"session_token":["a.b"]}}"#,
        r#"{"action":"get_session","arguments":{"session_token":"a.b","x":1,"\u0078":2}}"#,
        "\u{feff}{\"action\":\"get_session\",\"arguments\":{\"session_token\":\"a.b\"}}",
    ] {
        assert!(raw(&harness, body).await.is_err(), "accepted {body:?}");
    }
    assert!(harness.users.calls().is_empty());
    assert!(harness.storage.keys().is_empty());
}

#[tokio::test]
async fn invalid_utf8_is_rejected() {
    let harness = Harness::new();
    let mut body = br#"{"action":"get_session","arguments":{"session_token":""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""}}"#);
    assert!(harness.faroe.invoke(&body).await.is_err());
    // Also inside a member no action reads.
    let mut body = br#"{"unused":""#.to_vec();
    body.extend_from_slice(&[0xc3, 0x28]);
    body.extend_from_slice(br#"","action":"get_session","arguments":{"session_token":"a.b"}}"#);
    assert!(harness.faroe.invoke(&body).await.is_err());
}

#[tokio::test]
async fn extra_members_and_unused_numbers_are_accepted() {
    let harness = Harness::new();
    let body = r#"{"extra":[-1,2.5e3],"action":"get_session","arguments":{"session_token":"a.b","x":-7},"action_invocation_id":"mine"}"#;
    let response: Value =
        serde_json::from_str(&raw(&harness, body).await.expect("accepted")).expect("JSON");
    assert_eq!(response["error_code"], "invalid_session_token");
    assert_ne!(response["action_invocation_id"], "mine");
}

#[tokio::test]
async fn escaped_arguments_are_read_decoded() {
    let harness = Harness::new();
    let body = r#"{"action":"create_signup","arguments":{"email_address":"ann\u0040example.com"}}"#;
    let response: Value =
        serde_json::from_str(&raw(&harness, body).await.expect("accepted")).expect("JSON");
    assert_eq!(
        response["values"]["signup"]["email_address"], "ann@example.com",
        "{response}"
    );
}

#[tokio::test]
async fn responses_are_compact_with_members_in_contract_order() {
    let harness = Harness::new();
    let failure = raw(
        &harness,
        r#"{"action":"get_signup","arguments":{"signup_token":"x.y"}}"#,
    )
    .await
    .expect("accepted");
    let id = &failure[36..60];
    assert_eq!(
        failure,
        format!(
            r#"{{"ok":false,"action_invocation_id":"{id}","error_code":"invalid_signup_token"}}"#
        )
    );
    assert!(id
        .bytes()
        .all(|b| crate::faroe::credentials::LOWERCASE_ALPHABET.contains(&b)));

    let success = raw(
        &harness,
        r#"{"action":"create_signup","arguments":{"email_address":"a@b.c"}}"#,
    )
    .await
    .expect("accepted");
    let response: Value = serde_json::from_str(&success).expect("JSON");
    let signup_id = response["values"]["signup"]["id"].as_str().expect("id");
    let token = response["values"]["signup_token"].as_str().expect("token");
    let invocation_id = response["action_invocation_id"].as_str().expect("id");
    assert_eq!(
        success,
        format!(
            concat!(
                r#"{{"ok":true,"action_invocation_id":"{}","values":{{"signup":{{"id":"{}","#,
                r#""unregistered_user_id":"","email_address":"a@b.c","email_address_verified":false,"#,
                r#""password_set":false,"created_at":1700000000,"expires_at":1700001200}},"#,
                r#""signup_token":"{}"}}}}"#
            ),
            invocation_id, signup_id, token
        )
    );
}

#[tokio::test]
async fn each_invocation_gets_its_own_id() {
    let harness = Harness::new();
    let first = harness
        .invoke("get_session", json!({ "session_token": "a.b" }))
        .await;
    let second = harness
        .invoke("get_session", json!({ "session_token": "a.b" }))
        .await;
    assert_ne!(
        first["action_invocation_id"],
        second["action_invocation_id"]
    );
}

#[test]
fn action_names_are_unique() {
    let mut names = ACTION_NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ACTION_NAMES.len());
}

/// Log output of the current thread, for the test that reads it.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_internal_error_is_logged_once_with_action_invocation_id_and_cause() {
    use crate::faroe::records::{SignupRecord, TokenRecord};
    use crate::faroe::testing::StorageOp;
    use crate::storage::StorageError;

    let harness = Harness::new();
    let created = harness
        .ok(
            "create_signup",
            json!({ "email_address": "ann@example.com" }),
        )
        .await;
    let token = created["signup_token"].as_str().expect("token").to_owned();
    let failure = StorageError::Failure("disk on fire".into());
    harness
        .storage
        .fail(StorageOp::Get, SignupRecord::PREFIX, 0, failure);

    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let answer = {
        let _guard = tracing::subscriber::set_default(subscriber);
        harness
            .invoke("get_signup", json!({ "signup_token": token }))
            .await
    };
    assert_eq!(answer["error_code"], "internal_error", "{answer}");
    let id = answer["action_invocation_id"].as_str().expect("id");
    let text = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    let errors: Vec<&str> = text.lines().filter(|line| line.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "{text}");
    let line = errors[0];
    for expected in [
        "action=\"get_signup\"",
        &format!("action_invocation_id={id}"),
        "source=\"storage\"",
        "storage failure: disk on fire",
    ] {
        assert!(
            line.contains(expected),
            "{expected:?} missing from {line:?}"
        );
    }
    let secret = token.split_once('.').expect("a token").1;
    assert!(
        !text.contains(secret),
        "the token's secret was logged: {text}"
    );
}
