use std::time::Duration;

use serde_json::{json, Value};

use super::{Bucket, SessionRecord, SignupRecord, TokenRecord};
use crate::faroe::email::Email;
use crate::faroe::testing::{with_wrong_secret, Harness, StorageOp, PASSWORD};
use crate::faroe::user::UserStoreError;
use crate::faroe::user_server_failure::FailureKind;
use crate::storage::StorageError;

const EMAIL: &str = "alice@example.com";
const SIGNUP: &str = SignupRecord::PREFIX;

async fn create(harness: &Harness, email: &str) -> Value {
    harness
        .invoke("create_signup", json!({ "email_address": email }))
        .await
}

async fn signup_token(harness: &Harness, email: &str) -> String {
    let values = harness
        .ok("create_signup", json!({ "email_address": email }))
        .await;
    values["signup_token"].as_str().expect("token").to_owned()
}

fn token_args(token: &str) -> Value {
    json!({ "signup_token": token })
}

async fn verify(harness: &Harness, token: &str, code: &str) -> Value {
    harness
        .invoke(
            "verify_signup_email_address_verification_code",
            json!({ "signup_token": token, "email_address_verification_code": code }),
        )
        .await
}

async fn set_password(harness: &Harness, token: &str, password: &str) -> Value {
    harness
        .invoke(
            "set_signup_password",
            json!({ "signup_token": token, "password": password }),
        )
        .await
}

fn error_code(response: &Value) -> &str {
    response["error_code"].as_str().unwrap_or("<none>")
}

// ------------------------------------------------------------ create_signup

#[tokio::test]
async fn create_signup_stores_a_signup_and_mails_its_code() {
    let harness = Harness::new();
    let values = harness
        .ok("create_signup", json!({ "email_address": EMAIL }))
        .await;
    let signup = &values["signup"];
    assert_eq!(signup["email_address"], EMAIL);
    assert_eq!(signup["email_address_verified"], false);
    assert_eq!(signup["password_set"], false);
    assert_eq!(signup["unregistered_user_id"], "");
    assert_eq!(signup["expires_at"], 1_700_000_000 + 1200);
    let token = values["signup_token"].as_str().expect("token");
    assert_eq!(token.len(), 49);
    assert!(token.starts_with(&format!("{}.", signup["id"].as_str().expect("id"))));
    assert_eq!(harness.storage.count(SIGNUP), 1);
    let sent = harness.emails.sent();
    assert_eq!(sent.len(), 1);
    let Email::SignupVerification {
        email_address,
        code,
    } = &sent[0]
    else {
        panic!("unexpected e-mail {:?}", sent[0]);
    };
    assert_eq!(email_address, EMAIL);
    assert_eq!(code.len(), 8);
}

#[tokio::test]
async fn create_signup_rejects_a_malformed_address_before_anything_else() {
    let harness = Harness::new();
    assert_eq!(
        error_code(&create(&harness, "not-an-address").await),
        "invalid_email_address"
    );
    assert!(harness.users.calls().is_empty());
    assert!(harness.emails.sent().is_empty());
}

#[tokio::test]
async fn create_signup_refuses_an_address_in_use() {
    let harness = Harness::new();
    harness.add_user(EMAIL, PASSWORD).await;
    let disabled = harness.add_user("bob@example.com", PASSWORD).await;
    harness.users.disable(&disabled.id);
    assert_eq!(
        error_code(&create(&harness, EMAIL).await),
        "email_address_already_used"
    );
    assert_eq!(
        error_code(&create(&harness, "bob@example.com").await),
        "email_address_already_used"
    );
    // Addresses are compared exactly: another case is another address.
    assert!(create(&harness, "Alice@example.com").await["ok"] == true);
}

#[tokio::test]
async fn create_signup_is_limited_to_five_e_mails_per_address_per_burst() {
    let harness = Harness::new();
    for _ in 0..5 {
        signup_token(&harness, EMAIL).await;
    }
    assert_eq!(error_code(&create(&harness, EMAIL).await), "rate_limited");
    assert_eq!(harness.emails.sent().len(), 5);
    harness.advance(Duration::from_secs(30 * 60));
    signup_token(&harness, EMAIL).await;
}

#[tokio::test]
async fn create_signup_is_refused_while_code_attempts_for_the_address_are_spent() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    for _ in 0..5 {
        assert_eq!(
            error_code(&verify(&harness, &token, "WRONGCOD").await),
            "incorrect_email_address_verification_code"
        );
    }
    assert_eq!(error_code(&create(&harness, EMAIL).await), "rate_limited");
}

