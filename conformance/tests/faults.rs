//! The server under user-server and pwned-passwords faults (docs/protocol.md §4, §15 #8,
//! #11, #16): every user-server failure an action depends on gives `internal_error`
//! for that action and leaves nothing half-written (the same step succeeds once the
//! fault is cleared, and earlier state is intact); a slow user server never holds up
//! other requests; an unreachable range API fails open.
//!
//! Each test starts its own in-process servers (fault switches and closed ports are
//! only to be had there), so they test our server even when `CONFORMANCE_SERVER_URL`
//! points the rest of the suite elsewhere.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use conformance::in_process::{self, Options, USER_SERVER_TIMEOUT};
use conformance::target::Target;
use serde_json::{json, Value};
use support::{check_alive, invoke, outcome, read_code, users, INTERNAL_ERROR};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a new and better one";
const RESET_PASSWORD: &str = "reset to this password";

/// Invokes `action` and returns its values, which it must answer `ok`.
async fn ok(target: &Target, action: &str, arguments: &[(&str, &str)]) -> Value {
    let result = invoke(target, action, arguments)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        outcome(&result),
        Ok(()),
        "{action} {arguments:?} answered {result}"
    );
    result["values"].clone()
}

/// Invokes `action`, which must answer `code`.
async fn fails(target: &Target, action: &str, arguments: &[(&str, &str)], code: &str) {
    let result = invoke(target, action, arguments)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        outcome(&result),
        Err(code.to_owned()),
        "{action} {arguments:?} answered {result}"
    );
}

fn text(values: &Value, path: &str) -> String {
    path.split('.')
        .try_fold(values, |value, part| value.get(part))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {path} in {values}"))
        .to_owned()
}

async fn command(target: &Target, command: Value) -> Value {
    target
        .command(command.clone())
        .await
        .unwrap_or_else(|e| panic!("{command}: {e:#}"))
}

async fn set_fault(target: &Target, on: &str, fault: &Value) {
    command(
        target,
        json!({ "command": "set_fault", "target": on, "fault": fault }),
    )
    .await;
}

async fn clear_faults(target: &Target) {
    command(target, json!({ "command": "clear_faults" })).await;
}

/// With `fault` on `on` (a user action or `email`), `action` answers
/// `internal_error`; the fault is cleared afterwards.
async fn internal_error_with(
    target: &Target,
    on: &str,
    fault: &Value,
    action: &str,
    arguments: &[(&str, &str)],
) {
    set_fault(target, on, fault).await;
    let result = invoke(target, action, arguments).await;
    clear_faults(target).await;
    let result = result.unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        outcome(&result),
        Err(INTERNAL_ERROR.to_owned()),
        "{action} {arguments:?} with {on} faulted by {fault} answered {result}"
    );
}

/// With `fault` on e-mails, `action` answers `internal_error` when the fault makes
/// `/email` answer other than 200, and succeeds otherwise: only the status counts
/// (docs/protocol.md §11.1), so a malformed or unexpected 200 body is a delivered e-mail.
async fn with_email_fault(
    target: &Target,
    fault: &Value,
    action: &str,
    arguments: &[(&str, &str)],
) {
    if email_fault_fails(fault) {
        internal_error_with(target, "email", fault, action, arguments).await;
    } else {
        set_fault(target, "email", fault).await;
        let result = invoke(target, action, arguments).await;
        clear_faults(target).await;
        let result = result.unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            outcome(&result),
            Ok(()),
            "{action} {arguments:?} with a 200 {fault} from /email answered {result}"
        );
    }
}

/// Whether `/email` answers other than 200 under `fault`.
fn email_fault_fails(fault: &Value) -> bool {
    matches!(fault["kind"].as_str(), Some("error_code" | "http_500"))
}

