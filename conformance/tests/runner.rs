//! The runner as `faroe-conformance` uses it: it keeps going after a failing case and
//! names the step, survives a server that closes idle connections, and fails clearly
//! on other transport problems.

// Test code: a failed expectation is the test failing.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use conformance::fixture::fixtures_dir;
use conformance::in_process;
use conformance::report::Verdict;
use conformance::snapshot::snapshots_dir;
use conformance::suite::{self, SuiteOptions};
use conformance::target::{ExternalOptions, Target};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Three signup cases that hash no password.
const CASES: &[&str] = &[
    "delete_signup ends the signup",
    "create_signup checks the e-mail address pattern",
    "a wrong verification code is incorrect_email_address_verification_code",
];

/// A fixtures folder holding only [`CASES`] of the signup family, each passed to
/// `change` first, and the coverage table.
fn fixtures_with(dir: &Path, change: impl Fn(&str, &mut Value)) {
    let text = std::fs::read_to_string(fixtures_dir().join("signup.json")).expect("signup.json");
    let mut family: Value = serde_json::from_str(&text).expect("JSON");
    let cases = family["cases"].as_array_mut().expect("cases");
    cases.retain(|case| CASES.contains(&case["name"].as_str().unwrap_or_default()));
    assert_eq!(cases.len(), CASES.len(), "the chosen cases exist");
    for case in cases.iter_mut() {
        let name = case["name"].as_str().unwrap_or_default().to_owned();
        change(&name, case);
    }
    std::fs::write(dir.join("signup.json"), family.to_string()).expect("write");
    std::fs::copy(
        fixtures_dir().join("coverage.json"),
        dir.join("coverage.json"),
    )
    .expect("copy");
}

