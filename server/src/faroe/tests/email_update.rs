//! E-mail address update (§4.4).

use serde_json::{json, Value};

use super::*;
use crate::faroe::testing::{with_wrong_secret, StorageOp, PASSWORD};

const OLD: &str = "ann@example.com";
const NEW: &str = "ann@new.example";
const CREATE: &str = "create_user_email_address_update";
const GET: &str = "get_user_email_address_update";
const DELETE: &str = "delete_user_email_address_update";
const SEND: &str = "send_user_email_address_update_email_address_verification_code";
const VERIFY_CODE: &str = "verify_user_email_address_update_email_address_verification_code";
const VERIFY_PASSWORD: &str = "verify_user_email_address_update_user_password";
const COMPLETE: &str = "complete_user_email_address_update";
const INVALID: &str = "invalid_user_email_address_update_token";

struct EmailUpdate;

impl SessionFlowKind for EmailUpdate {
    const SIGNED_IN: &'static str = OLD;
    const CREATE: &'static str = CREATE;
    const GET: &'static str = GET;
    const MODEL: &'static str = "user_email_address_update";
    const TOKEN: &'static str = "user_email_address_update_token";
    const INVALID: &'static str = INVALID;

    fn create_args(session: &str) -> Value {
        create_args(session, NEW)
    }
}

type Flow = SessionFlow<EmailUpdate>;

impl Flow {
    fn code(&self) -> String {
        self.h.emails.last_code(NEW).expect("a code was sent")
    }

    async fn verify_code(&self) {
        let args = self.with("email_address_verification_code", &self.code());
        self.h.ok(VERIFY_CODE, args).await;
    }

    async fn verify_password(&self) {
        self.h
            .ok(VERIFY_PASSWORD, self.with_password(PASSWORD))
            .await;
    }
}

fn create_args(session: &str, new_email_address: &str) -> Value {
    json!({ "session_token": session, "new_email_address": new_email_address })
}

// ------------------------------------------------------------------ create

#[tokio::test]
async fn create_answers_the_model_in_order_and_mails_the_code_to_the_new_address() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, OLD).await;
    let before = h.emails.sent().len();
    let created = h.ok(CREATE, create_args(&session, NEW)).await;
    assert_eq!(
        members(&created),
        [
            "user_email_address_update",
            "user_email_address_update_token"
        ]
    );
    let model = &created["user_email_address_update"];
    assert_eq!(
        members(model),
        [
            "id",
            "user_id",
            "session_id",
            "new_email_address",
            "new_email_address_verified",
            "user_identity_verified",
            "created_at",
            "expires_at"
        ]
    );
    let token = token(&created, "user_email_address_update_token");
    assert_eq!(token.len(), 49);
    assert_eq!(model["id"], json!(id_of(&token)));
    assert_eq!(model["user_id"], json!(user.id));
    assert_eq!(model["session_id"], json!(id_of(&session)));
    assert_eq!(model["new_email_address"], json!(NEW));
    assert_eq!(model["new_email_address_verified"], json!(false));
    assert_eq!(model["user_identity_verified"], json!(false));
    assert_eq!(model["created_at"], json!(START));
    assert_eq!(model["expires_at"], json!(START + 1200));
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 1);

    let sent = emails_since(&h, before);
    assert_eq!(sent.len(), 1);
    let Email::EmailUpdateVerification {
        email_address,
        display_name,
        code,
    } = &sent[0]
    else {
        panic!("not an email_update_verification: {:?}", sent[0]);
    };
    assert_eq!(
        (email_address.as_str(), display_name.as_str()),
        (NEW, "Ann")
    );
    assert_eq!(code.len(), 8);
    assert!(code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
}

#[tokio::test]
async fn create_checks_the_address_pattern_before_the_session() {
    let h = Harness::new();
    assert_eq!(
        h.error(CREATE, create_args("not a session", "no-at-sign"))
            .await,
        "invalid_email_address"
    );
    assert!(h.users.calls().is_empty());
    assert_eq!(
        h.error(CREATE, create_args("not a session", NEW)).await,
        "invalid_session_token"
    );
    let (_, session) = signed_in(&h, OLD).await;
    assert_eq!(
        h.error(CREATE, create_args(&with_wrong_secret(&session), NEW))
            .await,
        "invalid_session_token"
    );
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 0);
}

