//! User password reset (docs/protocol.md §4.7).

use serde_json::{json, Value};

use super::*;
use crate::faroe::records::UserPasswordResetRecord as Reset;
use crate::faroe::testing::{with_wrong_secret, StorageOp, PASSWORD};

const EMAIL: &str = "ann@example.com";
const CREATE: &str = "create_user_password_reset";
const GET: &str = "get_user_password_reset";
const DELETE: &str = "delete_user_password_reset";
const VERIFY: &str = "verify_user_password_reset_temporary_password";
const SET: &str = "set_user_password_reset_new_password";
const COMPLETE: &str = "complete_user_password_reset";
const INVALID: &str = "invalid_user_password_reset_token";

struct Flow {
    h: Harness,
    user: User,
    token: String,
}

impl Flow {
    async fn start() -> Flow {
        let h = Harness::new();
        let user = h.add_user(EMAIL, PASSWORD).await;
        h.users
            .modify(&user.id, |user| user.display_name = "Ann".into());
        let user = h.users.user(&user.id).expect("user");
        let created = h.ok(CREATE, create_args(EMAIL)).await;
        let token = token(&created, "user_password_reset_token");
        Flow { h, user, token }
    }

    fn args(&self) -> Value {
        json!({ "user_password_reset_token": self.token })
    }

    fn with(&self, name: &str, value: &str) -> Value {
        let mut args = self.args();
        args[name] = json!(value);
        args
    }

    fn key(&self) -> String {
        key_of::<Reset>(&self.token)
    }

    fn temporary_password(&self) -> String {
        self.h
            .emails
            .last_code(EMAIL)
            .expect("a temporary password was sent")
    }

    async fn verify(&self) {
        let args = self.with("temporary_password", &self.temporary_password());
        self.h.ok(VERIFY, args).await;
    }

    async fn set(&self) {
        self.h.ok(SET, self.with("password", NEW_PASSWORD)).await;
    }

    async fn model(&self) -> Value {
        self.h.ok(GET, self.args()).await["user_password_reset"].clone()
    }

    async fn password_is(&self, password: &str) -> bool {
        password_is(&self.h, &self.user.id, password).await
    }

    /// Every reset action, with arguments naming `token`.
    fn all_actions(token: &str) -> Vec<(&'static str, Value)> {
        let token_only = json!({ "user_password_reset_token": token });
        vec![
            (GET, token_only.clone()),
            (DELETE, token_only.clone()),
            (
                VERIFY,
                json!({ "user_password_reset_token": token, "temporary_password": "ABCDEFGHJKLM" }),
            ),
            (
                SET,
                json!({ "user_password_reset_token": token, "password": NEW_PASSWORD }),
            ),
            (COMPLETE, token_only),
        ]
    }

    async fn assert_every_action_is_invalid(&self, token: &str) {
        for (action, args) in Self::all_actions(token) {
            assert_eq!(self.h.error(action, args).await, INVALID, "{action}");
        }
    }
}

fn create_args(email_address: &str) -> Value {
    json!({ "user_email_address": email_address })
}

// ------------------------------------------------------------------ create