/// No e-mail with a code of `kind` to `email` is waiting.
async fn no_code(target: &Target, kind: &str, email: &str) {
    let answer = command(
        target,
        json!({ "command": "get_token", "action": kind, "email": email }),
    )
    .await;
    assert_eq!(
        answer,
        json!({ "found": false }),
        "a {kind} code was e-mailed to {email}"
    );
}

/// The user server's users as (e-mail address, password-hash counter, sessions counter).
async fn user_rows(target: &Target) -> Vec<(String, i64, i64)> {
    users(target)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
        .iter()
        .map(|u| {
            (
                u["email_address"].as_str().unwrap_or_default().to_owned(),
                u["password_hash_counter"].as_i64().unwrap_or(-1),
                u["sessions_counter"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

/// A signup for `email` with its e-mail verified: (token, code).
async fn verified_signup(target: &Target, email: &str) -> (String, String) {
    let values = ok(target, "create_signup", &[("email_address", email)]).await;
    let token = text(&values, "signup_token");
    let code = read_code(target, "signup_verification", email)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    ok(
        target,
        "verify_signup_email_address_verification_code",
        &[
            ("signup_token", &token),
            ("email_address_verification_code", &code),
        ],
    )
    .await;
    (token, code)
}

/// A user with `password`, signed up; its session token.
async fn registered(target: &Target, email: &str, password: &str) -> String {
    let (token, _) = verified_signup(target, email).await;
    ok(
        target,
        "set_signup_password",
        &[("signup_token", &token), ("password", password)],
    )
    .await;
    let values = ok(target, "complete_signup", &[("signup_token", &token)]).await;
    text(&values, "session_token")
}

/// Walks every flow, failing each step that calls the user server once with `fault`
/// on the user action (or e-mail) it depends on, then checking that nothing changed
/// and that the step succeeds when repeated without the fault.
async fn lifecycle_under(fault: Value) {
    let target = in_process::start().await.expect("in-process servers");
    let t = &target;
    let f = &fault;
    let email = "user@example.com";
    let new_email = "new@example.com";

    // A signup that no fault concerns, checked at the end.
    let pending = ok(
        t,
        "create_signup",
        &[("email_address", "pending@example.com")],
    )
    .await;
    let pending = text(&pending, "signup_token");
    read_code(t, "signup_verification", "pending@example.com")
        .await
        .expect("pending code");

    // Signup.
    internal_error_with(
        t,
        "get_user_by_email_address",
        f,
        "create_signup",
        &[("email_address", email)],
    )
    .await;
    no_code(t, "signup_verification", email).await;
    with_email_fault(t, f, "create_signup", &[("email_address", email)]).await;
    no_code(t, "signup_verification", email).await;
    let signup = ok(t, "create_signup", &[("email_address", email)]).await;
    let signup = text(&signup, "signup_token");
    let code = read_code(t, "signup_verification", email)
        .await
        .expect("code");

    with_email_fault(
        t,
        f,
        "send_signup_email_address_verification_code",
        &[("signup_token", &signup)],
    )
    .await;
    let shown = ok(t, "get_signup", &[("signup_token", &signup)]).await;
    assert_eq!(shown["signup"]["email_address_verified"], false);
    ok(
        t,
        "send_signup_email_address_verification_code",
        &[("signup_token", &signup)],
    )
    .await;
    assert_eq!(
        read_code(t, "signup_verification", email)
            .await
            .expect("resent"),
        code
    );
    // B_MAIL holds five tokens per address: the failed lookup spent none, each of the
    // four e-mail attempts one (a failed send keeps its token
    // spent, docs/protocol.md §15 #11). One more, and the next is rate limited.
    let extra = ok(t, "create_signup", &[("email_address", email)]).await;
    assert!(extra["signup_token"].is_string());
    read_code(t, "signup_verification", email)
        .await
        .expect("code");
    fails(
        t,
        "create_signup",
        &[("email_address", email)],
        "rate_limited",
    )
    .await;

    ok(
        t,
        "verify_signup_email_address_verification_code",
        &[
            ("signup_token", &signup),
            ("email_address_verification_code", &code),
        ],
    )
    .await;
    ok(
        t,
        "set_signup_password",
        &[("signup_token", &signup), ("password", PASSWORD)],
    )
    .await;
    internal_error_with(
        t,
        "create_user",
        f,
        "complete_signup",
        &[("signup_token", &signup)],
    )
    .await;
    let shown = ok(t, "get_signup", &[("signup_token", &signup)]).await;
    assert_eq!(
        (
            &shown["signup"]["email_address_verified"],
            &shown["signup"]["password_set"]
        ),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        user_rows(t).await,
        vec![],
        "a user was created by a failed complete_signup"
    );
    let first = ok(t, "complete_signup", &[("signup_token", &signup)]).await;
    let first_session = text(&first, "session_token");
    assert_eq!(user_rows(t).await, vec![(email.to_owned(), 0, 0)]);

    // Signin.
    internal_error_with(
        t,
        "get_user_by_email_address",
        f,
        "create_signin",
        &[("user_email_address", email)],
    )
    .await;
    let signin = ok(t, "create_signin", &[("user_email_address", email)]).await;
    let signin = text(&signin, "signin_token");
    internal_error_with(
        t,
        "get_user",
        f,
        "verify_signin_user_password",
        &[("signin_token", &signin), ("password", PASSWORD)],
    )
    .await;
    let shown = ok(t, "get_signin", &[("signin_token", &signin)]).await;
    assert_eq!(shown["signin"]["user_first_factor_verified"], false);
    ok(
        t,
        "verify_signin_user_password",
        &[("signin_token", &signin), ("password", PASSWORD)],
    )
    .await;
    internal_error_with(
        t,
        "get_user",
        f,
        "complete_signin",
        &[("signin_token", &signin)],
    )
    .await;
    // The signed-in notice is best effort (docs/protocol.md §4.2 action 12).
    set_fault(t, "email", f).await;
    let session = ok(t, "complete_signin", &[("signin_token", &signin)]).await;
    clear_faults(t).await;
    let session = text(&session, "session_token");
    internal_error_with(
        t,
        "get_user",
        f,
        "get_session",
        &[("session_token", &session)],
    )
    .await;
    ok(t, "get_session", &[("session_token", &session)]).await;

    // E-mail address update.
    internal_error_with(
        t,
        "get_user",
        f,
        "create_user_email_address_update",
        &[
            ("session_token", &session),
            ("new_email_address", new_email),
        ],
    )
    .await;
    internal_error_with(
        t,
        "get_user_by_email_address",
        f,
        "create_user_email_address_update",
        &[
            ("session_token", &session),
            ("new_email_address", new_email),
        ],
    )
    .await;
    with_email_fault(
        t,
        f,
        "create_user_email_address_update",
        &[
            ("session_token", &session),
            ("new_email_address", new_email),
        ],
    )
    .await;
    no_code(t, "email_update_verification", new_email).await;
    let update = ok(
        t,
        "create_user_email_address_update",
        &[
            ("session_token", &session),
            ("new_email_address", new_email),
        ],
    )
    .await;
    let update = text(&update, "user_email_address_update_token");
    let code = read_code(t, "email_update_verification", new_email)
        .await
        .expect("code");
    let with = |name: &'static str, value: &str| {
        [
            ("session_token", session.clone()),
            ("user_email_address_update_token", update.clone()),
            (name, value.to_owned()),
        ]
    };
    let args = with("email_address_verification_code", &code);
    let args = args.each_ref().map(|(k, v)| (*k, v.as_str()));
    ok(
        t,
        "verify_user_email_address_update_email_address_verification_code",
        &args,
    )
    .await;
    let args = with("password", PASSWORD);
    let args = args.each_ref().map(|(k, v)| (*k, v.as_str()));
    internal_error_with(
        t,
        "get_user",
        f,
        "verify_user_email_address_update_user_password",
        &args,
    )
    .await;
    ok(t, "verify_user_email_address_update_user_password", &args).await;
    let pair = [
        ("session_token", session.as_str()),
        ("user_email_address_update_token", update.as_str()),
    ];
    internal_error_with(
        t,
        "update_user_email_address",
        f,
        "complete_user_email_address_update",
        &pair,
    )
    .await;
    let shown = ok(t, "get_user_email_address_update", &pair).await;
    let record = &shown["user_email_address_update"];
    assert_eq!(
        (
            &record["new_email_address_verified"],
            &record["user_identity_verified"]
        ),
        (&json!(true), &json!(true))
    );
    assert_eq!(user_rows(t).await, vec![(email.to_owned(), 0, 0)]);
    ok(t, "complete_user_email_address_update", &pair).await;
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 0, 0)]);

    // Password update.
    internal_error_with(
        t,
        "get_user",
        f,
        "create_user_password_update",
        &[("session_token", &session)],
    )
    .await;
    let update = ok(
        t,
        "create_user_password_update",
        &[("session_token", &session)],
    )
    .await;
    let update = text(&update, "user_password_update_token");
    let pair = [
        ("session_token", session.as_str()),
        ("user_password_update_token", update.as_str()),
    ];
    let with = |password: &'static str| {
        [
            ("session_token", session.as_str()),
            ("user_password_update_token", update.as_str()),
            ("password", password),
        ]
    };
    internal_error_with(
        t,
        "get_user",
        f,
        "verify_user_password_update_user_password",
        &with(PASSWORD),
    )
    .await;
    ok(
        t,
        "verify_user_password_update_user_password",
        &with(PASSWORD),
    )
    .await;
    ok(
        t,
        "set_user_password_update_new_password",
        &with(NEW_PASSWORD),
    )
    .await;
    internal_error_with(
        t,
        "update_user_password_hash",
        f,
        "complete_user_password_update",
        &pair,
    )
    .await;
    let shown = ok(t, "get_user_password_update", &pair).await;
    let record = &shown["user_password_update"];
    assert_eq!(
        (
            &record["user_identity_verified"],
            &record["new_password_set"]
        ),
        (&json!(true), &json!(true))
    );
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 0, 0)]);
    // The password-changed notice is best effort (docs/protocol.md §4.5 action 28).
    set_fault(t, "email", f).await;
    ok(t, "complete_user_password_update", &pair).await;
    clear_faults(t).await;
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 1, 0)]);

    // Password reset.
    internal_error_with(
        t,
        "get_user_by_email_address",
        f,
        "create_user_password_reset",
        &[("user_email_address", new_email)],
    )
    .await;
    with_email_fault(
        t,
        f,
        "create_user_password_reset",
        &[("user_email_address", new_email)],
    )
    .await;
    no_code(t, "password_reset", new_email).await;
    let reset = ok(
        t,
        "create_user_password_reset",
        &[("user_email_address", new_email)],
    )
    .await;
    let reset = text(&reset, "user_password_reset_token");
    let temporary = read_code(t, "password_reset", new_email)
        .await
        .expect("temporary password");
    internal_error_with(
        t,
        "get_user",
        f,
        "verify_user_password_reset_temporary_password",
        &[
            ("user_password_reset_token", &reset),
            ("temporary_password", &temporary),
        ],
    )
    .await;
    ok(
        t,
        "verify_user_password_reset_temporary_password",
        &[
            ("user_password_reset_token", &reset),
            ("temporary_password", &temporary),
        ],
    )
    .await;
    ok(
        t,
        "set_user_password_reset_new_password",
        &[
            ("user_password_reset_token", &reset),
            ("password", RESET_PASSWORD),
        ],
    )
    .await;
    internal_error_with(
        t,
        "update_user_password_hash",
        f,
        "complete_user_password_reset",
        &[("user_password_reset_token", &reset)],
    )
    .await;
    let shown = ok(
        t,
        "get_user_password_reset",
        &[("user_password_reset_token", &reset)],
    )
    .await;
    let record = &shown["user_password_reset"];
    assert_eq!(
        (
            &record["user_first_factor_verified"],
            &record["new_password_set"]
        ),
        (&json!(true), &json!(true))
    );
    // A reset signs everyone out before it changes the password (difference 24): the
    // failed change left the password as it was, every session ended, and the reset
    // ready for a retry.
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 1, 1)]);
    let reset_session = ok(
        t,
        "complete_user_password_reset",
        &[("user_password_reset_token", &reset)],
    )
    .await;
    let reset_session = text(&reset_session, "session_token");
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 2, 2)]);
    for token in [&first_session, &session] {
        fails(
            t,
            "get_session",
            &[("session_token", token)],
            "invalid_session_token",
        )
        .await;
    }

    // Signing out everywhere.
    internal_error_with(
        t,
        "increment_user_sessions_counter",
        f,
        "delete_all_sessions",
        &[("session_token", &reset_session)],
    )
    .await;
    ok(t, "get_session", &[("session_token", &reset_session)]).await;
    ok(
        t,
        "delete_all_sessions",
        &[("session_token", &reset_session)],
    )
    .await;
    for token in [&reset_session] {
        fails(
            t,
            "get_session",
            &[("session_token", token)],
            "invalid_session_token",
        )
        .await;
    }
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 2, 3)]);

    // Deletion, from a new signin with the reset password.
    let signin = ok(t, "create_signin", &[("user_email_address", new_email)]).await;
    let signin = text(&signin, "signin_token");
    ok(
        t,
        "verify_signin_user_password",
        &[("signin_token", &signin), ("password", RESET_PASSWORD)],
    )
    .await;
    let session = ok(t, "complete_signin", &[("signin_token", &signin)]).await;
    let session = text(&session, "session_token");
    let deletion = ok(t, "create_user_deletion", &[("session_token", &session)]).await;
    let deletion = text(&deletion, "user_deletion_token");
    let pair = [
        ("session_token", session.as_str()),
        ("user_deletion_token", deletion.as_str()),
    ];
    let with_password = [
        ("session_token", session.as_str()),
        ("user_deletion_token", deletion.as_str()),
        ("password", RESET_PASSWORD),
    ];
    internal_error_with(
        t,
        "get_user",
        f,
        "verify_user_deletion_user_password",
        &with_password,
    )
    .await;
    ok(t, "verify_user_deletion_user_password", &with_password).await;
    internal_error_with(t, "delete_user", f, "complete_user_deletion", &pair).await;
    let shown = ok(t, "get_user_deletion", &pair).await;
    assert_eq!(shown["user_deletion"]["user_identity_verified"], true);
    assert_eq!(user_rows(t).await, vec![(new_email.to_owned(), 2, 3)]);
    ok(t, "complete_user_deletion", &pair).await;
    assert_eq!(user_rows(t).await, vec![]);
    fails(
        t,
        "get_session",
        &[("session_token", &session)],
        "invalid_session_token",
    )
    .await;

    // Untouched throughout.
    let shown = ok(t, "get_signup", &[("signup_token", &pending)]).await;
    assert_eq!(shown["signup"]["email_address"], "pending@example.com");
    check_alive(t).await.expect("alive");
}