#[tokio::test]
async fn create_refuses_an_address_in_use_the_users_own_included() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, OLD).await;
    h.add_user(NEW, PASSWORD).await;
    let before = h.emails.sent().len();
    for address in [NEW, OLD] {
        assert_eq!(
            h.error(CREATE, create_args(&session, address)).await,
            "email_address_already_used"
        );
    }
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 0);
    assert_eq!(
        h.storage.count(Bucket::Email.prefix()),
        0,
        "no e-mail token spent"
    );
    assert!(emails_since(&h, before).is_empty());
}

#[tokio::test]
async fn create_spends_an_email_token_of_the_new_address_each_time() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, OLD).await;
    for _ in 0..5 {
        h.ok(CREATE, create_args(&session, NEW)).await;
    }
    let before = h.emails.sent().len();
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "rate_limited"
    );
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 5);
    assert!(emails_since(&h, before).is_empty());
    // Another address has its own bucket.
    h.ok(CREATE, create_args(&session, "ann@other.example"))
        .await;
    // The bucket refills one token per 30 minutes.
    h.advance(30 * MINUTE);
    h.ok(CREATE, create_args(&session, NEW)).await;
}

#[tokio::test]
async fn create_is_refused_while_the_new_address_has_no_code_attempts_left() {
    let flow = Flow::start().await;
    for _ in 0..5 {
        let args = flow.with("email_address_verification_code", "WRONGONE");
        assert_eq!(
            flow.h.error(VERIFY_CODE, args).await,
            "incorrect_email_address_verification_code"
        );
    }
    assert_eq!(
        flow.h.error(CREATE, create_args(&flow.session, NEW)).await,
        "rate_limited"
    );
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        1
    );
}

#[tokio::test]
async fn create_losing_the_email_bucket_race_is_internal_conflict() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, OLD).await;
    h.storage.fail(
        StorageOp::Add,
        Bucket::Email.prefix(),
        0,
        StorageError::AlreadyExists,
    );
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_conflict"
    );
    h.storage.clear_faults();
    h.ok(CREATE, create_args(&session, NEW)).await;
    h.storage.fail(
        StorageOp::Update,
        Bucket::Email.prefix(),
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_conflict"
    );
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 1);
}

#[tokio::test]
async fn create_internal_errors() {
    let h = Harness::new();
    let (user, session) = signed_in(&h, OLD).await;
    let before = h.emails.sent().len();

    h.users
        .modify(&user.id, |user| user.email_address_counter = i32::MAX);
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_error"
    );
    h.users
        .modify(&user.id, |user| user.email_address_counter = 0);

    h.users
        .fail("get_user_by_email_address", user_server_down());
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_error"
    );
    h.users.clear_faults();

    h.storage.fail(
        StorageOp::Add,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_error"
    );
    h.storage.clear_faults();

    h.users.fail("get_user", user_server_down());
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_error"
    );
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 0);
    assert!(emails_since(&h, before).is_empty());
}

#[tokio::test]
async fn row_11_failed_code_email_in_create_removes_the_update_again() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, OLD).await;
    h.emails.set_failing(true);
    assert_eq!(
        h.error(CREATE, create_args(&session, NEW)).await,
        "internal_error"
    );
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 0);
    assert_eq!(
        h.storage.count(Bucket::Email.prefix()),
        1,
        "the e-mail token stays spent"
    );
}

// ------------------------------------------------------------------ get / delete

#[tokio::test]
async fn get_answers_the_stored_update() {
    let flow = Flow::start().await;
    let model = flow.model().await;
    assert_eq!(model["id"], json!(id_of(&flow.token)));
    assert_eq!(model["user_id"], json!(flow.user.id));
    assert_eq!(model["new_email_address_verified"], json!(false));
    flow.verify_code().await;
    assert_eq!(
        flow.model().await["new_email_address_verified"],
        json!(true)
    );
}