#[tokio::test]
async fn create_signup_answers_internal_conflict_when_it_loses_a_bucket_race() {
    let harness = Harness::new();
    harness.storage.fail(
        StorageOp::Add,
        Bucket::Email.prefix(),
        0,
        StorageError::AlreadyExists,
    );
    assert_eq!(
        error_code(&create(&harness, EMAIL).await),
        "internal_conflict"
    );
    assert_eq!(harness.storage.count(SIGNUP), 0);
}

#[tokio::test]
async fn create_signup_fails_internally_when_the_user_server_or_storage_fails() {
    let harness = Harness::new();
    harness.users.fail(
        "get_user_by_email_address",
        UserStoreError::failure(FailureKind::Transport, "down"),
    );
    assert_eq!(error_code(&create(&harness, EMAIL).await), "internal_error");
    harness.users.clear_faults();
    harness.storage.fail(
        StorageOp::Add,
        SIGNUP,
        0,
        StorageError::Failure("disk".into()),
    );
    assert_eq!(error_code(&create(&harness, EMAIL).await), "internal_error");
    assert!(harness.emails.sent().is_empty());
}

#[tokio::test]
async fn row_11_a_signup_whose_code_e_mail_failed_is_removed_again() {
    let harness = Harness::new();
    harness.emails.set_failing(true);
    assert_eq!(error_code(&create(&harness, EMAIL).await), "internal_error");
    assert_eq!(harness.storage.count(SIGNUP), 0);
    // The spent send-e-mail token stays spent.
    harness.emails.set_failing(false);
    for _ in 0..4 {
        signup_token(&harness, EMAIL).await;
    }
    assert_eq!(error_code(&create(&harness, EMAIL).await), "rate_limited");
}

// ------------------------------------------------------------ get / delete

#[tokio::test]
async fn get_signup_answers_the_stored_signup() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    let values = harness.ok("get_signup", token_args(&token)).await;
    assert_eq!(values["signup"]["email_address"], EMAIL);
    assert_eq!(values["signup"]["created_at"], 1_700_000_000);
}

#[tokio::test]
async fn bad_signup_tokens_are_invalid_and_change_nothing() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    for bad in [
        String::new(),
        "no-dot".to_owned(),
        "a.b.c".to_owned(),
        format!("{token}."),
        "unknownid.secret".to_owned(),
        with_wrong_secret(&token),
    ] {
        for action in ["get_signup", "delete_signup", "complete_signup"] {
            assert_eq!(
                harness.error(action, token_args(&bad)).await,
                "invalid_signup_token",
                "{action} {bad:?}"
            );
        }
        assert_eq!(
            error_code(&verify(&harness, &bad, "CODE").await),
            "invalid_signup_token"
        );
        assert_eq!(
            error_code(&set_password(&harness, &bad, PASSWORD).await),
            "invalid_signup_token"
        );
        assert_eq!(
            harness
                .error(
                    "send_signup_email_address_verification_code",
                    token_args(&bad)
                )
                .await,
            "invalid_signup_token"
        );
    }
    assert_eq!(harness.storage.count(SIGNUP), 1);
    assert_eq!(harness.emails.sent().len(), 1);
}

#[tokio::test]
async fn a_signup_lives_less_than_20_minutes() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness.advance(Duration::from_secs(20 * 60 - 1));
    harness.ok("get_signup", token_args(&token)).await;
    harness.advance(Duration::from_secs(1));
    assert_eq!(
        harness.error("get_signup", token_args(&token)).await,
        "invalid_signup_token"
    );
    assert_eq!(harness.storage.count(SIGNUP), 0, "expired signup deleted");
}

#[tokio::test]
async fn get_signup_fails_internally_when_storage_fails() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness.storage.fail(
        StorageOp::Get,
        SIGNUP,
        0,
        StorageError::Failure("io".into()),
    );
    assert_eq!(
        harness.error("get_signup", token_args(&token)).await,
        "internal_error"
    );
}

#[tokio::test]
async fn delete_signup_removes_it() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness.ok("delete_signup", token_args(&token)).await;
    assert_eq!(harness.storage.count(SIGNUP), 0);
    assert_eq!(
        harness.error("get_signup", token_args(&token)).await,
        "invalid_signup_token"
    );
}

#[tokio::test]
async fn delete_signup_of_a_signup_deleted_meanwhile_is_invalid() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness
        .storage
        .fail(StorageOp::Delete, SIGNUP, 0, StorageError::NotFound);
    assert_eq!(
        harness.error("delete_signup", token_args(&token)).await,
        "invalid_signup_token"
    );
}

// ------------------------------------------------------------ codes

#[tokio::test]
async fn resending_sends_the_same_code_again() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    let first = harness.emails.last_code(EMAIL).expect("code");
    harness
        .ok(
            "send_signup_email_address_verification_code",
            token_args(&token),
        )
        .await;
    assert_eq!(harness.emails.sent().len(), 2);
    assert_eq!(harness.emails.last_code(EMAIL), Some(first));
}

