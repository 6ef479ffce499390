//! Every `complete_*` action finishes its flow exactly once, however many callers race
//! for it (difference 23), and a password reset signs out every earlier session
//! (difference 24), as does a password update when configured.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::Barrier;

use super::*;
use crate::faroe::testing::PASSWORD;

const CALLERS: usize = 6;

/// Sends `action` from `CALLERS` tasks at once, on several worker threads. Every
/// storage read waits at a barrier until all callers have made it, so all of them
/// validate the flow from the same stored state before any of them acts: only the
/// completion's own guard can keep more than one from succeeding. Returns "ok" or
/// the error code of each caller.
async fn race(h: Harness, action: &'static str, arguments: Value) -> (Harness, Vec<String>) {
    let h = Arc::new(h);
    h.storage.hold_reads_at(Arc::new(Barrier::new(CALLERS)));
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let h = Arc::clone(&h);
            let arguments = arguments.clone();
            tokio::spawn(async move {
                let answer = h.invoke(action, arguments).await;
                match answer["error_code"].as_str() {
                    Some(code) => code.to_owned(),
                    None => "ok".to_owned(),
                }
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for caller in callers {
        outcomes.push(caller.await.expect("caller task"));
    }
    h.storage.release_reads();
    let h = Arc::into_inner(h).expect("every caller finished");
    (h, outcomes)
}

/// Exactly one caller succeeded; every other lost the race, finding the flow taken
/// (`internal_conflict`) or already gone (its invalid-token code).
fn exactly_one_won(outcomes: &[String], invalid_token: &str) {
    assert_eq!(
        outcomes.iter().filter(|outcome| *outcome == "ok").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|outcome| ["ok", "internal_conflict", invalid_token].contains(&outcome.as_str())),
        "{outcomes:?}"
    );
}

fn calls_of(h: &Harness, action: &str) -> usize {
    h.users
        .calls()
        .iter()
        .filter(|call| **call == action)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_complete_signup_creates_one_user_and_one_session() {
    let h = Harness::new();
    let token = h.verified_signup("ann@example.com").await;
    h.ok(
        "set_signup_password",
        json!({ "signup_token": token, "password": PASSWORD }),
    )
    .await;
    let (h, outcomes) = race(h, "complete_signup", json!({ "signup_token": token })).await;
    exactly_one_won(&outcomes, "invalid_signup_token");
    assert_eq!(calls_of(&h, "create_user"), 1);
    assert_eq!(h.storage.count(SessionRecord::PREFIX), 1);
    assert_eq!(h.storage.count(SignupRecord::PREFIX), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_complete_signin_creates_one_session() {
    let h = Harness::new();
    h.add_user("ann@example.com", PASSWORD).await;
    let token = h.verified_signin("ann@example.com", PASSWORD).await;
    let (h, outcomes) = race(h, "complete_signin", json!({ "signin_token": token })).await;
    exactly_one_won(&outcomes, "invalid_signin_token");
    assert_eq!(h.storage.count(SessionRecord::PREFIX), 1);
    assert_eq!(h.storage.count(SigninRecord::PREFIX), 0);
    assert_eq!(h.emails.kinds(), ["signin_notification"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_complete_user_email_address_update_changes_the_address_once() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, "ann@example.com").await;
    let new = "ann@new.example";
    let created = h
        .ok(
            "create_user_email_address_update",
            json!({ "session_token": session, "new_email_address": new }),
        )
        .await;
    let update = token(&created, "user_email_address_update_token");
    let args = json!({ "session_token": session, "user_email_address_update_token": update });
    let mut with_code = args.clone();
    with_code["email_address_verification_code"] = json!(h.emails.last_code(new).expect("code"));
    h.ok(
        "verify_user_email_address_update_email_address_verification_code",
        with_code,
    )
    .await;
    let mut with_password = args.clone();
    with_password["password"] = json!(PASSWORD);
    h.ok(
        "verify_user_email_address_update_user_password",
        with_password,
    )
    .await;
    let before = h.emails.sent().len();
    let (h, outcomes) = race(h, "complete_user_email_address_update", args).await;
    exactly_one_won(&outcomes, "invalid_user_email_address_update_token");
    let changed = h.users.user(&user.id).expect("user");
    assert_eq!(changed.email_address, new);
    assert_eq!(
        changed.email_address_counter,
        user.email_address_counter + 1
    );
    assert_eq!(h.emails.kinds()[before..], ["email_updated"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_complete_user_password_update_changes_the_password_once() {
    let h = Harness::new();
    let (user, _, _, args) = ready_password_update(&h).await;
    let before = h.emails.sent().len();
    let (h, outcomes) = race(h, "complete_user_password_update", args).await;
    exactly_one_won(&outcomes, "invalid_password_update_token");
    let changed = h.users.user(&user.id).expect("user");
    assert_eq!(
        changed.password_hash_counter,
        user.password_hash_counter + 1
    );
    assert_eq!(h.emails.kinds()[before..], ["password_updated"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_complete_user_deletion_deletes_once() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, "ann@example.com").await;
    let created = h
        .ok("create_user_deletion", json!({ "session_token": session }))
        .await;
    let deletion = token(&created, "user_deletion_token");
    let args = json!({ "session_token": session, "user_deletion_token": deletion });
    let mut with_password = args.clone();
    with_password["password"] = json!(PASSWORD);
    h.ok("verify_user_deletion_user_password", with_password)
        .await;
    let (h, outcomes) = race(h, "complete_user_deletion", args).await;
    exactly_one_won(&outcomes, "invalid_user_deletion_token");
    assert!(h.users.user(&user.id).is_none());
    assert_eq!(calls_of(&h, "delete_user"), 1);
}

/// A reset of `ann@example.com`, verified and with a new password set; returns the
/// reset's token.
async fn ready_reset(h: &Harness) -> String {
    let created = h
        .ok(
            "create_user_password_reset",
            json!({ "user_email_address": "ann@example.com" }),
        )
        .await;
    let reset = token(&created, "user_password_reset_token");
    let temporary = h.emails.last_code("ann@example.com").expect("sent");
    h.ok(
        "verify_user_password_reset_temporary_password",
        json!({ "user_password_reset_token": reset, "temporary_password": temporary }),
    )
    .await;
    h.ok(
        "set_user_password_reset_new_password",
        json!({ "user_password_reset_token": reset, "password": NEW_PASSWORD }),
    )
    .await;
    reset
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_complete_user_password_reset_makes_one_session() {
    let h = Harness::new();
    let user = h.add_user("ann@example.com", PASSWORD).await;
    let reset = ready_reset(&h).await;
    let (h, outcomes) = race(
        h,
        "complete_user_password_reset",
        json!({ "user_password_reset_token": reset }),
    )
    .await;
    exactly_one_won(&outcomes, "invalid_user_password_reset_token");
    assert_eq!(h.storage.count(SessionRecord::PREFIX), 1);
    let changed = h.users.user(&user.id).expect("user");
    assert_eq!(
        changed.password_hash_counter,
        user.password_hash_counter + 1
    );
    assert_eq!(changed.sessions_counter, user.sessions_counter + 1);
}

async fn session_is_valid(h: &Harness, session: &str) -> bool {
    let answer = h
        .invoke("get_session", json!({ "session_token": session }))
        .await;
    match answer["ok"].as_bool() {
        Some(true) => true,
        _ => {
            assert_eq!(answer["error_code"], "invalid_session_token", "{answer}");
            false
        }
    }
}

#[tokio::test]
async fn a_password_reset_signs_out_every_earlier_session() {
    let h = Harness::new();
    let (_, first) = h.signed_in_user("ann@example.com").await;
    let second = another_session(&h, "ann@example.com", PASSWORD).await;
    let reset = ready_reset(&h).await;
    let created = h
        .ok(
            "complete_user_password_reset",
            json!({ "user_password_reset_token": reset }),
        )
        .await;
    assert!(!session_is_valid(&h, &first).await);
    assert!(!session_is_valid(&h, &second).await);
    assert!(session_is_valid(&h, &token(&created, "session_token")).await);
}

#[tokio::test]
async fn a_reset_whose_sign_out_fails_changes_nothing_and_can_be_retried() {
    let h = Harness::new();
    let (user, session) = h.signed_in_user("ann@example.com").await;
    let reset = ready_reset(&h).await;
    let args = json!({ "user_password_reset_token": reset });
    for (error, code) in [
        (UserStoreError::UserNotFound, "internal_conflict"),
        (user_server_down(), "internal_error"),
    ] {
        h.users.fail("increment_user_sessions_counter", error);
        assert_eq!(
            h.error("complete_user_password_reset", args.clone()).await,
            code
        );
        h.users.clear_faults();
        let unchanged = h.users.user(&user.id).expect("user");
        assert_eq!(unchanged.password_hash_counter, user.password_hash_counter);
        assert_eq!(unchanged.sessions_counter, user.sessions_counter);
        assert_eq!(h.storage.count(UserPasswordResetRecord::PREFIX), 1);
        assert!(session_is_valid(&h, &session).await);
    }
    h.ok("complete_user_password_reset", args).await;
    assert!(!session_is_valid(&h, &session).await);
}

/// A signed-in user with a second session and a password update ready to complete;
/// returns the user, both sessions and the update's arguments (from the first session).
async fn ready_password_update(h: &Harness) -> (User, String, String, Value) {
    let (user, session) = signed_in(h, "ann@example.com").await;
    let other = another_session(h, "ann@example.com", PASSWORD).await;
    let created = h
        .ok(
            "create_user_password_update",
            json!({ "session_token": session }),
        )
        .await;
    let update = token(&created, "user_password_update_token");
    let args = json!({ "session_token": session, "user_password_update_token": update });
    let mut with_password = args.clone();
    with_password["password"] = json!(PASSWORD);
    h.ok("verify_user_password_update_user_password", with_password)
        .await;
    let mut with_new = args.clone();
    with_new["password"] = json!(NEW_PASSWORD);
    h.ok("set_user_password_update_new_password", with_new)
        .await;
    (user, session, other, args)
}

#[tokio::test]
async fn a_password_update_keeps_sessions_by_default() {
    let h = Harness::new();
    let (_, session, other, args) = ready_password_update(&h).await;
    h.ok("complete_user_password_update", args).await;
    assert!(session_is_valid(&h, &session).await);
    assert!(session_is_valid(&h, &other).await);
}

#[tokio::test]
async fn a_password_update_signs_out_every_session_when_configured() {
    let h = Harness::with_sessions(SessionConfig {
        revoke_sessions_on_password_update: true,
        ..SessionConfig::default()
    });
    let (_, session, other, args) = ready_password_update(&h).await;
    h.ok("complete_user_password_update", args).await;
    assert!(!session_is_valid(&h, &session).await);
    assert!(!session_is_valid(&h, &other).await);
}

#[tokio::test]
async fn a_completion_whose_effect_fails_keeps_the_flow_for_a_retry() {
    let h = Harness::new();
    h.add_user("ann@example.com", PASSWORD).await;
    let token = h.verified_signin("ann@example.com", PASSWORD).await;
    let args = json!({ "signin_token": token });
    h.storage.fail(
        crate::fault_storage::StorageOp::Add,
        SessionRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(
        h.error("complete_signin", args.clone()).await,
        "internal_error"
    );
    h.storage.clear_faults();
    assert_eq!(h.storage.count(SigninRecord::PREFIX), 1);
    h.ok("complete_signin", args.clone()).await;
    assert_eq!(
        h.error("complete_signin", args).await,
        "invalid_signin_token"
    );
}