#[tokio::test]
async fn user_server_answers_an_unexpected_error_code() {
    lifecycle_under(json!({ "kind": "error_code", "error_code": "unexpected_error" })).await;
}

#[tokio::test]
async fn user_server_answers_500() {
    lifecycle_under(json!({ "kind": "http_500" })).await;
}

#[tokio::test]
async fn user_server_answers_malformed_json() {
    lifecycle_under(json!({ "kind": "malformed_json" })).await;
}

#[tokio::test]
async fn user_server_answers_a_wrong_envelope() {
    lifecycle_under(json!({ "kind": "wrong_envelope" })).await;
}

/// How long a wait for the servers may take before the test fails; far above what
/// a loaded machine needs, so reaching it means the awaited thing never happens.
const WAIT_DEADLINE: Duration = Duration::from_secs(10);

/// Waits until the user server has received a call of `action`, failing the test
/// at the deadline.
async fn until_called(target: &Target, action: &str, calls_before: usize) {
    let called = async {
        loop {
            let calls = command(target, json!({ "command": "get_calls" })).await;
            let calls = calls["calls"].as_array().cloned().unwrap_or_default();
            if calls
                .iter()
                .skip(calls_before)
                .any(|c| c["action"] == action)
            {
                return;
            }
            tokio::task::yield_now().await;
        }
    };
    if tokio::time::timeout(WAIT_DEADLINE, called).await.is_err() {
        panic!("the user server received no {action} call within {WAIT_DEADLINE:?}");
    }
}