#[tokio::test]
async fn resending_is_rate_limited_and_refused_once_verified() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    for _ in 0..4 {
        harness
            .ok(
                "send_signup_email_address_verification_code",
                token_args(&token),
            )
            .await;
    }
    let resend = || {
        harness.error(
            "send_signup_email_address_verification_code",
            token_args(&token),
        )
    };
    assert_eq!(resend().await, "rate_limited");
    let code = harness.emails.last_code(EMAIL).expect("code");
    assert_eq!(verify(&harness, &token, &code).await["ok"], true);
    assert_eq!(resend().await, "email_address_already_verified");
}

#[tokio::test]
async fn a_failed_resend_is_an_internal_error_and_keeps_the_signup() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness.emails.set_failing(true);
    assert_eq!(
        harness
            .error(
                "send_signup_email_address_verification_code",
                token_args(&token)
            )
            .await,
        "internal_error"
    );
    assert_eq!(harness.storage.count(SIGNUP), 1);
}

#[tokio::test]
async fn resending_answers_internal_conflict_when_it_loses_a_bucket_race() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness.storage.fail(
        StorageOp::Update,
        Bucket::Email.prefix(),
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        harness
            .error(
                "send_signup_email_address_verification_code",
                token_args(&token)
            )
            .await,
        "internal_conflict"
    );
}

#[tokio::test]
async fn the_right_code_verifies_the_address_once() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    let code = harness.emails.last_code(EMAIL).expect("code");
    assert_eq!(
        error_code(&verify(&harness, &token, &code.to_lowercase()).await),
        "incorrect_email_address_verification_code"
    );
    assert_eq!(
        error_code(&verify(&harness, &token, &format!(" {code}")).await),
        "incorrect_email_address_verification_code"
    );
    assert_eq!(verify(&harness, &token, &code).await["ok"], true);
    let signup = harness.ok("get_signup", token_args(&token)).await;
    assert_eq!(signup["signup"]["email_address_verified"], true);
    assert_eq!(
        error_code(&verify(&harness, &token, &code).await),
        "email_address_already_verified"
    );
}

#[tokio::test]
async fn every_code_attempt_costs_a_token_the_right_one_included() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    for _ in 0..5 {
        verify(&harness, &token, "WRONGCOD").await;
    }
    let code = harness.emails.last_code(EMAIL).expect("code");
    assert_eq!(
        error_code(&verify(&harness, &token, &code).await),
        "rate_limited"
    );
    harness.advance(Duration::from_secs(60));
    assert_eq!(verify(&harness, &token, &code).await["ok"], true);
}

#[tokio::test]
async fn verifying_the_code_answers_internal_conflict_when_it_loses_a_race() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    let code = harness.emails.last_code(EMAIL).expect("code");
    harness
        .storage
        .fail(StorageOp::Update, SIGNUP, 0, StorageError::NotFound);
    assert_eq!(
        error_code(&verify(&harness, &token, &code).await),
        "internal_conflict"
    );
    // The record vanishing between validation and the write is a lost race too.
    harness.storage.clear_faults();
    harness
        .storage
        .fail(StorageOp::Get, SIGNUP, 1, StorageError::NotFound);
    assert_eq!(
        error_code(&verify(&harness, &token, &code).await),
        "internal_conflict"
    );
}

// ------------------------------------------------------------ password

#[tokio::test]
async fn a_password_needs_a_verified_address_and_is_set_once() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    assert_eq!(
        error_code(&set_password(&harness, &token, PASSWORD).await),
        "email_address_not_verified"
    );
    let code = harness.emails.last_code(EMAIL).expect("code");
    verify(&harness, &token, &code).await;
    assert_eq!(set_password(&harness, &token, PASSWORD).await["ok"], true);
    let signup = harness.ok("get_signup", token_args(&token)).await;
    assert_eq!(signup["signup"]["password_set"], true);
    assert_eq!(
        error_code(&set_password(&harness, &token, PASSWORD).await),
        "password_already_set"
    );
}

#[tokio::test]
async fn a_new_password_must_have_10_to_100_characters_and_not_be_weak() {
    let harness = Harness::new();
    let token = harness.verified_signup(EMAIL).await;
    for short_or_long in ["123456789".to_owned(), "x".repeat(101)] {
        assert_eq!(
            error_code(&set_password(&harness, &token, &short_or_long).await),
            "invalid_password_length"
        );
    }
    harness.strength.mark_weak("password1234");
    assert_eq!(
        error_code(&set_password(&harness, &token, "password1234").await),
        "weak_password"
    );
    harness.strength.set_failing(true);
    assert_eq!(
        error_code(&set_password(&harness, &token, PASSWORD).await),
        "internal_error"
    );
    harness.strength.set_failing(false);
    let ten_code_points = "éééééééééé";
    assert_eq!(
        set_password(&harness, &token, ten_code_points).await["ok"],
        true
    );
}

