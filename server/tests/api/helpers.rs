//! `spawn_app()`: the real server on port 0, a wiremock user server on 127.0.0.2:0, an
//! injected manual clock and a fresh database directory per test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tiauth_faroe::app::{self, Overrides};
use tiauth_faroe::config::{Config, PwnedPasswordsMode};
use tiauth_faroe::faroe::clock::{ManualClock, Timestamp};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// 2025-03-05T09:07:03Z: e-mails render it as `March 5, 2025 09:07:03`.
pub const START: i64 = 1_741_165_623;

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub user_server: MockServer,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// A wiremock server listening on 127.0.0.2 (any port), where the app expects its user server.
pub async fn user_server_on(port: u16) -> MockServer {
    let listener = std::net::TcpListener::bind(("127.0.0.2", port)).expect("bind 127.0.0.2");
    MockServer::builder().listener(listener).start().await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with the test defaults, changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_overrides(configure, Overrides::default()).await
}

/// Starts the app with `overrides` (the manual clock is always injected).
pub async fn spawn_app_with_overrides(
    configure: impl FnOnce(&mut Config),
    overrides: Overrides,
) -> TestApp {
    let user_server = user_server_on(0).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = Config {
        host: [127, 0, 0, 1].into(),
        port: 0,
        private_port: user_server.address().port(),
        db_path: dir.path().join("db.sqlite"),
        pwned_passwords: PwnedPasswordsMode::Off,
        hashing_concurrency: 2,
        ..Config::default()
    };
    configure(&mut config);
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(START)));
    let listener = TcpListener::bind((config.host, 0)).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let overrides = Overrides {
        clock: Some(clock.clone()),
        ..overrides
    };
    let served = config.clone();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        app::serve(listener, served, overrides, shutdown)
            .await
            .expect("the app serves");
    });
    TestApp {
        addr,
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
        user_server,
        clock,
        _dir: dir,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends `body` to `POST /`.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http
            .post(self.url("/"))
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// Invokes an action and returns the parsed 200 answer.
    pub async fn invoke(&self, action: &str, arguments: Value) -> Value {
        let body = json!({ "action": action, "arguments": arguments }).to_string();
        let response = self.post_raw(body).await;
        assert_eq!(response.status(), 200, "{action}");
        response.json().await.expect("JSON answer")
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server task ends cleanly");
        }
    }

    /// Bodies received by the user server on `route` (`/invoke` or `/email`), in order.
    pub async fn received(&self, route: &str) -> Vec<String> {
        self.user_server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|request| request.url.path() == route)
            .map(|request| String::from_utf8_lossy(&request.body).into_owned())
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn error_code(answer: &Value) -> Option<&str> {
    answer["error_code"].as_str()
}

pub fn is_ok(answer: &Value) -> bool {
    answer["ok"] == json!(true)
}

/// An `/invoke` success answer.
pub fn values(values: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "ok": true,
        "action_invocation_id": "test",
        "values": values,
    }))
}

/// An `/invoke` error answer.
pub fn action_error(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "ok": false,
        "action_invocation_id": "test",
        "error_code": code,
    }))
}

/// A user server where nobody exists yet and every e-mail is accepted.
pub async fn mount_empty_user_server(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found"))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(ResponseTemplate::new(200))
        .mount(server)
        .await;
}

/// A user server holding at most one user, created by `create_user`.
#[derive(Default)]
pub struct OneUserServer {
    user: Mutex<Option<Value>>,
}

impl Respond for OneUserServer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let arguments = &body["arguments"];
        let mut stored = self.user.lock().unwrap_or_else(|e| e.into_inner());
        match body["action"].as_str() {
            Some("create_user") => {
                let user = json!({
                    "id": "1_alice",
                    "email_address": arguments["email_address"],
                    "password_hash": arguments["password_hash"],
                    "password_hash_algorithm_id": arguments["password_hash_algorithm_id"],
                    "password_salt": arguments["password_salt"],
                    "display_name": "Alice",
                    "disabled": false,
                    "email_address_counter": 0,
                    "password_hash_counter": 0,
                    "disabled_counter": 0,
                    "sessions_counter": 0,
                });
                *stored = Some(user.clone());
                values(json!({ "user": user }))
            }
            Some("get_user") | Some("get_user_by_email_address") => match stored.as_ref() {
                Some(user)
                    if user["id"] == arguments["user_id"]
                        || user["email_address"] == arguments["email_address"] =>
                {
                    values(json!({ "user": user }))
                }
                _ => action_error("user_not_found"),
            },
            _ => action_error("unexpected_error"),
        }
    }
}

pub async fn mount_one_user_server(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(OneUserServer::default())
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(ResponseTemplate::new(200))
        .mount(server)
        .await;
}

/// A short timeout for fault tests.
pub const SHORT_TIMEOUT: Duration = Duration::from_millis(300);
