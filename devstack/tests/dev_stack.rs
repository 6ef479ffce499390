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

    let line = wait_for(&stderr, "tiauth listening on http://");
    let start = line.find("http://").expect("url");
    let url = line[start..]
        .split_whitespace()
        .next()
        .expect("url")
        .to_owned();

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
