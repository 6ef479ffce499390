//! `tiauth-dev` brings up a working stack: an action that needs the user server and an
//! e-mail succeeds, and the e-mail shows up on stdout.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const LINE_WAIT: Duration = Duration::from_secs(30);

struct Stack(Child);

impl Drop for Stack {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn lines_of(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

fn wait_for(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        match lines.recv_timeout(LINE_WAIT) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(_) => panic!("no line containing {needle:?}"),
        }
    }
}

/// The first `http://…` URL in a log line.
fn url_in(line: &str) -> String {
    let start = line.find("http://").expect("url");
    line[start..]
        .split_whitespace()
        .next()
        .expect("url")
        .to_owned()
}

#[test]
fn the_dev_stack_serves_actions_and_prints_emails() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let private_port = std::net::TcpListener::bind("127.0.0.2:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiauth-dev"))
        .env_clear()
        .current_dir(dir.path())
        .env("FAROE_PWNED_PASSWORDS", "off")
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(["--private-port", &private_port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tiauth-dev starts");
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let mut stack = Stack(child);

    let url = url_in(&wait_for(&stderr, "tiauth listening on http://"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let answer: serde_json::Value = runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .post(format!("{url}/"))
            .body(r#"{"action":"create_signup","arguments":{"email_address":"ann@example.com"}}"#)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON")
    });
    assert_eq!(answer["ok"], serde_json::json!(true), "{answer}");

    // The admin listener is on by default, on a loopback port the log names.
    let admin = url_in(&wait_for(&stderr, "admin listener on http://"));
    assert!(admin.starts_with("http://127.0.0.1:"), "{admin}");
    let (ready, metrics) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let ready = client
            .get(format!("{admin}/health/ready"))
            .send()
            .await
            .expect("request")
            .status();
        let metrics = client
            .get(format!("{admin}/metrics"))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text");
        (ready, metrics)
    });
    assert_eq!(ready, 200);
    assert!(
        metrics.contains(r#"tiauth_actions_total{action="create_signup",outcome="ok"} 1"#),
        "{metrics}"
    );
    let email = wait_for(&stdout, "e-mail: ");
    assert!(email.contains(r#""type":"signup_verification""#), "{email}");
    assert!(email.contains(r#""email":"ann@example.com""#), "{email}");
    assert!(dir.path().join("db.sqlite").exists());
    assert!(dir.path().join("users.sqlite").exists());

    let killed = Command::new("kill")
        .args(["-TERM", &stack.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    assert_eq!(stack.0.wait().expect("exit status").code(), Some(0));
}

#[test]
fn the_dev_stack_takes_the_storage_options_and_masks_the_password() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = Command::new(env!("CARGO_BIN_EXE_tiauth-dev"))
        .env_clear()
        .current_dir(dir.path())
        .args([
            "--check-config",
            "--storage-url",
            "redis://:hunter2@cache.internal:6379/2",
        ])
        .env("FAROE_STORAGE_NAMESPACE", "devshop")
        .output()
        .expect("tiauth-dev runs");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in [
        "FAROE_STORAGE_URL=redis://:***@cache.internal:6379/2",
        "FAROE_STORAGE_NAMESPACE=devshop",
        "storage engine: redis",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing in {stdout}"
        );
    }
    assert!(!stdout.contains("hunter2"), "{stdout}");

    let refused = Command::new(env!("CARGO_BIN_EXE_tiauth-dev"))
        .env_clear()
        .current_dir(dir.path())
        .arg("--check-config")
        .env("FAROE_STORAGE_URL", "mysql://root:hunter2@db/auth")
        .output()
        .expect("tiauth-dev runs");
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("FAROE_STORAGE_URL") && !stderr.contains("hunter2"),
        "{stderr}"
    );
}