#[tokio::test]
async fn every_session_bound_action_checks_session_then_token_then_binding() {
    let flow = Flow::start().await;
    let h = &flow.h;
    let other_session = another_session(h, OLD, PASSWORD).await;
    let (_, stranger_session) = signed_in(h, "bob@example.com").await;
    let extra = |action: &str| match action {
        VERIFY_CODE => Some(("email_address_verification_code", "ABCDEFGH")),
        VERIFY_PASSWORD => Some(("password", PASSWORD)),
        _ => None,
    };
    for action in [GET, DELETE, SEND, VERIFY_CODE, VERIFY_PASSWORD, COMPLETE] {
        let wrong_session = with_wrong_secret(&flow.session);
        flow.assert_checks_session_then_token_then_binding(
            action,
            extra(action),
            &[
                ("", &flow.token),
                (&wrong_session, &flow.token),
                // An invalid session wins over an invalid token.
                (&wrong_session, "x.y"),
            ],
            &[
                "",
                "no-dot",
                "a.b.c",
                &with_wrong_secret(&flow.token),
                &format!("{}.{}", "q".repeat(24), "q".repeat(24)),
            ],
            &[&other_session, &stranger_session],
        )
        .await;
    }
    // None of that touched the update.
    assert_eq!(h.storage.count(UserEmailAddressUpdateRecord::PREFIX), 1);
    assert_eq!(
        flow.model().await["new_email_address_verified"],
        json!(false)
    );
}

#[tokio::test]
async fn delete_removes_the_update_once() {
    let flow = Flow::start().await;
    assert_eq!(flow.h.ok(DELETE, flow.args()).await, json!({}));
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
}

#[tokio::test]
async fn delete_of_an_update_gone_meanwhile_is_invalid_and_a_storage_failure_internal() {
    let flow = Flow::start().await;
    flow.h.storage.fail(
        StorageOp::Delete,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, INVALID);
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Delete,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(DELETE, flow.args()).await, "internal_error");
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Get,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(GET, flow.args()).await, "internal_error");
}

// ------------------------------------------------------------------ send code

#[tokio::test]
async fn send_code_mails_the_same_code_again_to_the_new_address() {
    let flow = Flow::start().await;
    let first = flow.code();
    let before = flow.h.emails.sent().len();
    assert_eq!(flow.h.ok(SEND, flow.args()).await, json!({}));
    let sent = emails_since(&flow.h, before);
    assert_eq!(
        sent,
        [Email::EmailUpdateVerification {
            email_address: NEW.into(),
            display_name: "Ann".into(),
            code: first,
        }]
    );
}

#[tokio::test]
async fn send_code_after_verification_is_already_verified() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    let before = flow.h.emails.sent().len();
    assert_eq!(
        flow.h.error(SEND, flow.args()).await,
        "email_address_already_verified"
    );
    assert!(emails_since(&flow.h, before).is_empty());
}

#[tokio::test]
async fn send_code_shares_the_email_bucket_with_create() {
    let flow = Flow::start().await;
    for _ in 0..4 {
        flow.h.ok(SEND, flow.args()).await;
    }
    let before = flow.h.emails.sent().len();
    assert_eq!(flow.h.error(SEND, flow.args()).await, "rate_limited");
    assert!(emails_since(&flow.h, before).is_empty());
}

#[tokio::test]
async fn send_code_is_refused_while_the_address_has_no_code_attempts_left() {
    let flow = Flow::start().await;
    for attempt in 1..=5 {
        let args = flow.with("email_address_verification_code", "WRONGONE");
        assert_eq!(
            flow.h.error(VERIFY_CODE, args).await,
            "incorrect_email_address_verification_code",
            "attempt {attempt}"
        );
    }
    assert_eq!(flow.h.error(SEND, flow.args()).await, "rate_limited");
}

