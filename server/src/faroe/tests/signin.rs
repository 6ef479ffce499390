use std::time::Duration;

use serde_json::{json, Value};

use super::{SessionRecord, SigninRecord, TokenRecord};
use crate::faroe::clock::Timestamp;
use crate::faroe::email::Email;
use crate::faroe::testing::{with_wrong_secret, Harness, StorageOp, PASSWORD, START};
use crate::faroe::user::UserStoreError;
use crate::faroe::user_server_failure::FailureKind;
use crate::storage::StorageError;

const EMAIL: &str = "bob@example.com";
const SIGNIN: &str = SigninRecord::PREFIX;

async fn signin_token(harness: &Harness) -> String {
    let values = harness
        .ok("create_signin", json!({ "user_email_address": EMAIL }))
        .await;
    values["signin_token"].as_str().expect("token").to_owned()
}

fn token_args(token: &str) -> Value {
    json!({ "signin_token": token })
}

async fn verify_password(harness: &Harness, token: &str, password: &str) -> Value {
    harness
        .invoke(
            "verify_signin_user_password",
            json!({ "signin_token": token, "password": password }),
        )
        .await
}

fn error_code(response: &Value) -> &str {
    response["error_code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn create_signin_answers_a_signin_for_the_user() {
    let harness = Harness::new();
    let user = harness.add_user(EMAIL, PASSWORD).await;
    let values = harness
        .ok("create_signin", json!({ "user_email_address": EMAIL }))
        .await;
    let signin = &values["signin"];
    assert_eq!(signin["user_id"], user.id);
    assert_eq!(signin["user_first_factor_verified"], false);
    assert_eq!(signin["created_at"], START);
    assert_eq!(signin["expires_at"], START + 600);
    assert!(harness.emails.sent().is_empty(), "no e-mail");
}

#[tokio::test]
async fn create_signin_checks_address_user_and_disabled_in_that_order() {
    let harness = Harness::new();
    let create = |email: &'static str| {
        harness.error("create_signin", json!({ "user_email_address": email }))
    };
    assert_eq!(create("bob").await, "invalid_email_address");
    assert_eq!(create(EMAIL).await, "user_not_found");
    let user = harness.add_user(EMAIL, PASSWORD).await;
    harness.users.disable(&user.id);
    assert_eq!(create(EMAIL).await, "user_disabled");
    harness.users.fail(
        "get_user_by_email_address",
        UserStoreError::failure(FailureKind::Timeout, "timeout"),
    );
    assert_eq!(create(EMAIL).await, "internal_error");
    assert_eq!(harness.storage.count(SIGNIN), 0);
}

#[tokio::test]
async fn create_signin_is_not_rate_limited() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    for _ in 0..20 {
        signin_token(&harness).await;
    }
}

#[tokio::test]
async fn get_and_delete_signin() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    let values = harness.ok("get_signin", token_args(&token)).await;
    assert_eq!(values["signin"]["user_first_factor_verified"], false);
    harness.ok("delete_signin", token_args(&token)).await;
    assert_eq!(harness.storage.count(SIGNIN), 0);
    for action in ["get_signin", "delete_signin"] {
        assert_eq!(
            harness.error(action, token_args(&token)).await,
            "invalid_signin_token"
        );
    }
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_without_asking_the_user_server() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    let calls_before = harness.users.calls().len();
    for action in ["get_signin", "delete_signin", "complete_signin"] {
        assert_eq!(
            harness
                .error(action, token_args(&with_wrong_secret(&token)))
                .await,
            "invalid_signin_token"
        );
    }
    assert_eq!(
        error_code(&verify_password(&harness, &with_wrong_secret(&token), PASSWORD).await),
        "invalid_signin_token"
    );
    assert_eq!(harness.users.calls().len(), calls_before);
    assert_eq!(harness.storage.count(SIGNIN), 1);
}

#[tokio::test]
async fn a_signin_lives_less_than_10_minutes() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    harness.advance(Duration::from_secs(599));
    harness.ok("get_signin", token_args(&token)).await;
    harness.advance(Duration::from_secs(1));
    assert_eq!(
        harness.error("get_signin", token_args(&token)).await,
        "invalid_signin_token"
    );
    assert_eq!(harness.storage.count(SIGNIN), 0);
}

#[tokio::test]
async fn a_signin_dies_when_its_user_changes() {
    type Change = fn(&Harness, &str);
    let changes: [(&str, Change); 4] = [
        ("password changed", |h, id| {
            h.users.modify(id, |u| u.password_hash_counter += 1)
        }),
        ("disabled", |h, id| h.users.disable(id)),
        ("re-enabled", |h, id| {
            h.users.modify(id, |u| u.disabled_counter += 1)
        }),
        ("deleted", |h, id| {
            h.users.modify(id, |u| u.id = "gone".into())
        }),
    ];
    for (what, change) in changes {
        let harness = Harness::new();
        let user = harness.add_user(EMAIL, PASSWORD).await;
        let token = signin_token(&harness).await;
        change(&harness, &user.id);
        assert_eq!(
            harness.error("get_signin", token_args(&token)).await,
            "invalid_signin_token",
            "{what}"
        );
        assert_eq!(
            harness.storage.count(SIGNIN),
            0,
            "{what}: stale signin deleted"
        );
    }
}

