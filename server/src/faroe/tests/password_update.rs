//! User password update (§4.5).

use serde_json::json;

use super::*;
use crate::faroe::testing::{with_wrong_secret, StorageOp, PASSWORD};

const EMAIL: &str = "ann@example.com";
const CREATE: &str = "create_user_password_update";
const GET: &str = "get_user_password_update";
const DELETE: &str = "delete_user_password_update";
const VERIFY: &str = "verify_user_password_update_user_password";
const SET: &str = "set_user_password_update_new_password";
const COMPLETE: &str = "complete_user_password_update";
const INVALID: &str = "invalid_password_update_token";

struct PasswordUpdate;

impl SessionFlowKind for PasswordUpdate {
    const SIGNED_IN: &'static str = EMAIL;
    const CREATE: &'static str = CREATE;
    const GET: &'static str = GET;
    const MODEL: &'static str = "user_password_update";
    const TOKEN: &'static str = "user_password_update_token";
    const INVALID: &'static str = INVALID;
}

type Flow = SessionFlow<PasswordUpdate>;

impl Flow {
    async fn verify(&self) {
        self.h.ok(VERIFY, self.with_password(PASSWORD)).await;
    }

    async fn set(&self) {
        self.h.ok(SET, self.with_password(NEW_PASSWORD)).await;
    }

    async fn password_is(&self, password: &str) -> bool {
        password_is(&self.h, &self.user.id, password).await
    }
}

// ------------------------------------------------------------------ create

#[tokio::test]
async fn create_answers_the_model_in_order_and_sends_nothing() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, EMAIL).await;
    let before = h.emails.sent().len();
    let created = h.ok(CREATE, json!({ "session_token": session })).await;
    assert_eq!(
        members(&created),
        ["user_password_update", "user_password_update_token"]
    );
    let model = &created["user_password_update"];
    assert_eq!(
        members(model),
        [
            "id",
            "user_id",
            "session_id",
            "user_identity_verified",
            "new_password_set",
            "created_at",
            "expires_at"
        ]
    );
    let token = token(&created, "user_password_update_token");
    assert_eq!(model["id"], json!(id_of(&token)));
    assert_eq!(model["user_id"], json!(user.id));
    assert_eq!(model["session_id"], json!(id_of(&session)));
    assert_eq!(model["user_identity_verified"], json!(false));
    assert_eq!(model["new_password_set"], json!(false));
    assert_eq!(model["created_at"], json!(START));
    assert_eq!(model["expires_at"], json!(START + 600));
    assert_eq!(h.storage.count(UserPasswordUpdateRecord::PREFIX), 1);
    assert!(emails_since(&h, before).is_empty());
}

#[tokio::test]
async fn create_needs_a_valid_session() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, EMAIL).await;
    assert_each_fails(
        &h,
        CREATE,
        &[
            json!({ "session_token": "" }),
            json!({ "session_token": with_wrong_secret(&session) }),
        ],
        "invalid_session_token",
    )
    .await;
    assert_eq!(h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
}

#[tokio::test]
async fn create_internal_errors() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, EMAIL).await;
    let args = json!({ "session_token": session });
    h.users
        .modify(&user.id, |user| user.password_hash_counter = i32::MAX);
    assert_eq!(h.error(CREATE, args.clone()).await, "internal_error");
    h.users
        .modify(&user.id, |user| user.password_hash_counter = 0);
    h.storage.fail(
        StorageOp::Add,
        UserPasswordUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(h.error(CREATE, args.clone()).await, "internal_error");
    h.storage.clear_faults();
    h.users.fail("get_user", user_server_down());
    assert_eq!(h.error(CREATE, args).await, "internal_error");
    assert_eq!(h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
}

// ------------------------------------------------------------------ get / delete

#[tokio::test]
async fn get_answers_the_stored_update() {
    let flow = Flow::start().await;
    let model = flow.model().await;
    assert_eq!(model["id"], json!(id_of(&flow.token)));
    flow.verify().await;
    flow.set().await;
    let model = flow.model().await;
    assert_eq!(
        (&model["user_identity_verified"], &model["new_password_set"]),
        (&json!(true), &json!(true))
    );
}

#[tokio::test]
async fn every_session_bound_action_checks_session_then_token_then_binding() {
    let flow = Flow::start().await;
    let h = &flow.h;
    let other_session = another_session(h, EMAIL, PASSWORD).await;
    let (_, stranger_session) = signed_in(h, "bob@example.com").await;
    for action in [GET, DELETE, VERIFY, SET, COMPLETE] {
        let extra = matches!(action, VERIFY | SET).then_some(("password", PASSWORD));
        flow.assert_checks_session_then_token_then_binding(
            action,
            extra,
            &[
                ("", &flow.token),
                (&with_wrong_secret(&flow.session), "x.y"),
            ],
            &["", "a.b.c", &with_wrong_secret(&flow.token)],
            &[&other_session, &stranger_session],
        )
        .await;
    }
    assert_eq!(h.storage.count(UserPasswordUpdateRecord::PREFIX), 1);
}

#[tokio::test]
async fn row_7_delete_with_a_bad_token_is_invalid_password_update_token() {
    let flow = Flow::start().await;
    let bad = json!({
        "session_token": flow.session,
        "user_password_update_token": with_wrong_secret(&flow.token),
    });
    assert_eq!(
        flow.h.error(DELETE, bad).await,
        "invalid_password_update_token"
    );
    assert_eq!(flow.h.ok(DELETE, flow.args()).await, json!({}));
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
    assert_eq!(
        flow.h.error(DELETE, flow.args()).await,
        "invalid_password_update_token"
    );
}

#[tokio::test]
async fn delete_of_an_update_gone_meanwhile_is_invalid_and_a_storage_failure_internal() {
    let flow = Flow::start().await;
    flow.h.storage.fail(
        StorageOp::Delete,
        UserPasswordUpdateRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Delete,
        UserPasswordUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, "internal_error");
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 1);
}