#[tokio::test]
async fn send_code_races_and_failures() {
    let flow = Flow::start().await;
    flow.h.storage.fail(
        StorageOp::Update,
        Bucket::Email.prefix(),
        0,
        StorageError::NotFound,
    );
    assert_eq!(flow.h.error(SEND, flow.args()).await, "internal_conflict");
    flow.h.storage.clear_faults();
    flow.h.emails.set_failing(true);
    assert_eq!(flow.h.error(SEND, flow.args()).await, "internal_error");
    // A resend never removes the update.
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        1
    );
}

// ------------------------------------------------------------------ verify code

#[tokio::test]
async fn verify_code_checks_the_code_exactly_and_once() {
    let flow = Flow::start().await;
    let code = flow.code();
    for wrong in [
        code.to_lowercase(),
        format!("{code} "),
        code[..7].to_owned(),
    ] {
        let args = flow.with("email_address_verification_code", &wrong);
        assert_eq!(
            flow.h.error(VERIFY_CODE, args).await,
            "incorrect_email_address_verification_code"
        );
    }
    flow.verify_code().await;
    assert_eq!(
        flow.model().await["new_email_address_verified"],
        json!(true)
    );
    let args = flow.with("email_address_verification_code", &code);
    assert_eq!(
        flow.h.error(VERIFY_CODE, args).await,
        "email_address_already_verified"
    );
}

#[tokio::test]
async fn verify_code_spends_a_code_token_per_attempt() {
    let flow = Flow::start().await;
    for attempt in 1..=5 {
        let args = flow.with("email_address_verification_code", "WRONGONE");
        assert_eq!(
            flow.h.error(VERIFY_CODE, args).await,
            "incorrect_email_address_verification_code",
            "attempt {attempt}"
        );
    }
    let args = flow.with("email_address_verification_code", &flow.code());
    assert_eq!(flow.h.error(VERIFY_CODE, args).await, "rate_limited");
    flow.h.advance(MINUTE);
    flow.verify_code().await;
}

#[tokio::test]
async fn verify_code_lost_races_are_internal_conflict() {
    let flow = Flow::start().await;
    let args = flow.with("email_address_verification_code", &flow.code());
    // The update is rewritten under its counter; someone else wrote first.
    flow.h.storage.fail(
        StorageOp::Update,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY_CODE, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    // The update vanished between the check and the rewrite.
    flow.h.storage.fail(
        StorageOp::Get,
        UserEmailAddressUpdateRecord::PREFIX,
        1,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY_CODE, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    // The code bucket was written meanwhile.
    flow.h.storage.fail(
        StorageOp::Update,
        Bucket::VerificationCode.prefix(),
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY_CODE, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Update,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        storage_down(),
    );
    assert_eq!(flow.h.error(VERIFY_CODE, args).await, "internal_error");
    flow.h.storage.clear_faults();
    assert_eq!(
        flow.model().await["new_email_address_verified"],
        json!(false)
    );
}

// ------------------------------------------------------------------ verify password

#[tokio::test]
async fn verify_password_needs_the_new_address_verified_first() {
    let flow = Flow::start().await;
    let bucket = format!("{}{}", Bucket::UserPassword.prefix(), flow.user.id);
    let before = flow.h.storage.get(&bucket).await.expect("signin spent one");
    assert_eq!(
        flow.h
            .error(VERIFY_PASSWORD, flow.with_password(PASSWORD))
            .await,
        "email_address_not_verified"
    );
    let after = flow.h.storage.get(&bucket).await.expect("bucket");
    assert_eq!(after, before, "no password token spent");
}

#[tokio::test]
async fn verify_password_checks_the_password_and_sets_the_identity_once() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    assert_eq!(
        flow.h
            .error(VERIFY_PASSWORD, flow.with_password("not the password"))
            .await,
        "incorrect_password"
    );
    flow.verify_password().await;
    assert_eq!(flow.model().await["user_identity_verified"], json!(true));
    assert_eq!(
        flow.h
            .error(VERIFY_PASSWORD, flow.with_password(PASSWORD))
            .await,
        "user_identity_already_verified"
    );
}

#[tokio::test]
async fn verify_password_spends_a_password_token_of_the_user_per_attempt() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    // The signin that made the session spent one already.
    for attempt in 1..=4 {
        assert_eq!(
            flow.h
                .error(VERIFY_PASSWORD, flow.with_password("not the password"))
                .await,
            "incorrect_password",
            "attempt {attempt}"
        );
    }
    assert_eq!(
        flow.h
            .error(VERIFY_PASSWORD, flow.with_password(PASSWORD))
            .await,
        "rate_limited"
    );
    flow.h.advance(MINUTE);
    flow.verify_password().await;
}

