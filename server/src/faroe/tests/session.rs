use std::time::Duration;

use serde_json::{json, Value};

use super::TokenRecord;
use crate::faroe::records::{decode, SessionRecord};
use crate::faroe::testing::{with_wrong_secret, Harness, StorageOp, START};
use crate::faroe::user::UserStoreError;
use crate::faroe::user_server_failure::FailureKind;
use crate::faroe::SessionConfig;
use crate::storage::{Storage, StorageError};

const EMAIL: &str = "carol@example.com";
const SESSION: &str = SessionRecord::PREFIX;
const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);

fn args(token: &str) -> Value {
    json!({ "session_token": token })
}

async fn stored_session(harness: &Harness, token: &str) -> (SessionRecord, i64) {
    let id = token.split('.').next().expect("id");
    let entry = harness
        .storage
        .get(&format!("{SESSION}{id}"))
        .await
        .expect("stored");
    (decode(&entry.value).expect("decodes"), entry.counter)
}

#[tokio::test]
async fn get_session_answers_the_session() {
    let harness = Harness::new();
    let (user, token) = harness.signed_in_user(EMAIL).await;
    let values = harness.ok("get_session", args(&token)).await;
    let session = &values["session"];
    assert_eq!(session["user_id"], user.id);
    assert_eq!(session["created_at"], START);
    assert_eq!(session["expires_at"], START + 2160 * 3600);
    assert_eq!(token.split('.').next(), session["id"].as_str());
}