async fn call_count(target: &Target) -> usize {
    let calls = command(target, json!({ "command": "get_calls" })).await;
    calls["calls"].as_array().map_or(0, Vec::len)
}

/// While `action` waits on a delayed `on`, `/alive`, an action that needs no user
/// server (`get_signup`) and one that needs another user action (`get_session`)
/// answer. The delayed action answers `internal_error` after the timeout.
async fn delayed(
    target: &Target,
    on: &str,
    action: &str,
    arguments: &[(&str, &str)],
    signup: &str,
    session: &str,
) {
    set_fault(
        target,
        on,
        &json!({ "kind": "delay", "milliseconds": 1000 }),
    )
    .await;
    let before = call_count(target).await;
    let delayed_done = AtomicBool::new(false);
    let started = Instant::now();
    let (result, others_during) = tokio::join!(
        async {
            let result = invoke(target, action, arguments).await;
            delayed_done.store(true, Ordering::SeqCst);
            (result, started.elapsed())
        },
        async {
            until_called(target, on, before).await;
            check_alive(target).await.expect("alive");
            ok(target, "get_signup", &[("signup_token", signup)]).await;
            ok(target, "get_session", &[("session_token", session)]).await;
            !delayed_done.load(Ordering::SeqCst)
        }
    );
    clear_faults(target).await;
    let (result, took) = result;
    let result = result.unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        outcome(&result),
        Err(INTERNAL_ERROR.to_owned()),
        "{action} with {on} delayed answered {result}"
    );
    assert!(
        others_during,
        "/alive, get_signup and get_session answered only after the delayed {action}"
    );
    assert!(
        took >= USER_SERVER_TIMEOUT && took < Duration::from_millis(1000),
        "the delayed {action} answered after {took:?}: not at the {USER_SERVER_TIMEOUT:?} timeout"
    );
}