#[tokio::test]
async fn a_user_server_failure_during_validation_is_internal_and_keeps_the_signin() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    harness.users.fail(
        "get_user",
        UserStoreError::failure(FailureKind::BadAnswer, "500"),
    );
    assert_eq!(
        harness.error("get_signin", token_args(&token)).await,
        "internal_error"
    );
    assert_eq!(harness.storage.count(SIGNIN), 1);
}

#[tokio::test]
async fn the_right_password_verifies_the_first_factor_once() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    assert_eq!(
        error_code(&verify_password(&harness, &token, "wrong password").await),
        "incorrect_password"
    );
    assert_eq!(
        verify_password(&harness, &token, PASSWORD).await["ok"],
        true
    );
    let values = harness.ok("get_signin", token_args(&token)).await;
    assert_eq!(values["signin"]["user_first_factor_verified"], true);
    assert_eq!(
        error_code(&verify_password(&harness, &token, PASSWORD).await),
        "user_first_factor_already_verified"
    );
}

#[tokio::test]
async fn password_attempts_are_limited_per_user_across_signins() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    for attempt in 1..=5 {
        let token = signin_token(&harness).await;
        let answer = verify_password(&harness, &token, "wrong password").await;
        assert_eq!(
            error_code(&answer),
            "incorrect_password",
            "attempt {attempt}"
        );
    }
    let token = signin_token(&harness).await;
    assert_eq!(
        error_code(&verify_password(&harness, &token, PASSWORD).await),
        "rate_limited"
    );
    harness.advance(Duration::from_secs(60));
    assert_eq!(
        verify_password(&harness, &token, PASSWORD).await["ok"],
        true
    );
}

#[tokio::test]
async fn verifying_the_password_answers_internal_conflict_when_it_loses_a_race() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    harness
        .storage
        .fail(StorageOp::Update, SIGNIN, 0, StorageError::NotFound);
    assert_eq!(
        error_code(&verify_password(&harness, &token, PASSWORD).await),
        "internal_conflict"
    );
}

#[tokio::test]
async fn a_stored_hash_of_an_unknown_algorithm_is_an_internal_error() {
    let harness = Harness::new();
    let user = harness.add_user(EMAIL, PASSWORD).await;
    harness
        .users
        .modify(&user.id, |u| u.password_hash.algorithm_id = "bcrypt".into());
    let token = signin_token(&harness).await;
    assert_eq!(
        error_code(&verify_password(&harness, &token, PASSWORD).await),
        "internal_error"
    );
}

#[tokio::test]
async fn complete_signin_needs_the_first_factor() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    assert_eq!(
        harness.error("complete_signin", token_args(&token)).await,
        "user_first_factor_not_verified"
    );
}

#[tokio::test]
async fn complete_signin_creates_a_session_and_notifies_the_user() {
    let harness = Harness::new();
    let user = harness.add_user(EMAIL, PASSWORD).await;
    harness
        .users
        .modify(&user.id, |u| u.display_name = "Bob".into());
    let token = harness.verified_signin(EMAIL, PASSWORD).await;
    harness.advance(Duration::from_secs(5));
    let values = harness.ok("complete_signin", token_args(&token)).await;
    assert_eq!(values["session"]["user_id"], user.id);
    assert_eq!(values["session"]["created_at"], START + 5);
    assert_eq!(harness.storage.count(SIGNIN), 0, "signin consumed");
    assert_eq!(
        harness.emails.sent(),
        [Email::SigninNotification {
            email_address: EMAIL.into(),
            display_name: "Bob".into(),
            signed_in_at: Timestamp::from_unix_seconds(START + 5),
        }]
    );
}

#[tokio::test]
async fn complete_signin_succeeds_even_when_the_notification_fails() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = harness.verified_signin(EMAIL, PASSWORD).await;
    harness.emails.set_failing(true);
    harness.ok("complete_signin", token_args(&token)).await;
}

#[tokio::test]
async fn complete_signin_answers_internal_error_when_the_session_cannot_be_stored() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = harness.verified_signin(EMAIL, PASSWORD).await;
    harness.storage.fail(
        StorageOp::Add,
        SessionRecord::PREFIX,
        0,
        StorageError::Failure("full".into()),
    );
    assert_eq!(
        harness.error("complete_signin", token_args(&token)).await,
        "internal_error"
    );
    assert_eq!(
        harness.storage.count(SIGNIN),
        1,
        "the signin can be retried"
    );
    assert!(harness.emails.sent().is_empty());
}

#[tokio::test]
async fn delete_signin_maps_storage_outcomes() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let token = signin_token(&harness).await;
    harness.storage.fail(
        StorageOp::Delete,
        SIGNIN,
        0,
        StorageError::Failure("io".into()),
    );
    assert_eq!(
        harness.error("delete_signin", token_args(&token)).await,
        "internal_error"
    );
    harness.storage.clear_faults();
    harness
        .storage
        .fail(StorageOp::Delete, SIGNIN, 0, StorageError::NotFound);
    assert_eq!(
        harness.error("delete_signin", token_args(&token)).await,
        "invalid_signin_token"
    );
}
