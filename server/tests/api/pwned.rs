//! The breached-password check as configured: `hibp` against a stand-in range API, and
//! `file:` against a local corpus in both layouts, with the range API unreachable.

use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use tiauth_faroe::config::PwnedPasswordsMode;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{error_code, is_ok, mount_empty_user_server, spawn_app_with, TestApp};

const BREACHED: &str = "password1234";
const FRESH: &str = "a fresh and unbreached passphrase";

/// The range API answering for `password`'s prefix, listing it with `listed`.
async fn range_api(password: &str, status: u16, listed: bool) -> MockServer {
    let server = MockServer::start().await;
    let hash = hex::encode_upper(Sha1::digest(password.as_bytes()));
    let (prefix, suffix) = hash.split_at(5);
    let body = if listed {
        format!("0000000000000000000000000000000000A:1\r\n{suffix}:4242\r\n")
    } else {
        "0000000000000000000000000000000000A:1\r\n".to_owned()
    };
    Mock::given(method("GET"))
        .and(path(format!("/range/{}", prefix.to_lowercase())))
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(&server)
        .await;
    server
}

async fn app_checking_with(range: &MockServer, fail_closed: bool) -> TestApp {
    let uri = range.uri();
    let app = spawn_app_with(move |config| {
        config.pwned_passwords = PwnedPasswordsMode::Hibp;
        config.pwned_passwords_url = uri;
        config.pwned_passwords_fail_closed = fail_closed;
    })
    .await;
    mount_empty_user_server(&app.user_server).await;
    app
}

/// Creates and verifies a signup, then sets `password`; returns that answer.
async fn set_password(app: &TestApp, password: &str) -> Value {
    let answer = app
        .invoke(
            "create_signup",
            json!({ "email_address": "ann@example.com" }),
        )
        .await;
    assert!(is_ok(&answer), "{answer}");
    let token = answer["values"]["signup_token"].as_str().expect("token");
    let emails = app.received("/email").await;
    let email: Value = serde_json::from_str(emails.last().expect("an e-mail")).expect("JSON");
    let answer = app
        .invoke(
            "verify_signup_email_address_verification_code",
            json!({ "signup_token": token, "email_address_verification_code": email["code"] }),
        )
        .await;
    assert!(is_ok(&answer), "{answer}");
    app.invoke(
        "set_signup_password",
        json!({ "signup_token": token, "password": password }),
    )
    .await
}

#[tokio::test]
async fn a_breached_password_is_weak() {
    let range = range_api(BREACHED, 200, true).await;
    let app = app_checking_with(&range, false).await;
    let answer = set_password(&app, BREACHED).await;
    assert_eq!(error_code(&answer), Some("weak_password"), "{answer}");
}

#[tokio::test]
async fn an_unlisted_password_is_accepted() {
    let range = range_api(FRESH, 200, false).await;
    let app = app_checking_with(&range, false).await;
    assert!(is_ok(&set_password(&app, FRESH).await));
}

#[tokio::test]
async fn a_failing_range_api_fails_open_or_closed_as_configured() {
    let range = range_api(BREACHED, 503, true).await;
    let app = app_checking_with(&range, false).await;
    assert!(is_ok(&set_password(&app, BREACHED).await));
    let app = app_checking_with(&range, true).await;
    let answer = set_password(&app, BREACHED).await;
    assert_eq!(error_code(&answer), Some("internal_error"), "{answer}");
}

/// The two local layouts of a corpus listing `BREACHED` (and a neighbour-free filler):
/// a sorted file and a directory of range files.
fn local_corpora(dir: &std::path::Path) -> [std::path::PathBuf; 2] {
    let mut hashes: Vec<String> = (0..300)
        .map(|i| hex::encode_upper(Sha1::digest(format!("filler {i}"))))
        .collect();
    hashes.push(hex::encode_upper(Sha1::digest(BREACHED.as_bytes())));
    hashes.sort();
    let file = dir.join("pwned-passwords.txt");
    let lines: String = hashes
        .iter()
        .map(|hash| format!("{hash}:4242\r\n"))
        .collect();
    std::fs::write(&file, lines).expect("write the sorted file");
    let ranges = dir.join("ranges");
    std::fs::create_dir(&ranges).expect("mkdir");
    for hash in &hashes {
        let (prefix, suffix) = hash.split_at(5);
        let mut text =
            std::fs::read_to_string(ranges.join(format!("{prefix}.txt"))).unwrap_or_default();
        text.push_str(&format!("{suffix}:4242\r\n"));
        std::fs::write(ranges.join(format!("{prefix}.txt")), text).expect("write a range");
    }
    [file, ranges]
}

#[tokio::test]
async fn a_local_corpus_in_either_layout_refuses_a_listed_password_without_the_network() {
    let dir = tempfile::tempdir().expect("temp dir");
    for corpus in local_corpora(dir.path()) {
        let mode = PwnedPasswordsMode::File(corpus.clone());
        let app = spawn_app_with(move |config| {
            config.pwned_passwords = mode;
            // Fail closed against a closed port: any network lookup would show up as
            // internal_error.
            config.pwned_passwords_url = "http://127.0.0.2:9".to_owned();
            config.pwned_passwords_fail_closed = true;
        })
        .await;
        mount_empty_user_server(&app.user_server).await;
        let answer = set_password(&app, BREACHED).await;
        assert_eq!(
            error_code(&answer),
            Some("weak_password"),
            "{}: {answer}",
            corpus.display()
        );
        let answer = set_password(&app, FRESH).await;
        assert!(is_ok(&answer), "{}: {answer}", corpus.display());
    }
}

#[tokio::test]
async fn a_redirecting_range_api_is_a_failure_not_followed() {
    let listing = range_api(BREACHED, 200, true).await;
    let hash = hex::encode_upper(Sha1::digest(BREACHED.as_bytes()));
    let prefix = hash[..5].to_lowercase();
    let redirecting = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/range/{prefix}")))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/range/{prefix}", listing.uri())),
        )
        .mount(&redirecting)
        .await;
    // Followed, the listing would make the password weak; refused, the check fails.
    let app = app_checking_with(&redirecting, true).await;
    let answer = set_password(&app, BREACHED).await;
    assert_eq!(error_code(&answer), Some("internal_error"), "{answer}");
    assert!(listing
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}