#[tokio::test]
async fn setting_the_password_answers_internal_conflict_when_it_loses_a_race() {
    let harness = Harness::new();
    let token = harness.verified_signup(EMAIL).await;
    harness
        .storage
        .fail(StorageOp::Update, SIGNUP, 0, StorageError::NotFound);
    assert_eq!(
        error_code(&set_password(&harness, &token, PASSWORD).await),
        "internal_conflict"
    );
}

// ------------------------------------------------------------ complete

#[tokio::test]
async fn complete_signup_creates_the_user_and_a_session() {
    let harness = Harness::new();
    let token = harness.verified_signup(EMAIL).await;
    set_password(&harness, &token, PASSWORD).await;
    let values = harness.ok("complete_signup", token_args(&token)).await;
    let session = &values["session"];
    assert_eq!(session["user_id"], "1_alice");
    assert_eq!(session["created_at"], 1_700_000_000);
    assert_eq!(session["expires_at"], 1_700_000_000 + 2160 * 3600);
    let session_token = values["session_token"].as_str().expect("token");
    let got = harness
        .ok("get_session", json!({ "session_token": session_token }))
        .await;
    assert_eq!(got["session"]["id"], session["id"]);
    let user = harness.users.user("1_alice").expect("user created");
    assert_eq!(user.email_address, EMAIL);
    assert!(harness
        .faroe
        .hasher
        .verify_user_password(&user.password_hash, PASSWORD)
        .await
        .expect("verify"));
    assert_eq!(harness.storage.count(SIGNUP), 0, "signup consumed");
    assert_eq!(
        harness.emails.kinds(),
        ["signup_verification"],
        "no e-mail on completion"
    );
}

#[tokio::test]
async fn complete_signup_needs_a_verified_address_and_a_password() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    assert_eq!(
        harness.error("complete_signup", token_args(&token)).await,
        "email_address_not_verified"
    );
    let code = harness.emails.last_code(EMAIL).expect("code");
    verify(&harness, &token, &code).await;
    assert_eq!(
        harness.error("complete_signup", token_args(&token)).await,
        "password_not_set"
    );
    assert!(harness.users.user("1_alice").is_none());
}

#[tokio::test]
async fn complete_signup_for_an_address_taken_meanwhile_voids_the_signup() {
    let harness = Harness::new();
    let token = harness.verified_signup(EMAIL).await;
    set_password(&harness, &token, PASSWORD).await;
    harness.add_user(EMAIL, "another password").await;
    assert_eq!(
        harness.error("complete_signup", token_args(&token)).await,
        "invalid_signup_token"
    );
    assert_eq!(harness.storage.count(SIGNUP), 0);
}

#[tokio::test]
async fn complete_signup_maps_user_server_outcomes() {
    let harness = Harness::new();
    let token = harness.verified_signup(EMAIL).await;
    set_password(&harness, &token, PASSWORD).await;
    harness
        .users
        .fail("create_user", UserStoreError::UserNotFound);
    assert_eq!(
        harness.error("complete_signup", token_args(&token)).await,
        "internal_conflict"
    );
    harness.users.fail(
        "create_user",
        UserStoreError::failure(FailureKind::BadAnswer, "500"),
    );
    assert_eq!(
        harness.error("complete_signup", token_args(&token)).await,
        "internal_error"
    );
    assert_eq!(
        harness.storage.count(SIGNUP),
        1,
        "the signup can be retried"
    );
    harness.users.clear_faults();
    harness.ok("complete_signup", token_args(&token)).await;
}

#[tokio::test]
async fn complete_signup_answers_session_not_created_when_the_session_cannot_be_stored() {
    let harness = Harness::new();
    let token = harness.verified_signup(EMAIL).await;
    set_password(&harness, &token, PASSWORD).await;
    harness.storage.fail(
        StorageOp::Add,
        SessionRecord::PREFIX,
        0,
        StorageError::Failure("full".into()),
    );
    assert_eq!(
        harness.error("complete_signup", token_args(&token)).await,
        "session_not_created"
    );
    assert!(harness.users.user("1_alice").is_some(), "the user exists");
}

#[tokio::test]
async fn delete_signup_fails_internally_when_storage_fails() {
    let harness = Harness::new();
    let token = signup_token(&harness, EMAIL).await;
    harness.storage.fail(
        StorageOp::Delete,
        SIGNUP,
        0,
        StorageError::Failure("io".into()),
    );
    assert_eq!(
        harness.error("delete_signup", token_args(&token)).await,
        "internal_error"
    );
    assert_eq!(harness.storage.count(SIGNUP), 1);
}