#[tokio::test]
async fn user_server_slower_than_the_timeout() {
    let target = in_process::start().await.expect("in-process servers");
    let t = &target;
    let email = "slow@example.com";
    let session = registered(t, email, PASSWORD).await;
    let pending = ok(
        t,
        "create_signup",
        &[("email_address", "pending@example.com")],
    )
    .await;
    let pending = text(&pending, "signup_token");

    let arguments = [("user_email_address", email)];
    delayed(
        t,
        "get_user_by_email_address",
        "create_signin",
        &arguments,
        &pending,
        &session,
    )
    .await;
    let signin = ok(t, "create_signin", &arguments).await;
    let signin = text(&signin, "signin_token");

    let arguments = [("signin_token", signin.as_str()), ("password", PASSWORD)];
    // get_session needs get_user too: delay the signin's lookup through another action.
    set_fault(
        t,
        "get_user",
        &json!({ "kind": "delay", "milliseconds": 1000 }),
    )
    .await;
    let before = call_count(t).await;
    let delayed_done = AtomicBool::new(false);
    let (result, others_during) = tokio::join!(
        async {
            let result = invoke(t, "verify_signin_user_password", &arguments).await;
            delayed_done.store(true, Ordering::SeqCst);
            result
        },
        async {
            until_called(t, "get_user", before).await;
            check_alive(t).await.expect("alive");
            ok(t, "get_signup", &[("signup_token", &pending)]).await;
            // A user action other than the delayed one.
            fails(
                t,
                "create_signin",
                &[("user_email_address", "nobody@example.com")],
                "user_not_found",
            )
            .await;
            !delayed_done.load(Ordering::SeqCst)
        }
    );
    clear_faults(t).await;
    let result = result.unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(outcome(&result), Err(INTERNAL_ERROR.to_owned()), "{result}");
    assert!(
        others_during,
        "other requests waited for the delayed get_user"
    );
    // Nothing was spent or changed: the signin verifies now.
    ok(t, "verify_signin_user_password", &arguments).await;
    ok(t, "complete_signin", &[("signin_token", &signin)]).await;
    check_alive(t).await.expect("alive");
}