fn options(fixtures: &Path, snapshots: &Path) -> SuiteOptions {
    SuiteOptions {
        fixtures: fixtures.to_owned(),
        snapshots: snapshots.to_owned(),
        ..SuiteOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_case_fails_alone_at_its_step_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    fixtures_with(dir.path(), |name, case| {
        if name == CASES[0] {
            // Step 1 creates a signup; expect a refusal instead.
            case["steps"][0]["invoke"]["expect"] = json!({"error": "invalid_email_address"});
        }
    });
    let target = in_process::start().await.expect("in-process server");
    let mut lines = Vec::new();
    let report = suite::run(&target, &options(dir.path(), &snapshots_dir()), |case| {
        lines.push(case.line())
    })
    .await
    .expect("the run");
    assert_eq!(report.counts(), (2, 1, 0), "{lines:#?}");
    let failed: Vec<_> = report
        .cases
        .iter()
        .filter_map(|case| match &case.verdict {
            Verdict::Failed(failure) => Some((case.name.as_str(), failure)),
            _ => None,
        })
        .collect();
    let (name, failure) = failed[0];
    assert_eq!(name, CASES[0]);
    assert_eq!(failure.step, Some(1));
    assert_eq!(failure.label, "create_signup");
    assert_eq!(failure.diff[0], "expected: error invalid_email_address");
    assert!(
        failure.diff[1].starts_with(r#"answered: {"ok":true"#),
        "{failure:?}"
    );
    let line = lines
        .iter()
        .find(|line| line.starts_with("FAIL"))
        .expect("a FAIL line");
    assert!(
        line.starts_with(
            "FAIL  signup / delete_signup ends the signup\n      step 1 (create_signup): "
        ),
        "{line}"
    );
    let junit = report.junit().expect("JUnit XML");
    assert_eq!(junit.matches("<testcase ").count(), 3, "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 1, "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcript_departing_from_its_snapshot_names_the_step_and_the_member() {
    let fixtures = tempfile::tempdir().expect("temp dir");
    fixtures_with(fixtures.path(), |_, _| {});
    let snapshots = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(snapshots_dir()).expect("snapshots") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let copy = snapshots.path().join(path.file_name().expect("name"));
            std::fs::copy(&path, copy).expect("copy");
        }
    }
    // The reviewed answer of step 2 of one case now says the signup token is invalid.
    let edited = snapshots
        .path()
        .join("fixtures__signup__a_wrong_verification_code_is_incorrect_email_address_verification_code.snap");
    let text = std::fs::read_to_string(&edited).expect("snapshot");
    let changed = text.replacen(
        "\"error_code\": \"incorrect_email_address_verification_code\"",
        "\"error_code\": \"invalid_signup_token\"",
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&edited, changed).expect("write");
    let target = in_process::start().await.expect("in-process server");
    let report = suite::run(&target, &options(fixtures.path(), snapshots.path()), |_| {})
        .await
        .expect("the run");
    assert_eq!(report.counts(), (2, 1, 0));
    let failure = report
        .cases
        .iter()
        .find_map(|case| match &case.verdict {
            Verdict::Failed(failure) => Some(failure),
            _ => None,
        })
        .expect("one failure");
    assert_eq!(failure.step, Some(3), "{failure:?}");
    assert_eq!(
        failure.diff,
        vec![
            r#"answer.error_code: "invalid_signup_token" → "incorrect_email_address_verification_code""#
        ]
    );
}

/// Reads one HTTP/1.1 request (head and `content-length` body); `None` at end of input.
async fn read_request(socket: &mut TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 4096];
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next()?.to_owned();
    let path = words.next()?.to_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((method, path, body))
}

/// A server in front of `upstream` that answers one request per connection, keeping
/// the connection open as HTTP/1.1 allows, then reads the next request on it and
/// closes the connection without answering. Counts the requests it dropped.
async fn closing_proxy(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (client, upstream, counter) = (client.clone(), upstream.clone(), counter.clone());
            tokio::spawn(async move {
                let Some((method, path, body)) = read_request(&mut socket).await else {
                    return;
                };
                let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
                let answer = client
                    .request(method, format!("{upstream}{path}"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("the server behind answers");
                let status = answer.status().as_u16();
                let body = answer.bytes().await.expect("body");
                let head = format!(
                    "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await.expect("write");
                socket.write_all(&body).await.expect("write");
                if read_request(&mut socket).await.is_some() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (url, dropped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_each_connection_after_one_answer_still_passes() {
    let fixtures = tempfile::tempdir().expect("temp dir");
    fixtures_with(fixtures.path(), |_, _| {});
    let ours = in_process::start_with(in_process::Options {
        test_clock: true,
        ..in_process::Options::default()
    })
    .await
    .expect("in-process server");
    let (proxy, dropped) = closing_proxy(ours.server_url().to_owned()).await;
    let target = Target::connect(&proxy, ours.backend_url(), ExternalOptions::default())
        .await
        .expect("connect");
    let report = suite::run(&target, &options(fixtures.path(), &snapshots_dir()), |_| {})
        .await
        .expect("the run");
    assert_eq!(report.counts(), (3, 0, 0), "{:#?}", report.cases);
    let retried = report.retries();
    assert!(retried > 0, "no request was retried");
    // Each retry answers a request the proxy dropped, and nothing else was retried
    // (the probe of /test/clock before the run may have been dropped too).
    let dropped = dropped.load(Ordering::SeqCst);
    assert!(
        retried == dropped || retried + 1 == dropped,
        "{retried} retried, {dropped} dropped"
    );
    assert!(report.cases[0]
        .line()
        .contains("retried on a fresh connection"));
}

#[tokio::test]
async fn a_server_that_never_answers_fails_with_the_timeout_in_the_message() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    // Accepts connections and reads, but never answers.
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let options = ExternalOptions {
        timeout: Duration::from_millis(200),
        ..ExternalOptions::default()
    };
    let error = Target::connect(&url, &url, options)
        .await
        .err()
        .expect("no target without answers");
    let message = format!("{error:#}");
    assert!(
        message.contains(&format!("no answer from {url}/test/clock within 200ms")),
        "{message}"
    );
}

#[tokio::test]
async fn a_closed_port_fails_with_cannot_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let error = Target::connect(&url, &url, ExternalOptions::default())
        .await
        .err()
        .expect("nothing listens");
    let message = format!("{error:#}");
    assert!(
        message.contains(&format!("cannot connect to {url}/test/clock")),
        "{message}"
    );
}

#[test]
fn every_case_with_upstream_answers_has_its_reviewed_upstream_snapshot() {
    use conformance::fixture::{load_all, Need};
    use conformance::snapshot::snapshot_name;
    let profile = "faroe-v0.5.1";
    let dir = snapshots_dir().join(profile);
    let mut expected = std::collections::BTreeSet::new();
    for (family, file) in load_all(&fixtures_dir()).expect("fixtures") {
        for case in &file.cases {
            let marked = !case.differences().is_empty();
            // Cases switching faults run only in-process, against ours.
            if marked && !case.needs.contains(&Need::Faults) {
                expected.insert(format!(
                    "fixtures__{}.snap",
                    snapshot_name(&family, &case.name)
                ));
            }
        }
    }
    let present: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("the profile's snapshots")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(present, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_under_the_upstream_profile_fails_at_the_first_step_marked_with_a_difference() {
    let target = in_process::start().await.expect("in-process server");
    let options = SuiteOptions {
        profile: "faroe-v0.5.1".into(),
        only: Some("deviations/row 13".into()),
        ..SuiteOptions::default()
    };
    let report = suite::run(&target, &options, |_| {})
        .await
        .expect("the run");
    assert_eq!(report.counts(), (0, 2, 0));
    for case in &report.cases {
        let Verdict::Failed(failure) = &case.verdict else {
            panic!("{} passed", case.name);
        };
        assert_eq!((failure.step, failure.difference), (Some(1), Some(13)));
        assert!(case
            .line()
            .contains("differs from upstream by design (difference 13)"));
    }
}
