//! Moving from upstream tiauth: the `import-upstream` command of the binary, and the
//! refusal to serve an upstream database as it is.

#[path = "../../src/upstream_import/tests/encoder.rs"]
mod encoder;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use encoder::{bucket, write_database, Session, Signup, NEVER_CHECKED};
use mock_backend::store::NewUser;
use mock_backend::MockBackend;
use serde_json::json;

use crate::process::{stderr, stdout, temp_dir, tiauth, Running};

fn now() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(elapsed.as_secs()).expect("seconds")
}

const SESSION_SECRET: &str = "secretsecretsecretsecret";

fn live_session(user_id: &str, sessions_counter: i32) -> Session {
    Session {
        id: "sessionsessionsession234".into(),
        user_id: user_id.into(),
        secret: SESSION_SECRET.into(),
        token_last_verified_at: now() - 600,
        user_last_checked_at: NEVER_CHECKED,
        user_disabled_counter: 0,
        user_sessions_counter: sessions_counter,
        created_at: now() - 86_400,
    }
}

/// A live session, a live bucket, an expired signup and a truncated record.
fn upstream_rows(user_id: &str) -> Vec<(String, Vec<u8>)> {
    let session = live_session(user_id, 0);
    let expired = Signup {
        id: "signupsignupsignupsignup".into(),
        secret: "signupsecretsignupsecret".into(),
        email_address: "old@example.com".into(),
        email_address_verification_code: "ABCDEFGH".into(),
        email_address_verified: false,
        password: None,
        created_at: now() - 86_400,
    };
    let truncated = session.encode()[..50].to_vec();
    vec![
        (session.key(), session.encode()),
        (format!("aaaq.{user_id}"), bucket(0, now())),
        (expired.key(), expired.encode()),
        ("aaah.brokenbrokenbroken2345".into(), truncated),
    ]
}

fn schema_and_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read database")
}

#[test]
fn the_server_refuses_to_serve_an_upstream_database() {
    let dir = temp_dir();
    let path = dir.path().join("db.sqlite");
    write_database(&path, &upstream_rows("7"));
    let before = schema_and_bytes(&path);
    let output = tiauth(dir.path())
        .args(["--host", "127.0.0.1", "--port", "0"])
        .output()
        .expect("tiauth runs");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("upstream tiauth database"), "{message}");
    assert!(
        message.contains("tiauth import-upstream --from ./db.sqlite.upstream"),
        "{message}"
    );
    assert_eq!(schema_and_bytes(&path), before, "the file is unchanged");
}

#[test]
fn import_upstream_prints_a_summary_refuses_a_second_run_and_merges_idempotently() {
    let dir = temp_dir();
    write_database(&dir.path().join("db.upstream.sqlite"), &upstream_rows("7"));
    let source_before = schema_and_bytes(&dir.path().join("db.upstream.sqlite"));
    let import = |extra: &[&str]| {
        tiauth(dir.path())
            .args(["import-upstream", "--from", "db.upstream.sqlite"])
            .args(extra)
            .output()
            .expect("tiauth runs")
    };

    let output = import(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = stdout(&output);
    for line in [
        "read 4 records from the upstream database db.upstream.sqlite",
        "imported 2 (sessions 1, signups 0, signins 0, e-mail address updates 0, \
         password updates 0, password resets 0, deletions 0, rate-limit buckets 1)",
        "skipped as expired: 1",
        "rejected as undecodable: 1",
        "  aaah.brokenbrokenbroken2345: item 2 runs past the end of the record (truncated)",
    ] {
        assert!(summary.lines().any(|l| l == line), "{line:?} in\n{summary}");
    }
    let everything = format!("{summary}{}", stderr(&output));
    assert!(!everything.contains(SESSION_SECRET), "{everything}");
    assert!(dir.path().join("db.sqlite").exists());

    // Again without --merge: refused, nothing written.
    let output = import(&[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("not empty") && message.contains("--merge"),
        "{message}"
    );

    // With --merge: nothing new, nothing changed.
    let output = import(&["--merge"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = stdout(&output);
    assert!(summary.contains("imported 0 ("), "{summary}");
    assert!(
        summary.contains("already in the destination, left as they are: 2"),
        "{summary}"
    );
    assert_eq!(
        schema_and_bytes(&dir.path().join("db.upstream.sqlite")),
        source_before
    );
}

#[test]
fn import_upstream_errors_are_clear_and_change_nothing() {
    let dir = temp_dir();
    // No --from: a usage error.
    let output = tiauth(dir.path())
        .arg("import-upstream")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--from"));

    // A missing source: refused before the destination is created.
    let output = tiauth(dir.path())
        .args(["import-upstream", "--from", "nowhere.sqlite"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("nowhere.sqlite") && message.contains("no such file"),
        "{message}"
    );
    assert!(!dir.path().join("db.sqlite").exists());

    // The destination is the upstream file itself: refused as at startup.
    write_database(&dir.path().join("db.sqlite"), &upstream_rows("7"));
    let before = schema_and_bytes(&dir.path().join("db.sqlite"));
    let output = tiauth(dir.path())
        .args(["import-upstream", "--from", "db.sqlite"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("mv ./db.sqlite ./db.sqlite.upstream"),
        "{}",
        stderr(&output)
    );
    assert_eq!(schema_and_bytes(&dir.path().join("db.sqlite")), before);
}

/// The migration as the README gives it: the upstream server stopped, its file moved
/// aside and imported, then `tiauth` started on the same `.env`: the signed-in user
/// is still signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_user_stays_signed_in_across_the_migration() {
    let backend = MockBackend::start("127.0.0.2:0".parse().expect("address"))
        .await
        .expect("mock user server");
    let user = backend
        .state()
        .store()
        .create_user(NewUser {
            email_address: "ann@example.com".into(),
            password_hash: vec![1; 32],
            password_hash_algorithm_id: "argon2id.3.65536.1.32".into(),
            password_salt: vec![2; 16],
        })
        .await
        .expect("user");
    let dir = temp_dir();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "FAROE_PORT=0\nFAROE_USER_SERVER_PORT={}\n",
            backend.addr().port()
        ),
    )
    .expect("write .env");
    let session = live_session(&user.id, i32::try_from(user.sessions_counter).expect("i32"));
    write_database(
        &dir.path().join("db.sqlite"),
        &[(session.key(), session.encode())],
    );
    std::fs::rename(
        dir.path().join("db.sqlite"),
        dir.path().join("db.sqlite.upstream"),
    )
    .expect("move aside");
    let output = tiauth(dir.path())
        .args(["import-upstream", "--from", "./db.sqlite.upstream"])
        .output()
        .expect("import runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let mut server = Running::start(&mut tiauth(dir.path()));
    let port = server
        .address()
        .rsplit(':')
        .next()
        .expect("port")
        .to_owned();
    let answer: serde_json::Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(format!("http://127.0.0.1:{port}/"))
        .json(&json!({
            "action": "get_session",
            "arguments": { "session_token": format!("{}.{SESSION_SECRET}", session.id) }
        }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("answer");
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["values"]["session"]["user_id"], user.id.as_str());
    assert_eq!(
        answer["values"]["session"]["created_at"],
        session.created_at
    );
    assert_eq!(server.terminate().code(), Some(0));
}