/// A port on 127.0.0.2 nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0")
        .await
        .expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[tokio::test]
async fn user_server_down() {
    let target = in_process::start_with(Options {
        user_server_port: Some(closed_port().await),
        ..Options::default()
    })
    .await
    .expect("in-process servers");
    let t = &target;
    for _ in 0..2 {
        internal_error_via_down(t, "create_signup", &[("email_address", "a@example.com")]).await;
        internal_error_via_down(
            t,
            "create_signin",
            &[("user_email_address", "a@example.com")],
        )
        .await;
        internal_error_via_down(
            t,
            "create_user_password_reset",
            &[("user_email_address", "a@example.com")],
        )
        .await;
        // Checks before the user server still answer, and so do actions without it.
        fails(
            t,
            "create_signup",
            &[("email_address", "not an address")],
            "invalid_email_address",
        )
        .await;
        fails(
            t,
            "get_signup",
            &[(
                "signup_token",
                "abcdefghijkmnpqrstuvwxyz.abcdefghijkmnpqrstuvwxyz",
            )],
            "invalid_signup_token",
        )
        .await;
        fails(
            t,
            "get_session",
            &[("session_token", "x.y")],
            "invalid_session_token",
        )
        .await;
        check_alive(t).await.expect("alive");
    }
    no_code(t, "signup_verification", "a@example.com").await;
    no_code(t, "password_reset", "a@example.com").await;
}