#[tokio::test]
async fn create_answers_the_model_in_order_and_mails_a_temporary_password() {
    let h = Harness::new();
    let user = h.add_user(EMAIL, PASSWORD).await;
    h.users
        .modify(&user.id, |user| user.display_name = "Ann".into());
    let created = h.ok(CREATE, create_args(EMAIL)).await;
    assert_eq!(
        members(&created),
        ["user_password_reset", "user_password_reset_token"]
    );
    let model = &created["user_password_reset"];
    assert_eq!(
        members(model),
        [
            "id",
            "user_id",
            "user_first_factor_verified",
            "new_password_set",
            "created_at",
            "expires_at"
        ]
    );
    let token = token(&created, "user_password_reset_token");
    assert_eq!(model["id"], json!(id_of(&token)));
    assert_eq!(model["user_id"], json!(user.id));
    assert_eq!(model["user_first_factor_verified"], json!(false));
    assert_eq!(model["new_password_set"], json!(false));
    assert_eq!(model["created_at"], json!(START));
    assert_eq!(model["expires_at"], json!(START + 1200));

    let sent = h.emails.sent();
    assert_eq!(sent.len(), 1);
    let Email::PasswordReset {
        email_address,
        display_name,
        temporary_password,
    } = &sent[0]
    else {
        panic!("not a password_reset: {:?}", sent[0]);
    };
    assert_eq!(
        (email_address.as_str(), display_name.as_str()),
        (EMAIL, "Ann")
    );
    assert_eq!(temporary_password.len(), 12);
    assert!(temporary_password
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    // Only a hash of it is stored.
    let key = key_of::<Reset>(&token);
    let entry = h.storage.get(&key).await.expect("stored");
    let record: Reset = decode(&entry.value).expect("decodes");
    assert_ne!(
        record.temporary_password.hash,
        temporary_password.as_bytes()
    );
    assert_eq!(record.temporary_password.salt.len(), 16);
}

#[tokio::test]
async fn create_refuses_bad_addresses_unknown_and_disabled_users() {
    let h = Harness::new();
    let user = h.add_user(EMAIL, PASSWORD).await;
    assert_eq!(
        h.error(CREATE, create_args("ann@exa$mple.com")).await,
        "invalid_email_address"
    );
    assert_eq!(
        h.error(CREATE, create_args("bob@example.com")).await,
        "user_not_found"
    );
    assert_eq!(
        h.error(CREATE, create_args("ANN@example.com")).await,
        "user_not_found",
        "addresses are compared exactly"
    );
    h.users.disable(&user.id);
    assert_eq!(h.error(CREATE, create_args(EMAIL)).await, "user_disabled");
    assert_eq!(h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    assert_eq!(
        h.storage.count(Bucket::Email.prefix()),
        0,
        "no e-mail token spent"
    );
    assert!(h.emails.sent().is_empty());
}

#[tokio::test]
async fn create_spends_an_email_token_of_the_address_each_time() {
    let h = Harness::new();
    h.add_user(EMAIL, PASSWORD).await;
    for _ in 0..5 {
        h.ok(CREATE, create_args(EMAIL)).await;
    }
    assert_eq!(h.error(CREATE, create_args(EMAIL)).await, "rate_limited");
    assert_eq!(h.storage.count(UserPasswordResetRecord::PREFIX), 5);
    assert_eq!(h.emails.sent().len(), 5);
}

#[tokio::test]
async fn create_is_refused_while_the_user_has_no_temporary_password_attempts_left() {
    let flow = Flow::start().await;
    for _ in 0..5 {
        let args = flow.with("temporary_password", "WRONGWRONGWR");
        assert_eq!(
            flow.h.error(VERIFY, args).await,
            "incorrect_temporary_password"
        );
    }
    assert_eq!(
        flow.h.error(CREATE, create_args(EMAIL)).await,
        "rate_limited"
    );
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 1);
    assert_eq!(flow.h.emails.sent().len(), 1);
}

#[tokio::test]
async fn create_losing_the_email_bucket_race_is_internal_conflict() {
    let h = Harness::new();
    h.add_user(EMAIL, PASSWORD).await;
    h.storage.fail(
        StorageOp::Add,
        Bucket::Email.prefix(),
        0,
        StorageError::AlreadyExists,
    );
    assert_eq!(
        h.error(CREATE, create_args(EMAIL)).await,
        "internal_conflict"
    );
    h.storage.clear_faults();
    h.ok(CREATE, create_args(EMAIL)).await;
    h.storage.fail(
        StorageOp::Update,
        Bucket::Email.prefix(),
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        h.error(CREATE, create_args(EMAIL)).await,
        "internal_conflict"
    );
    assert_eq!(h.storage.count(UserPasswordResetRecord::PREFIX), 1);
}

#[tokio::test]
async fn create_internal_errors() {
    let h = Harness::new();
    let user = h.add_user(EMAIL, PASSWORD).await;
    h.users
        .modify(&user.id, |user| user.password_hash_counter = i32::MAX);
    assert_eq!(h.error(CREATE, create_args(EMAIL)).await, "internal_error");
    h.users
        .modify(&user.id, |user| user.password_hash_counter = 0);
    h.users
        .fail("get_user_by_email_address", user_server_down());
    assert_eq!(h.error(CREATE, create_args(EMAIL)).await, "internal_error");
    h.users.clear_faults();
    h.storage.fail(
        StorageOp::Add,
        UserPasswordResetRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(h.error(CREATE, create_args(EMAIL)).await, "internal_error");
    assert_eq!(h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    assert!(h.emails.sent().is_empty());
}

#[tokio::test]
async fn row_11_failed_code_email_in_create_removes_the_reset_again() {
    let h = Harness::new();
    h.add_user(EMAIL, PASSWORD).await;
    h.emails.set_failing(true);
    assert_eq!(h.error(CREATE, create_args(EMAIL)).await, "internal_error");
    assert_eq!(h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    assert_eq!(
        h.storage.count(Bucket::Email.prefix()),
        1,
        "the e-mail token stays spent"
    );
}

// ------------------------------------------------------------------ row 1: bad tokens

#[tokio::test]
async fn row_1_malformed_unknown_or_wrong_secret_reset_token_is_invalid_user_password_reset_token()
{
    let flow = Flow::start().await;
    for token in [
        String::new(),
        "no-dot".to_owned(),
        "a.b.c".to_owned(),
        format!("{}.{}", "q".repeat(24), "q".repeat(24)),
        with_wrong_secret(&flow.token),
    ] {
        flow.assert_every_action_is_invalid(&token).await;
    }
    assert_eq!(
        flow.h.storage.count(UserPasswordResetRecord::PREFIX),
        1,
        "a wrong secret deletes nothing"
    );
}

#[tokio::test]
async fn row_1_expired_reset_token_is_invalid_user_password_reset_token() {
    let flow = Flow::start().await;
    flow.h.advance(20 * MINUTE - NANOSECOND);
    flow.h.ok(GET, flow.args()).await;
    flow.h.advance(NANOSECOND);
    flow.assert_every_action_is_invalid(&flow.token).await;
    assert_eq!(
        flow.h.storage.count(UserPasswordResetRecord::PREFIX),
        0,
        "the expired reset is deleted"
    );
}

#[tokio::test]
async fn row_1_stale_reset_token_is_invalid_user_password_reset_token() {
    // The address changed.
    let flow = Flow::start().await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.email_address_counter += 1);
    flow.assert_every_action_is_invalid(&flow.token).await;
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    // The user was disabled.
    let flow = Flow::start().await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    // The user was deleted.
    let flow = Flow::start().await;
    flow.h
        .users
        .delete_user(&flow.user.id)
        .await
        .expect("deleted");
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
}

#[tokio::test]
async fn row_1_a_user_server_failure_while_validating_is_still_internal_error() {
    let flow = Flow::start().await;
    flow.h.users.fail("get_user", user_server_down());
    assert_eq!(flow.h.error(GET, flow.args()).await, "internal_error");
    flow.h.users.clear_faults();
    flow.h.storage.fail(
        StorageOp::Get,
        UserPasswordResetRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(GET, flow.args()).await, "internal_error");
    flow.h.storage.clear_faults();
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 1);
}

#[tokio::test]
async fn row_10_reset_made_before_a_password_change_is_invalid() {
    let flow = Flow::start().await;
    let session = another_session(&flow.h, EMAIL, PASSWORD).await;
    // The user changes the password through a password update.
    let update = token(
        &flow
            .h
            .ok(
                "create_user_password_update",
                json!({ "session_token": session }),
            )
            .await,
        "user_password_update_token",
    );
    let args = json!({ "session_token": session, "user_password_update_token": update });
    let mut with_password = args.clone();
    with_password["password"] = json!(PASSWORD);
    flow.h
        .ok(
            "verify_user_password_update_user_password",
            with_password.clone(),
        )
        .await;
    with_password["password"] = json!("the changed passphrase");
    flow.h
        .ok("set_user_password_update_new_password", with_password)
        .await;
    flow.h.ok("complete_user_password_update", args).await;

    flow.assert_every_action_is_invalid(&flow.token).await;
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    assert!(flow.password_is("the changed passphrase").await);
}

// ------------------------------------------------------------------ get / delete

#[tokio::test]
async fn get_answers_the_stored_reset() {
    let flow = Flow::start().await;
    assert_eq!(flow.model().await["id"], json!(id_of(&flow.token)));
    flow.verify().await;
    flow.set().await;
    let model = flow.model().await;
    assert_eq!(
        (
            &model["user_first_factor_verified"],
            &model["new_password_set"]
        ),
        (&json!(true), &json!(true))
    );
}

#[tokio::test]
async fn delete_removes_the_reset_once() {
    let flow = Flow::start().await;
    assert_eq!(flow.h.ok(DELETE, flow.args()).await, json!({}));
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
}

#[tokio::test]
async fn row_2_storage_failure_in_delete_is_internal_error() {
    let flow = Flow::start().await;
    flow.h.storage.fail(
        StorageOp::Delete,
        UserPasswordResetRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, "internal_error");
    flow.h.storage.clear_faults();
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 1);
}

#[tokio::test]
async fn row_2_a_reset_already_gone_at_delete_is_invalid_user_password_reset_token() {
    let flow = Flow::start().await;
    flow.h.storage.fail(
        StorageOp::Delete,
        UserPasswordResetRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
}

// ------------------------------------------------------------------ verify temporary password

#[tokio::test]
async fn verify_checks_the_temporary_password_exactly_and_once() {
    let flow = Flow::start().await;
    let temporary = flow.temporary_password();
    for wrong in [
        temporary.to_lowercase(),
        format!(" {temporary}"),
        PASSWORD.to_owned(),
    ] {
        assert_eq!(
            flow.h
                .error(VERIFY, flow.with("temporary_password", &wrong))
                .await,
            "incorrect_temporary_password"
        );
    }
    flow.verify().await;
    assert_eq!(
        flow.model().await["user_first_factor_verified"],
        json!(true)
    );
    assert_eq!(
        flow.h
            .error(VERIFY, flow.with("temporary_password", &temporary))
            .await,
        "user_first_factor_already_verified"
    );
}

#[tokio::test]
async fn verify_spends_a_temporary_password_token_of_the_user_per_attempt() {
    let flow = Flow::start().await;
    for attempt in 1..=5 {
        assert_eq!(
            flow.h
                .error(VERIFY, flow.with("temporary_password", "WRONGWRONGWR"))
                .await,
            "incorrect_temporary_password",
            "attempt {attempt}"
        );
    }
    let args = flow.with("temporary_password", &flow.temporary_password());
    assert_eq!(flow.h.error(VERIFY, args).await, "rate_limited");
    flow.h.advance(MINUTE);
    flow.verify().await;
}

#[tokio::test]
async fn verify_with_a_temporary_password_of_another_algorithm_voids_the_reset() {
    let flow = Flow::start().await;
    edit_record::<Reset>(&flow.h, &flow.key(), |reset| {
        reset.temporary_password.algorithm_id = "argon2id.1.1.1.32".into()
    })
    .await;
    let args = flow.with("temporary_password", &flow.temporary_password());
    assert_eq!(flow.h.error(VERIFY, args).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
}

#[tokio::test]
async fn verify_lost_races_are_internal_conflict() {
    let flow = Flow::start().await;
    let args = flow.with("temporary_password", &flow.temporary_password());
    flow.h.storage.fail(
        StorageOp::Update,
        UserPasswordResetRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    // Gone before the flag could be written (upstream: internal_error).
    flow.h.storage.fail(
        StorageOp::Get,
        UserPasswordResetRecord::PREFIX,
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
        Bucket::TemporaryPassword.prefix(),
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
        UserPasswordResetRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(VERIFY, args).await, "internal_error");
    flow.h.storage.clear_faults();
    assert_eq!(
        flow.model().await["user_first_factor_verified"],
        json!(false)
    );
}

// ------------------------------------------------------------------ set new password

#[tokio::test]
async fn set_needs_the_first_factor_and_happens_once() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(SET, flow.with("password", NEW_PASSWORD)).await,
        "user_first_factor_not_verified"
    );
    flow.verify().await;
    flow.set().await;
    assert_eq!(flow.model().await["new_password_set"], json!(true));
    assert_eq!(
        flow.h
            .error(SET, flow.with("password", "yet another passphrase"))
            .await,
        "new_password_already_set"
    );
}

#[tokio::test]
async fn set_applies_the_new_password_rules() {
    let flow = Flow::start().await;
    flow.verify().await;
    assert_eq!(
        flow.h.error(SET, flow.with("password", "123456789")).await,
        "invalid_password_length"
    );
    flow.h.strength.mark_weak(NEW_PASSWORD);
    assert_eq!(
        flow.h.error(SET, flow.with("password", NEW_PASSWORD)).await,
        "weak_password"
    );
    flow.h.strength.set_failing(true);
    assert_eq!(
        flow.h
            .error(SET, flow.with("password", "yet another passphrase"))
            .await,
        "internal_error"
    );
    assert_eq!(flow.model().await["new_password_set"], json!(false));
}

#[tokio::test]
async fn set_lost_races_are_internal_conflict() {
    let flow = Flow::start().await;
    flow.verify().await;
    let args = flow.with("password", NEW_PASSWORD);
    flow.h.storage.fail(
        StorageOp::Update,
        UserPasswordResetRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(SET, args.clone()).await, "internal_conflict");
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Get,
        UserPasswordResetRecord::PREFIX,
        1,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(SET, args).await, "internal_conflict");
    flow.h.storage.clear_faults();
    assert_eq!(flow.model().await["new_password_set"], json!(false));
}

// ------------------------------------------------------------------ complete

#[tokio::test]
async fn complete_needs_the_first_factor_then_the_new_password() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "user_first_factor_not_verified"
    );
    flow.verify().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "new_password_not_set"
    );
    assert!(!flow.h.users.calls().contains(&"update_user_password_hash"));
}