#[tokio::test]
async fn bad_session_tokens_are_invalid_and_cost_no_user_lookup() {
    let harness = Harness::new();
    let (_, token) = harness.signed_in_user(EMAIL).await;
    let calls_before = harness.users.calls().len();
    for bad in ["", "x", "a.b", "a.b.c", &with_wrong_secret(&token)] {
        for action in ["get_session", "delete_session", "delete_all_sessions"] {
            assert_eq!(
                harness.error(action, args(bad)).await,
                "invalid_session_token",
                "{action} {bad:?}"
            );
        }
    }
    assert_eq!(harness.users.calls().len(), calls_before);
    assert_eq!(harness.storage.count(SESSION), 1);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_expiration() {
    let harness = Harness::with_sessions(SessionConfig {
        expiration: Some(Duration::from_secs(2 * 3600)),
        ..SessionConfig::default()
    });
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness.advance(Duration::from_secs(2 * 3600 - 1));
    let values = harness.ok("get_session", args(&token)).await;
    assert_eq!(values["session"]["expires_at"], START + 2 * 3600);
    harness.advance(Duration::from_secs(1));
    assert_eq!(
        harness.error("get_session", args(&token)).await,
        "invalid_session_token"
    );
    assert_eq!(harness.storage.count(SESSION), 0, "expired session deleted");
}

#[tokio::test]
async fn without_absolute_expiration_a_used_session_lives_on() {
    let harness = Harness::with_sessions(SessionConfig {
        expiration: None,
        ..SessionConfig::default()
    });
    let (_, token) = harness.signed_in_user(EMAIL).await;
    for _ in 0..3 {
        harness.advance(30 * DAY - Duration::from_secs(1));
        let values = harness.ok("get_session", args(&token)).await;
        assert_eq!(values["session"]["expires_at"], Value::Null);
    }
}

#[tokio::test]
async fn an_unused_session_dies_after_30_days() {
    let harness = Harness::with_sessions(SessionConfig {
        expiration: None,
        ..SessionConfig::default()
    });
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness.advance(10 * DAY);
    harness.ok("get_session", args(&token)).await;
    harness.advance(30 * DAY - Duration::from_secs(1));
    harness.ok("get_session", args(&token)).await;
    harness.advance(30 * DAY);
    assert_eq!(
        harness.error("get_session", args(&token)).await,
        "invalid_session_token"
    );
    assert_eq!(harness.storage.count(SESSION), 0);
}

#[tokio::test]
async fn activity_is_written_at_most_once_a_minute() {
    let harness = Harness::new();
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness.advance(MINUTE - Duration::from_secs(1));
    harness.ok("get_session", args(&token)).await;
    let (record, counter) = stored_session(&harness, &token).await;
    assert_eq!((record.token_last_verified_at, counter), (START, 0));

    harness.advance(Duration::from_secs(1));
    harness.ok("get_session", args(&token)).await;
    let (record, counter) = stored_session(&harness, &token).await;
    assert_eq!((record.token_last_verified_at, counter), (START + 60, 1));

    harness.advance(Duration::from_secs(59));
    harness.ok("get_session", args(&token)).await;
    assert_eq!(stored_session(&harness, &token).await.1, 1);
}

#[tokio::test]
async fn losing_the_activity_write_to_another_request_is_fine() {
    let harness = Harness::new();
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness.advance(MINUTE);
    harness
        .storage
        .fail(StorageOp::Update, SESSION, 0, StorageError::NotFound);
    harness.ok("get_session", args(&token)).await;
    harness.storage.clear_faults();
    harness.storage.fail(
        StorageOp::Update,
        SESSION,
        0,
        StorageError::Failure("io".into()),
    );
    assert_eq!(
        harness.error("get_session", args(&token)).await,
        "internal_error"
    );
}

#[tokio::test]
async fn a_session_dies_when_its_user_is_disabled_deleted_or_signed_out_everywhere() {
    type Change = fn(&Harness, &str);
    let changes: [(&str, Change); 4] = [
        ("disabled", |h, id| h.users.disable(id)),
        ("re-enabled", |h, id| {
            h.users.modify(id, |u| u.disabled_counter += 1)
        }),
        ("sessions counter moved", |h, id| {
            h.users.modify(id, |u| u.sessions_counter += 1)
        }),
        ("deleted", |h, id| {
            h.users.modify(id, |u| u.id = "gone".into())
        }),
    ];
    for (what, change) in changes {
        let harness = Harness::new();
        let (user, token) = harness.signed_in_user(EMAIL).await;
        change(&harness, &user.id);
        assert_eq!(
            harness.error("get_session", args(&token)).await,
            "invalid_session_token",
            "{what}"
        );
        assert_eq!(harness.storage.count(SESSION), 0, "{what}: session deleted");
    }
}

#[tokio::test]
async fn a_session_survives_password_and_address_changes() {
    let harness = Harness::new();
    let (user, token) = harness.signed_in_user(EMAIL).await;
    harness.users.modify(&user.id, |u| {
        u.password_hash_counter += 1;
        u.email_address_counter += 1;
    });
    harness.ok("get_session", args(&token)).await;
}

#[tokio::test]
async fn a_user_server_failure_is_internal_and_keeps_the_session() {
    let harness = Harness::new();
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness.users.fail(
        "get_user",
        UserStoreError::failure(FailureKind::Timeout, "timeout"),
    );
    assert_eq!(
        harness.error("get_session", args(&token)).await,
        "internal_error"
    );
    harness.users.clear_faults();
    harness.ok("get_session", args(&token)).await;
}

#[tokio::test]
async fn the_user_cache_skips_user_checks_while_fresh() {
    let harness = Harness::with_sessions(SessionConfig {
        user_cache_expiration: Some(MINUTE),
        ..SessionConfig::default()
    });
    let (user, token) = harness.signed_in_user(EMAIL).await;
    let lookups = || {
        harness
            .users
            .calls()
            .iter()
            .filter(|call| **call == "get_user")
            .count()
    };
    let before = lookups();
    harness.ok("get_session", args(&token)).await;
    assert_eq!(lookups(), before + 1, "first use checks the user");
    harness.users.disable(&user.id);
    harness.advance(MINUTE - Duration::from_secs(1));
    harness.ok("get_session", args(&token)).await;
    assert_eq!(lookups(), before + 1, "cached check trusted");
    harness.advance(Duration::from_secs(1));
    assert_eq!(
        harness.error("get_session", args(&token)).await,
        "invalid_session_token"
    );
    assert_eq!(lookups(), before + 2);
}

#[tokio::test]
async fn delete_all_sessions_always_checks_the_user() {
    let harness = Harness::with_sessions(SessionConfig {
        user_cache_expiration: Some(MINUTE),
        ..SessionConfig::default()
    });
    let (user, token) = harness.signed_in_user(EMAIL).await;
    harness.ok("get_session", args(&token)).await;
    harness.users.disable(&user.id);
    assert_eq!(
        harness.error("delete_all_sessions", args(&token)).await,
        "invalid_session_token"
    );
}

#[tokio::test]
async fn delete_session_removes_only_that_session() {
    let harness = Harness::new();
    let (_, first) = harness.signed_in_user(EMAIL).await;
    let second = {
        let signin = harness
            .verified_signin(EMAIL, crate::faroe::testing::PASSWORD)
            .await;
        let values = harness
            .ok("complete_signin", json!({ "signin_token": signin }))
            .await;
        values["session_token"].as_str().expect("token").to_owned()
    };
    harness.ok("delete_session", args(&first)).await;
    assert_eq!(
        harness.error("get_session", args(&first)).await,
        "invalid_session_token"
    );
    harness.ok("get_session", args(&second)).await;
}

#[tokio::test]
async fn deleting_a_session_that_vanished_meanwhile_counts_as_done() {
    let harness = Harness::new();
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness
        .storage
        .fail(StorageOp::Delete, SESSION, 0, StorageError::NotFound);
    harness.ok("delete_session", args(&token)).await;
    harness.storage.clear_faults();
    harness.storage.fail(
        StorageOp::Delete,
        SESSION,
        0,
        StorageError::Failure("io".into()),
    );
    assert_eq!(
        harness.error("delete_session", args(&token)).await,
        "internal_error"
    );
}

#[tokio::test]
async fn delete_all_sessions_ends_every_session_of_the_user_but_not_later_ones() {
    let harness = Harness::new();
    let (user, first) = harness.signed_in_user(EMAIL).await;
    let (_, other_user) = harness.signed_in_user("dave@example.com").await;
    let signin = harness
        .verified_signin(EMAIL, crate::faroe::testing::PASSWORD)
        .await;
    let second = harness
        .ok("complete_signin", json!({ "signin_token": signin }))
        .await["session_token"]
        .as_str()
        .expect("token")
        .to_owned();
    harness.ok("delete_all_sessions", args(&second)).await;
    assert_eq!(
        harness.users.user(&user.id).expect("user").sessions_counter,
        1
    );
    for token in [&first, &second] {
        assert_eq!(
            harness.error("get_session", args(token)).await,
            "invalid_session_token"
        );
    }
    harness.ok("get_session", args(&other_user)).await;
    let signin = harness
        .verified_signin(EMAIL, crate::faroe::testing::PASSWORD)
        .await;
    let later = harness
        .ok("complete_signin", json!({ "signin_token": signin }))
        .await["session_token"]
        .as_str()
        .expect("token")
        .to_owned();
    harness.ok("get_session", args(&later)).await;
}

#[tokio::test]
async fn delete_all_sessions_maps_user_server_outcomes() {
    let harness = Harness::new();
    let (_, token) = harness.signed_in_user(EMAIL).await;
    harness.users.fail(
        "increment_user_sessions_counter",
        UserStoreError::UserNotFound,
    );
    assert_eq!(
        harness.error("delete_all_sessions", args(&token)).await,
        "internal_conflict"
    );
    harness.users.fail(
        "increment_user_sessions_counter",
        UserStoreError::failure(FailureKind::BadAnswer, "500"),
    );
    assert_eq!(
        harness.error("delete_all_sessions", args(&token)).await,
        "internal_error"
    );
    harness.users.clear_faults();
    harness.ok("get_session", args(&token)).await;
}
