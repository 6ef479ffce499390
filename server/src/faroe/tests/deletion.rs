//! User deletion (§4.6).

use serde_json::json;

use super::*;
use crate::faroe::testing::{with_wrong_secret, StorageOp, PASSWORD};

const EMAIL: &str = "ann@example.com";
const CREATE: &str = "create_user_deletion";
const GET: &str = "get_user_deletion";
const DELETE: &str = "delete_user_deletion";
const VERIFY: &str = "verify_user_deletion_user_password";
const COMPLETE: &str = "complete_user_deletion";
const INVALID: &str = "invalid_user_deletion_token";

struct Deletion;

impl SessionFlowKind for Deletion {
    const SIGNED_IN: &'static str = EMAIL;
    const CREATE: &'static str = CREATE;
    const GET: &'static str = GET;
    const MODEL: &'static str = "user_deletion";
    const TOKEN: &'static str = "user_deletion_token";
    const INVALID: &'static str = INVALID;
}

type Flow = SessionFlow<Deletion>;

impl Flow {
    async fn verify(&self) {
        self.h.ok(VERIFY, self.with_password(PASSWORD)).await;
    }
}

#[tokio::test]
async fn create_answers_the_model_in_order_and_sends_nothing() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, EMAIL).await;
    let before = h.emails.sent().len();
    let created = h.ok(CREATE, json!({ "session_token": session })).await;
    assert_eq!(members(&created), ["user_deletion", "user_deletion_token"]);
    let model = &created["user_deletion"];
    assert_eq!(
        members(model),
        [
            "id",
            "user_id",
            "session_id",
            "user_identity_verified",
            "created_at",
            "expires_at"
        ]
    );
    let token = token(&created, "user_deletion_token");
    assert_eq!(model["id"], json!(id_of(&token)));
    assert_eq!(model["user_id"], json!(user.id));
    assert_eq!(model["session_id"], json!(id_of(&session)));
    assert_eq!(model["user_identity_verified"], json!(false));
    assert_eq!(model["created_at"], json!(START));
    assert_eq!(model["expires_at"], json!(START + 600));
    assert_eq!(h.storage.count(UserDeletionRecord::PREFIX), 1);
    assert!(emails_since(&h, before).is_empty());
}

#[tokio::test]
async fn create_needs_a_valid_session_and_working_storage() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, EMAIL).await;
    assert_each_fails(
        &h,
        CREATE,
        &[
            json!({ "session_token": "nothing" }),
            json!({ "session_token": with_wrong_secret(&session) }),
        ],
        "invalid_session_token",
    )
    .await;
    h.storage.fail(
        StorageOp::Add,
        UserDeletionRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(
        h.error(CREATE, json!({ "session_token": session })).await,
        "internal_error"
    );
    h.storage.clear_faults();
    h.users.fail("get_user", user_server_down());
    assert_eq!(
        h.error(CREATE, json!({ "session_token": session })).await,
        "internal_error"
    );
    assert_eq!(h.storage.count(UserDeletionRecord::PREFIX), 0);
}

#[tokio::test]
async fn every_session_bound_action_checks_session_then_token_then_binding() {
    let flow = Flow::start().await;
    let h = &flow.h;
    let other_session = another_session(h, EMAIL, PASSWORD).await;
    let (_, stranger_session) = signed_in(h, "bob@example.com").await;
    for action in [GET, DELETE, VERIFY, COMPLETE] {
        let extra = (action == VERIFY).then_some(("password", PASSWORD));
        flow.assert_checks_session_then_token_then_binding(
            action,
            extra,
            &[
                ("", &flow.token),
                (&with_wrong_secret(&flow.session), "x.y"),
            ],
            &["x", "a.b.c", &with_wrong_secret(&flow.token)],
            &[&other_session, &stranger_session],
        )
        .await;
    }
    assert_eq!(h.storage.count(UserDeletionRecord::PREFIX), 1);
    assert!(h.users.user(&flow.user.id).is_some());
}

#[tokio::test]
async fn delete_removes_the_deletion_once() {
    let flow = Flow::start().await;
    assert_eq!(flow.model().await["id"], json!(id_of(&flow.token)));
    assert_eq!(flow.h.ok(DELETE, flow.args()).await, json!({}));
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 0);
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
}