#[tokio::test]
async fn complete_changes_the_password_and_signs_the_user_in() {
    let flow = Flow::start().await;
    let old_session = another_session(&flow.h, EMAIL, PASSWORD).await;
    flow.verify().await;
    flow.set().await;
    flow.h.advance(3 * MINUTE);
    let before = flow.h.emails.sent().len();
    let sessions = flow.h.storage.count(SessionRecord::PREFIX);
    let created = flow.h.ok(COMPLETE, flow.args()).await;

    assert_eq!(members(&created), ["session", "session_token"]);
    assert_eq!(created["session"]["user_id"], json!(flow.user.id));
    assert_eq!(created["session"]["created_at"], json!(START + 180));
    let session_token = token(&created, "session_token");
    flow.h
        .ok("get_session", json!({ "session_token": session_token }))
        .await;
    assert_eq!(flow.h.storage.count(SessionRecord::PREFIX), sessions + 1);

    assert!(flow.password_is(NEW_PASSWORD).await);
    let user = flow.h.users.user(&flow.user.id).expect("user");
    assert_eq!(
        user.password_hash_counter,
        flow.user.password_hash_counter + 1
    );
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    let at = crate::faroe::clock::Timestamp::from_unix_seconds(START + 180);
    assert_eq!(
        emails_since(&flow.h, before),
        [
            Email::PasswordUpdated {
                email_address: EMAIL.into(),
                display_name: "Ann".into(),
                updated_at: at,
            },
            Email::SigninNotification {
                email_address: EMAIL.into(),
                display_name: "Ann".into(),
                signed_in_at: at,
            },
        ]
    );
    // Every earlier session is ended by a reset (difference 24).
    assert_eq!(
        flow.h
            .error("get_session", json!({ "session_token": old_session }))
            .await,
        "invalid_session_token"
    );
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
}