// ------------------------------------------------------------------ verify password

#[tokio::test]
async fn verify_checks_the_current_password_and_sets_the_identity_once() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(VERIFY, flow.with_password(NEW_PASSWORD)).await,
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
            flow.h.error(VERIFY, flow.with_password(NEW_PASSWORD)).await,
            "incorrect_password",
            "attempt {attempt}"
        );
    }
    assert_eq!(
        flow.h.error(VERIFY, flow.with_password(PASSWORD)).await,
        "rate_limited"
    );
    flow.h.advance(MINUTE);
    flow.verify().await;
}

#[tokio::test]
async fn verify_races_and_failures() {
    let flow = Flow::start().await;
    let args = flow.with_password(PASSWORD);
    flow.h.storage.fail(
        StorageOp::Update,
        UserPasswordUpdateRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Get,
        UserPasswordUpdateRecord::PREFIX,
        1,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Update,
        UserPasswordUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(VERIFY, args.clone()).await, "internal_error");
    flow.h.storage.clear_faults();
    flow.h.users.modify(&flow.user.id, |user| {
        user.password_hash.algorithm_id = "bcrypt".into()
    });
    assert_eq!(flow.h.error(VERIFY, args).await, "internal_error");
    assert_eq!(flow.model().await["user_identity_verified"], json!(false));
}

// ------------------------------------------------------------------ set new password

#[tokio::test]
async fn row_3_new_password_requires_identity_verification() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(SET, flow.with_password(NEW_PASSWORD)).await,
        "user_identity_not_verified"
    );
    assert_eq!(flow.model().await["new_password_set"], json!(false));
    flow.verify().await;
    flow.set().await;
    assert_eq!(flow.model().await["new_password_set"], json!(true));
}

#[tokio::test]
async fn row_3_a_second_new_password_is_new_password_already_set() {
    let flow = Flow::start().await;
    flow.verify().await;
    flow.set().await;
    assert_eq!(
        flow.h
            .error(SET, flow.with_password("yet another passphrase"))
            .await,
        "new_password_already_set"
    );
}

#[tokio::test]
async fn set_applies_the_new_password_rules() {
    let flow = Flow::start().await;
    flow.verify().await;
    for password in ["short", &"x".repeat(101)] {
        assert_eq!(
            flow.h.error(SET, flow.with_password(password)).await,
            "invalid_password_length"
        );
    }
    flow.h.strength.mark_weak(NEW_PASSWORD);
    assert_eq!(
        flow.h.error(SET, flow.with_password(NEW_PASSWORD)).await,
        "weak_password"
    );
    flow.h.strength.set_failing(true);
    assert_eq!(
        flow.h
            .error(SET, flow.with_password("yet another passphrase"))
            .await,
        "internal_error"
    );
    assert_eq!(flow.model().await["new_password_set"], json!(false));
}

#[tokio::test]
async fn set_lost_races_are_internal_conflict() {
    let flow = Flow::start().await;
    flow.verify().await;
    let args = flow.with_password(NEW_PASSWORD);
    flow.h.storage.fail(
        StorageOp::Update,
        UserPasswordUpdateRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(SET, args.clone()).await, "internal_conflict");
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Get,
        UserPasswordUpdateRecord::PREFIX,
        1,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(SET, args.clone()).await, "internal_conflict");
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Update,
        UserPasswordUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(SET, args).await, "internal_error");
    flow.h.storage.clear_faults();
    assert_eq!(flow.model().await["new_password_set"], json!(false));
}

// ------------------------------------------------------------------ complete

#[tokio::test]
async fn complete_needs_the_identity_then_the_new_password() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "user_identity_not_verified"
    );
    flow.verify().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "new_password_not_set"
    );
    assert!(!flow.h.users.calls().contains(&"update_user_password_hash"));
}

