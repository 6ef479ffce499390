//! `FAROE_LOG_FORMAT=json`: every line is a JSON object, the line explaining an
//! internal error carries the invocation id the client was answered with, and the
//! access log at `debug` describes a request without its body.

use mock_backend::{Fault, FaultTarget, UserActionName};
use serde_json::{json, Value};

use crate::common::running::{temp_dir, tiauth, Running};
use crate::support::{invoke, start, user_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_parse_and_name_the_invocation_of_an_internal_error() {
    let backend = user_server().await;
    let dir = temp_dir();
    let mut server = start(
        dir.path(),
        backend.addr().port(),
        &[
            ("FAROE_LOG_FORMAT", "json"),
            ("FAROE_LOG", "info,tiauth_faroe::http=debug"),
        ],
    );
    backend.set_fault(
        FaultTarget::UserAction(UserActionName::GetUserByEmailAddress),
        Fault::MalformedJson,
    );
    let answer = invoke(
        &server.public,
        "create_signin",
        json!({ "user_email_address": "ann@example.com" }),
    )
    .await;
    assert_eq!(answer["error_code"], "internal_error", "{answer}");
    let id = answer["action_invocation_id"]
        .as_str()
        .expect("invocation id");

    let line = server.process.wait_for(id);
    let parsed: Value = serde_json::from_str(&line).expect("the line is JSON");
    assert_eq!(parsed["level"], "ERROR", "{line}");
    assert_eq!(parsed["fields"]["message"], "internal_error", "{line}");
    assert_eq!(parsed["fields"]["action_invocation_id"], id, "{line}");
    assert_eq!(parsed["fields"]["action"], "create_signin", "{line}");
    assert!(parsed["timestamp"].is_string(), "{line}");
    assert!(parsed["target"].is_string(), "{line}");
    assert!(!line.contains("ann@example.com"), "{line}");
    // The access-log line of that request: method, path, status, sizes; no body.
    let access = server.process.wait_for(r#""message":"request""#);
    let parsed: Value = serde_json::from_str(&access).expect("the line is JSON");
    let fields = &parsed["fields"];
    assert_eq!(parsed["level"], "DEBUG", "{access}");
    assert_eq!(fields["method"], "POST", "{access}");
    assert_eq!(fields["path"], "/", "{access}");
    assert_eq!(fields["status"], 200, "{access}");
    assert!(
        fields["request_bytes"]
            .as_u64()
            .is_some_and(|bytes| bytes > 0),
        "{access}"
    );
    assert!(fields["duration_ms"].is_number(), "{access}");
    assert!(!access.contains("ann@example.com"), "{access}");

    for line in server.process.lines_so_far() {
        let parsed: Value = serde_json::from_str(line).expect("every line is JSON");
        assert!(parsed["fields"]["message"].is_string(), "{line}");
    }
}

#[test]
fn a_non_loopback_admin_address_logs_a_warning_and_loopback_does_not() {
    let dir = temp_dir();
    let start = |admin: &str| {
        let mut server = Running::start(tiauth(dir.path()).args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--admin-addr",
            admin,
        ]));
        server.wait_for("admin listener on http://");
        server
    };
    let mut open = start("0.0.0.0:0");
    let warning = open.wait_for("admin listener is on a non-loopback address");
    assert!(warning.contains("WARN"), "{warning}");
    assert_eq!(open.terminate().code(), Some(0));

    let mut private = start("127.0.0.1:0");
    assert_eq!(private.terminate().code(), Some(0));
    private.wait_for("tiauth stopped");
    assert!(!private
        .lines_so_far()
        .iter()
        .any(|line| line.contains("non-loopback")));
}

/// The access log does not need the admin listener: with metrics off and the log's
/// target at `debug`, `GET /alive` still gets its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_works_without_the_admin_listener() {
    let dir = temp_dir();
    let mut server = Running::start(
        tiauth(dir.path())
            .args(["--host", "127.0.0.1", "--port", "0"])
            .env("FAROE_PWNED_PASSWORDS", "off")
            .env("FAROE_LOG_FORMAT", "json")
            .env("FAROE_LOG", "info,tiauth_faroe::http::access=debug"),
    );
    let address = server.address();
    let (status, _) = crate::support::get(&address, "/alive").await;
    assert_eq!(status, 200);
    let access = server.wait_for(r#""message":"request""#);
    let parsed: Value = serde_json::from_str(&access).expect("the line is JSON");
    assert_eq!(parsed["fields"]["path"], "/alive", "{access}");
    assert_eq!(parsed["fields"]["status"], 200, "{access}");
    assert!(
        server
            .lines_so_far()
            .iter()
            .all(|line| !line.contains("admin listener")),
        "no admin listener was asked for"
    );
}