#[tokio::test]
async fn row_6_deletion_tokens_use_the_normal_delete_semantics() {
    // Gone meanwhile: the client's delete answers the invalid-token code.
    let flow = Flow::start().await;
    flow.h.storage.fail(
        StorageOp::Delete,
        UserDeletionRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
    // Expired and already gone when the validator removes it: simply invalid.
    flow.h.advance(10 * MINUTE + NANOSECOND);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    // A real storage failure while removing it is internal_error.
    let flow = Flow::start().await;
    flow.h.advance(10 * MINUTE + NANOSECOND);
    flow.h.storage.fail(
        StorageOp::Delete,
        UserDeletionRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(GET, flow.args()).await, "internal_error");
}

#[tokio::test]
async fn verify_checks_the_password_and_sets_the_identity_once() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h
            .error(VERIFY, flow.with_password("not the password"))
            .await,
        "incorrect_password"
    );
    flow.verify().await;
    assert_eq!(flow.model().await["user_identity_verified"], json!(true));
    assert_eq!(
        flow.h.error(VERIFY, flow.with_password(PASSWORD)).await,
        "user_identity_already_verified"
    );
}

#[tokio::test]
async fn verify_spends_a_password_token_of_the_user_per_attempt() {
    let flow = Flow::start().await;
    for attempt in 1..=4 {
        assert_eq!(
            flow.h
                .error(VERIFY, flow.with_password("not the password"))
                .await,
            "incorrect_password",
            "attempt {attempt}"
        );
    }
    assert_eq!(
        flow.h.error(VERIFY, flow.with_password(PASSWORD)).await,
        "rate_limited"
    );
}

#[tokio::test]
async fn row_6_verify_lost_races_are_internal_conflict() {
    let flow = Flow::start().await;
    let args = flow.with_password(PASSWORD);
    // The deletion vanished before the flag could be written (upstream: internal_error).
    flow.h.storage.fail(
        StorageOp::Get,
        UserDeletionRecord::PREFIX,
        1,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    // The guarded rewrite found another version (upstream: internal_error).
    flow.h.storage.fail(
        StorageOp::Update,
        UserDeletionRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Update,
        UserDeletionRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(VERIFY, args).await, "internal_error");
    flow.h.storage.clear_faults();
    assert_eq!(flow.model().await["user_identity_verified"], json!(false));
}

#[tokio::test]
async fn complete_needs_the_identity_verified() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "user_identity_not_verified"
    );
    assert!(flow.h.users.user(&flow.user.id).is_some());
}

#[tokio::test]
async fn complete_deletes_the_user_and_sessions_fail_their_next_use() {
    let flow = Flow::start().await;
    flow.verify().await;
    let before = flow.h.emails.sent().len();
    assert_eq!(flow.h.ok(COMPLETE, flow.args()).await, json!({}));
    assert!(flow.h.users.user(&flow.user.id).is_none());
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 0);
    assert!(emails_since(&flow.h, before).is_empty(), "no e-mail");
    assert_eq!(
        flow.h.storage.count(SessionRecord::PREFIX),
        1,
        "the session stays stored"
    );
    assert_eq!(
        flow.h
            .error("get_session", json!({ "session_token": flow.session }))
            .await,
        "invalid_session_token"
    );
    assert_eq!(flow.h.storage.count(SessionRecord::PREFIX), 0);
}

#[tokio::test]
async fn complete_losing_the_race_is_internal_conflict_and_failures_internal() {
    let flow = Flow::start().await;
    flow.verify().await;
    flow.h
        .users
        .fail("delete_user", UserStoreError::UserNotFound);
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "internal_conflict"
    );
    flow.h.users.fail("delete_user", user_server_down());
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, "internal_error");
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 1);
    assert!(flow.h.users.user(&flow.user.id).is_some());
}

#[tokio::test]
async fn a_deletion_lives_10_minutes_inclusive() {
    let flow = Flow::start().await;
    flow.h.advance(10 * MINUTE);
    flow.h.ok(GET, flow.args()).await;
    flow.h.advance(NANOSECOND);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 0);
}

#[tokio::test]
async fn user_changes_void_the_deletion() {
    let flow = Flow::start().await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.email_address_counter += 1);
    flow.h.ok(GET, flow.args()).await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.password_hash_counter += 1);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 0);

    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 0);

    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h
        .users
        .delete_user(&flow.user.id)
        .await
        .expect("deleted");
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserDeletionRecord::PREFIX), 0);
}