async fn internal_error_via_down(target: &Target, action: &str, arguments: &[(&str, &str)]) {
    let started = Instant::now();
    fails(target, action, arguments, INTERNAL_ERROR).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{action} took {:?} with the user server down",
        started.elapsed()
    );
}

#[tokio::test]
async fn pwned_passwords_api_down_fails_open() {
    let port = closed_port().await;
    let target = in_process::start_with(Options {
        pwned_url: Some(format!("http://127.0.0.2:{port}")),
        ..Options::default()
    })
    .await
    .expect("in-process servers");
    let t = &target;
    for (email, password) in [
        ("strong@example.com", PASSWORD),
        // Listed by the fake range API, which is not asked: accepted.
        ("listed@example.com", "password1234"),
    ] {
        let (signup, _) = verified_signup(t, email).await;
        fails(
            t,
            "set_signup_password",
            &[("signup_token", &signup), ("password", "too short")],
            "invalid_password_length",
        )
        .await;
        ok(
            t,
            "set_signup_password",
            &[("signup_token", &signup), ("password", password)],
        )
        .await;
        let session = ok(t, "complete_signup", &[("signup_token", &signup)]).await;
        let signin = ok(t, "create_signin", &[("user_email_address", email)]).await;
        let signin = text(&signin, "signin_token");
        ok(
            t,
            "verify_signin_user_password",
            &[("signin_token", &signin), ("password", password)],
        )
        .await;
        assert!(session["session_token"].is_string());
    }
}