#[tokio::test]
async fn verify_password_races_and_failures() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    let args = flow.with_password(PASSWORD);
    flow.h.storage.fail(
        StorageOp::Update,
        UserEmailAddressUpdateRecord::PREFIX,
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY_PASSWORD, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    flow.h.storage.fail(
        StorageOp::Update,
        Bucket::UserPassword.prefix(),
        0,
        StorageError::NotFound,
    );
    assert_eq!(
        flow.h.error(VERIFY_PASSWORD, args.clone()).await,
        "internal_conflict"
    );
    flow.h.storage.clear_faults();
    flow.h.users.modify(&flow.user.id, |user| {
        user.password_hash.algorithm_id = "bcrypt".into()
    });
    assert_eq!(flow.h.error(VERIFY_PASSWORD, args).await, "internal_error");
    assert_eq!(flow.model().await["user_identity_verified"], json!(false));
}

// ------------------------------------------------------------------ complete

#[tokio::test]
async fn complete_needs_the_address_then_the_identity_verified() {
    let flow = Flow::start().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "email_address_not_verified"
    );
    flow.verify_code().await;
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "user_identity_not_verified"
    );
    assert!(!flow.h.users.calls().contains(&"update_user_email_address"));
}

#[tokio::test]
async fn complete_changes_the_address_and_tells_the_old_one() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    flow.verify_password().await;
    flow.h.advance(MINUTE);
    let before = flow.h.emails.sent().len();
    assert_eq!(flow.h.ok(COMPLETE, flow.args()).await, json!({}));

    let user = flow.h.users.user(&flow.user.id).expect("user");
    assert_eq!(user.email_address, NEW);
    assert_eq!(
        user.email_address_counter,
        flow.user.email_address_counter + 1
    );
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
    assert_eq!(
        emails_since(&flow.h, before),
        [Email::EmailUpdated {
            email_address: OLD.into(),
            display_name: "Ann".into(),
            new_email_address: NEW.into(),
            updated_at: crate::faroe::clock::Timestamp::from_unix_seconds(START + 60),
        }]
    );
    // The session survives the change; the update does not.
    flow.h
        .ok("get_session", json!({ "session_token": flow.session }))
        .await;
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
}

#[tokio::test]
async fn complete_succeeds_when_the_notification_cannot_be_sent() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    flow.verify_password().await;
    flow.h.emails.set_failing(true);
    flow.h.ok(COMPLETE, flow.args()).await;
    assert_eq!(
        flow.h
            .users
            .user(&flow.user.id)
            .expect("user")
            .email_address,
        NEW
    );
}

#[tokio::test]
async fn complete_when_the_address_was_taken_meanwhile_voids_the_update() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    flow.verify_password().await;
    flow.h.add_user(NEW, PASSWORD).await;
    let before = flow.h.emails.sent().len();
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, INVALID);
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
    assert_eq!(
        flow.h
            .users
            .user(&flow.user.id)
            .expect("user")
            .email_address,
        OLD
    );
    assert!(emails_since(&flow.h, before).is_empty());
}

#[tokio::test]
async fn complete_losing_the_counter_race_is_internal_conflict_and_failures_internal() {
    let flow = Flow::start().await;
    flow.verify_code().await;
    flow.verify_password().await;
    let before = flow.h.emails.sent().len();
    flow.h
        .users
        .fail("update_user_email_address", UserStoreError::UserNotFound);
    assert_eq!(
        flow.h.error(COMPLETE, flow.args()).await,
        "internal_conflict"
    );
    flow.h
        .users
        .fail("update_user_email_address", user_server_down());
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, "internal_error");
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        1,
        "the update stays"
    );
    assert!(emails_since(&flow.h, before).is_empty());
    flow.h.users.clear_faults();
    flow.h.ok(COMPLETE, flow.args()).await;
}