#[tokio::test]
async fn complete_succeeds_when_the_notifications_cannot_be_sent() {
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
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 1);
    assert_eq!(flow.h.storage.count(SessionRecord::PREFIX), 0);
    assert!(emails_since(&flow.h, before).is_empty());
    assert!(flow.password_is(PASSWORD).await);
}

#[tokio::test]
async fn complete_when_the_session_cannot_be_stored_is_session_not_created() {
    let flow = Flow::start().await;
    flow.verify().await;
    flow.set().await;
    let before = flow.h.emails.sent().len();
    flow.h
        .storage
        .fail(StorageOp::Add, SessionRecord::PREFIX, 0, storage_down());
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "session_not_created"
    );
    // The password has changed and the reset is finished all the same.
    assert!(flow.password_is(NEW_PASSWORD).await);
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
    assert_eq!(flow.h.storage.count(SessionRecord::PREFIX), 0);
    assert_eq!(flow.h.emails.kinds()[before..], ["password_updated"]);
}

// ------------------------------------------------------------------ lifetime

#[tokio::test]
async fn a_reset_lives_20_minutes_exclusive() {
    let flow = Flow::start().await;
    flow.h.advance(20 * MINUTE - NANOSECOND);
    flow.h.ok(GET, flow.args()).await;
    flow.h.advance(NANOSECOND);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
}

#[tokio::test]
async fn an_address_change_through_an_email_update_voids_the_reset() {
    let flow = Flow::start().await;
    let session = another_session(&flow.h, EMAIL, PASSWORD).await;
    let new = "ann@new.example";
    let update = token(
        &flow
            .h
            .ok(
                "create_user_email_address_update",
                json!({ "session_token": session, "new_email_address": new }),
            )
            .await,
        "user_email_address_update_token",
    );
    let args = json!({ "session_token": session, "user_email_address_update_token": update });
    let mut with_code = args.clone();
    with_code["email_address_verification_code"] =
        json!(flow.h.emails.last_code(new).expect("code"));
    flow.h
        .ok(
            "verify_user_email_address_update_email_address_verification_code",
            with_code,
        )
        .await;
    let mut with_password = args.clone();
    with_password["password"] = json!(PASSWORD);
    flow.h
        .ok(
            "verify_user_email_address_update_user_password",
            with_password,
        )
        .await;
    flow.h.ok("complete_user_email_address_update", args).await;
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(flow.h.storage.count(UserPasswordResetRecord::PREFIX), 0);
}