#[tokio::test]
async fn complete_changes_the_password_and_tells_the_user() {
    let flow = Flow::start().await;
    flow.verify().await;
    flow.set().await;
    flow.h.advance(2 * MINUTE);
    let before = flow.h.emails.sent().len();
    assert_eq!(flow.h.ok(COMPLETE, flow.args()).await, json!({}));

    assert!(flow.password_is(NEW_PASSWORD).await);
    assert!(!flow.password_is(PASSWORD).await);
    let user = flow.h.users.user(&flow.user.id).expect("user");
    assert_eq!(
        user.password_hash_counter,
        flow.user.password_hash_counter + 1
    );
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
    assert_eq!(
        emails_since(&flow.h, before),
        [Email::PasswordUpdated {
            email_address: EMAIL.into(),
            display_name: "Ann".into(),
            updated_at: crate::faroe::clock::Timestamp::from_unix_seconds(START + 120),
        }]
    );
    // Sessions survive; the new password signs in.
    flow.h
        .ok("get_session", json!({ "session_token": flow.session }))
        .await;
    another_session(&flow.h, EMAIL, NEW_PASSWORD).await;
}

#[tokio::test]
async fn complete_voids_the_users_other_pending_flows() {
    let flow = Flow::start().await;
    let h = &flow.h;
    let deletion = token(
        &h.ok(
            "create_user_deletion",
            json!({ "session_token": flow.session }),
        )
        .await,
        "user_deletion_token",
    );
    let email_update = token(
        &h.ok(
            "create_user_email_address_update",
            json!({ "session_token": flow.session, "new_email_address": "ann@new.example" }),
        )
        .await,
        "user_email_address_update_token",
    );
    let signin = token(
        &h.ok("create_signin", json!({ "user_email_address": EMAIL }))
            .await,
        "signin_token",
    );
    flow.verify().await;
    flow.set().await;
    h.ok(COMPLETE, flow.args()).await;
    assert_eq!(
        h.error(
            "get_user_deletion",
            json!({ "session_token": flow.session, "user_deletion_token": deletion })
        )
        .await,
        "invalid_user_deletion_token"
    );
    assert_eq!(
        h.error(
            "get_user_email_address_update",
            json!({ "session_token": flow.session, "user_email_address_update_token": email_update })
        )
        .await,
        "invalid_user_email_address_update_token"
    );
    assert_eq!(
        h.error("get_signin", json!({ "signin_token": signin }))
            .await,
        "invalid_signin_token"
    );
}

#[tokio::test]
async fn complete_succeeds_when_the_notification_cannot_be_sent() {
    let flow = Flow::start().await;
    flow.verify().await;
    flow.set().await;
    flow.h.emails.set_failing(true);
    flow.h.ok(COMPLETE, flow.args()).await;
    assert!(flow.password_is(NEW_PASSWORD).await);
}

#[tokio::test]
async fn complete_losing_the_counter_race_is_internal_conflict_and_failures_internal() {
    let flow = Flow::start().await;
    flow.verify().await;
    flow.set().await;
    let before = flow.h.emails.sent().len();
    flow.h
        .users
        .fail("update_user_password_hash", UserStoreError::UserNotFound);
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "internal_conflict"
    );
    flow.h.users.fail(
        "update_user_password_hash",
        UserStoreError::EmailAddressAlreadyUsed,
    );
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, "internal_error");
    flow.h
        .users
        .fail("update_user_password_hash", user_server_down());
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, "internal_error");
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 1);
    assert!(emails_since(&flow.h, before).is_empty());
    assert!(flow.password_is(PASSWORD).await);
}

// ------------------------------------------------------------------ lifetime and invalidation

#[tokio::test]
async fn an_update_lives_10_minutes_inclusive() {
    let flow = Flow::start().await;
    flow.h.advance(10 * MINUTE);
    flow.h.ok(GET, flow.args()).await;
    flow.h.advance(NANOSECOND);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
}

#[tokio::test]
async fn a_password_change_voids_the_update() {
    let flow = Flow::start().await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.password_hash_counter += 1);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
}

#[tokio::test]
async fn an_address_change_leaves_the_update_valid() {
    let flow = Flow::start().await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.email_address_counter += 1);
    flow.h.ok(GET, flow.args()).await;
}

#[tokio::test]
async fn a_disabled_or_deleted_user_voids_the_update() {
    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);

    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h
        .users
        .delete_user(&flow.user.id)
        .await
        .expect("deleted");
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordUpdateRecord::PREFIX), 0);
}

#[tokio::test]
async fn verify_and_complete_check_the_sessions_user_even_with_a_fresh_cache() {
    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(
        flow.h.error(VERIFY, flow.with_password(PASSWORD)).await,
        "invalid_session_token"
    );
    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "invalid_session_token"
    );
}