// ------------------------------------------------------------------ lifetime and invalidation

#[tokio::test]
async fn an_update_lives_20_minutes_inclusive() {
    let flow = Flow::start().await;
    flow.h.advance(20 * MINUTE);
    flow.h.ok(GET, flow.args()).await;
    flow.h.advance(NANOSECOND);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0,
        "the expired update is deleted"
    );
}

#[tokio::test]
async fn a_password_change_voids_the_update() {
    let flow = Flow::start().await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.password_hash_counter += 1);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
}

#[tokio::test]
async fn an_address_change_voids_the_update() {
    let flow = Flow::start().await;
    flow.h.users.modify(&flow.user.id, |user| {
        user.email_address = "ann@third.example".into();
        user.email_address_counter += 1;
    });
    assert_eq!(flow.h.error(COMPLETE, flow.args()).await, INVALID);
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
}

#[tokio::test]
async fn disabling_the_user_ends_the_session_first() {
    let flow = Flow::start().await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(
        flow.h.error(GET, flow.args()).await,
        "invalid_session_token"
    );
}

#[tokio::test]
async fn a_disabled_user_voids_the_update_even_when_the_session_trusts_its_cache() {
    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h.users.disable(&flow.user.id);
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
}

#[tokio::test]
async fn a_deleted_user_voids_the_update_even_when_the_session_trusts_its_cache() {
    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h
        .users
        .delete_user(&flow.user.id)
        .await
        .expect("deleted");
    assert_eq!(flow.h.error(GET, flow.args()).await, INVALID);
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        0
    );
}

#[tokio::test]
async fn a_user_server_failure_while_validating_is_internal_error() {
    let flow = Flow::start_in(harness_with_user_cache()).await;
    flow.h.users.fail("get_user", user_server_down());
    assert_eq!(flow.h.error(GET, flow.args()).await, "internal_error");
    assert_eq!(
        flow.h.storage.count(UserEmailAddressUpdateRecord::PREFIX),
        1
    );
}

#[tokio::test]
async fn a_stale_update_is_deleted_only_with_its_secret() {
    let flow = Flow::start().await;
    flow.h
        .users
        .modify(&flow.user.id, |user| user.password_hash_counter += 1);
    let calls = flow.h.users.calls().len();
    let keys = flow.h.storage.keys();
    let wrong = json!({
        "session_token": flow.session,
        "user_email_address_update_token": with_wrong_secret(&flow.token),
    });
    assert_eq!(flow.h.error(GET, wrong).await, INVALID);
    assert_eq!(flow.h.storage.keys(), keys, "nothing deleted");
    // Only the session's own user check reached the user server.
    assert_eq!(flow.h.users.calls().len(), calls + 1);
}

#[tokio::test]
async fn a_user_made_by_signup_can_move_to_a_new_address() {
    let h = Harness::new();
    let signup_token = h.verified_signup(OLD).await;
    h.ok(
        "set_signup_password",
        json!({ "signup_token": signup_token, "password": PASSWORD }),
    )
    .await;
    let completed = h
        .ok("complete_signup", json!({ "signup_token": signup_token }))
        .await;
    let session = token(&completed, "session_token");
    let created = h.ok(CREATE, create_args(&session, NEW)).await;
    let user = h
        .users
        .user(&token(&completed["session"], "user_id"))
        .expect("user");
    let flow = Flow::created(h, user, session, &created);
    flow.verify_code().await;
    flow.verify_password().await;
    flow.h.ok(COMPLETE, flow.args()).await;
    assert_eq!(
        flow.h
            .users
            .user(&flow.user.id)
            .expect("user")
            .email_address,
        NEW
    );
    assert_eq!(
        flow.h.emails.kinds(),
        [
            "signup_verification",
            "email_update_verification",
            "email_updated"
        ]
    );
}
