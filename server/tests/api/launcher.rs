//! `tiauth` started the way a launcher written for the newer upstream generation starts
//! its auth binary: `--env-file F --user-server-port N --command-port M --private-host H`,
//! the mock user server on `H:N`, and a reset through the command listener before each
//! test module.

use std::path::Path;

use mock_backend::{MockBackend, RunningMockBackend};
use serde_json::{json, Value};

use crate::process::{temp_dir, tiauth, Running};

const PRIVATE_HOST: &str = "127.0.0.2";

async fn user_server() -> RunningMockBackend {
    MockBackend::start(format!("{PRIVATE_HOST}:0").parse().expect("address"))
        .await
        .expect("mock user server on 127.0.0.2")
}

/// Starts `tiauth` with the newer generation's flags (command port 0: a free one).
fn launch(dir: &Path, env_file: &str, user_server_port: u16) -> Running {
    std::fs::write(dir.join("launcher.env"), env_file).expect("write env file");
    Running::start(tiauth(dir).args([
        "--env-file",
        "launcher.env",
        "--user-server-port",
        &user_server_port.to_string(),
        "--command-port",
        "0",
        "--private-host",
        PRIVATE_HOST,
    ]))
}

/// The public and the command listener's addresses, from the startup lines.
fn addresses(server: &mut Running) -> (String, String) {
    let command_line = server.wait_for("command listener on http://");
    let start = command_line.find("http://").expect("url") + "http://".len();
    let command = command_line[start..]
        .split('/')
        .next()
        .expect("address")
        .to_owned();
    let public = server.address();
    let port = public.rsplit(':').next().expect("port").to_owned();
    (format!("127.0.0.1:{port}"), command)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

async fn invoke(
    public: &str,
    action: &str,
    arguments: Value,
) -> (reqwest::header::HeaderMap, Value) {
    let response = client()
        .post(format!("http://{public}/"))
        .json(&json!({ "action": action, "arguments": arguments }))
        .send()
        .await
        .expect("action request");
    let headers = response.headers().clone();
    (headers, response.json().await.expect("action answer"))
}

async fn command(address: &str, body: &str) -> (u16, String) {
    let response = client()
        .post(format!("http://{address}/command"))
        .body(body.to_owned())
        .send()
        .await
        .expect("command request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("command answer"))
}

/// What each test module of such a suite does: reset, then use the server; the
/// signup of the previous module is gone after the reset.
async fn run_a_module(public: &str, commands: &str, email: &str) -> String {
    let (status, body) = command(commands, r#"{"command":"reset"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"success":true,"message":"Storage cleared"}"#)
    );
    let (_, answer) = invoke(public, "create_signup", json!({ "email_address": email })).await;
    assert_eq!(answer["ok"], true, "{answer}");
    answer["values"]["signup_token"]
        .as_str()
        .expect("signup token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_generation_launcher_runs_tiauth_unchanged() {
    let backend = user_server().await;
    let dir = temp_dir();
    // Every variable of the newer generation in the file; the flags override two of them.
    let env_file = format!(
        "FAROE_PORT=0\nFAROE_USER_SERVER_PORT=1\nFAROE_COMMAND_PORT=1\n\
         FAROE_DB_PATH=./launcher.sqlite\nFAROE_CORS_ALLOW_ORIGIN=http://localhost:3000\n\
         FAROE_PRIVATE_HOST={PRIVATE_HOST}\n"
    );
    let mut server = launch(dir.path(), &env_file, backend.addr().port());
    let (public, commands) = addresses(&mut server);
    assert!(commands.starts_with("127.0.0.2:"), "{commands}");

    let first = run_a_module(&public, &commands, "ann@example.com").await;
    // The user server was reached on the private host and the flag's port.
    assert_eq!(backend.emails().len(), 1, "{:?}", backend.emails());
    let (headers, answer) = invoke(&public, "get_signup", json!({ "signup_token": first })).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .and_then(|value| value.to_str().ok()),
        Some("http://localhost:3000")
    );

    let second = run_a_module(&public, &commands, "bob@example.com").await;
    let (_, answer) = invoke(&public, "get_signup", json!({ "signup_token": first })).await;
    assert_eq!(answer["error_code"], "invalid_signup_token", "{answer}");
    let (_, answer) = invoke(&public, "get_signup", json!({ "signup_token": second })).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(dir.path().join("launcher.sqlite").exists());

    assert_eq!(server.terminate().code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_launcher_works_with_the_variables_omitted() {
    let backend = user_server().await;
    let dir = temp_dir();
    let mut server = launch(dir.path(), "FAROE_PORT=0\n", backend.addr().port());
    let (public, commands) = addresses(&mut server);
    let token = run_a_module(&public, &commands, "cy@example.com").await;
    assert_eq!(backend.emails().len(), 1);
    let (headers, answer) = invoke(&public, "get_signup", json!({ "signup_token": token })).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(headers.get("access-control-allow-origin").is_none());
    // The default database file, in the working directory.
    assert!(dir.path().join("db.sqlite").exists());
    assert_eq!(server.terminate().code(), Some(0));
}

#[test]
fn without_a_command_port_there_is_no_command_listener() {
    let dir = temp_dir();
    let mut server =
        Running::start(tiauth(dir.path()).args(["--host", "127.0.0.1", "--port", "0"]));
    server.address();
    assert_eq!(server.terminate().code(), Some(0));
    server.wait_for("tiauth stopped");
    assert!(!server
        .seen
        .iter()
        .any(|line| line.contains("command listener")));
}

#[test]
fn a_command_port_in_use_stops_startup() {
    let dir = temp_dir();
    let taken = std::net::TcpListener::bind((PRIVATE_HOST, 0)).expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let output = tiauth(dir.path())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--command-port",
            &port,
        ])
        .output()
        .expect("tiauth runs");
    assert_eq!(output.status.code(), Some(1));
    let message = crate::process::stderr(&output);
    assert!(message.contains("command listener"), "{message}");
    assert!(message.contains(&format!("127.0.0.2:{port}")), "{message}");
}

#[test]
fn both_port_names_with_different_values_stop_startup_naming_both() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("mixed.env"),
        "FAROE_USER_SERVER_PORT=12790\n",
    )
    .expect("write");
    let output = tiauth(dir.path())
        .args(["--env-file", "mixed.env"])
        .env("FAROE_PRIVATE_PORT", "8079")
        .output()
        .expect("tiauth runs");
    assert_eq!(output.status.code(), Some(2));
    let message = crate::process::stderr(&output);
    assert!(
        message.contains("FAROE_PRIVATE_PORT") && message.contains("FAROE_USER_SERVER_PORT"),
        "{message}"
    );
}
