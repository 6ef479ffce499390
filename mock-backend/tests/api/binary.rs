//! The `mock-backend` binary: startup line, port in use, signals.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_mock-backend");

#[tokio::test]
async fn help_lists_the_options() {
    let output = Command::new(BINARY)
        .arg("--help")
        .output()
        .await
        .expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in ["--host", "--port", "--db"] {
        assert!(help.contains(option), "{help}");
    }
}

#[tokio::test]
async fn the_binary_serves_and_stops_on_sigterm() {
    let mut child = Command::new(BINARY)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("startup line");
    let url = line
        .trim()
        .strip_prefix("mock-backend listening on ")
        .unwrap_or_else(|| panic!("unexpected startup line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    let body = client
        .get(format!("{url}/health"))
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    assert_eq!(body, r#"{"status":"ok"}"#);
    drop(client);
    let pid = child.id().expect("still running");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().await.expect("exits");
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bound");
    let port = taken.local_addr().expect("address").port().to_string();
    let output = Command::new(BINARY)
        .args(["--host", "127.0.0.1", "--port", &port])
        .output()
        .await
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        format!("mock-backend: cannot listen on 127.0.0.1:{port}: the address is already in use")
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn a_non_loopback_address_is_refused_without_allow_remote() {
    let output = Command::new(BINARY)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .output()
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("mock-backend: refusing to listen on 0.0.0.0:"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn allow_remote_listens_on_a_non_loopback_address() {
    let mut child = Command::new(BINARY)
        .args(["--host", "0.0.0.0", "--port", "0", "--allow-remote"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("startup line");
    assert!(
        line.starts_with("mock-backend listening on http://0.0.0.0:"),
        "{line:?}"
    );
    child.kill().await.expect("stopped");
}

#[tokio::test]
async fn help_says_it_is_for_tests_and_development_only() {
    let output = Command::new(BINARY)
        .arg("--help")
        .output()
        .await
        .expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("For tests and development only"), "{help}");
    assert!(help.contains("--allow-remote"), "{help}");
}
