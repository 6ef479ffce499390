//! Starting a backend and talking to it.

use std::net::{Ipv4Addr, SocketAddr};

use mock_backend::{MockBackend, RunningMockBackend};
use serde_json::{json, Value};

pub const HASH_B64: &str = "aGFzaA==";
pub const SALT_B64: &str = "c2FsdA==";

/// A running backend and an HTTP client for it.
pub struct TestBackend {
    pub backend: RunningMockBackend,
    pub client: reqwest::Client,
}

/// An HTTP answer: status, raw body, and the body as JSON when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub json: Value,
}

pub async fn spawn() -> TestBackend {
    let backend = MockBackend::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("backend starts on a free port");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    TestBackend { backend, client }
}

impl TestBackend {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.backend.url())
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body is readable");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, text, json }
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Answer {
        self.send(
            self.client
                .post(self.url(path))
                .header("content-type", "application/json")
                .body(body.to_owned()),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.post_raw(path, &body.to_string()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn invoke(&self, action: &str, arguments: Value) -> Answer {
        self.post(
            "/invoke",
            &json!({"action": action, "arguments": arguments}),
        )
        .await
    }

    pub async fn command(&self, body: Value) -> Answer {
        self.post("/command", &body).await
    }

    /// Creates a user and returns its model; panics unless the call succeeds.
    pub async fn create_user(&self, email: &str) -> Value {
        let answer = self
            .invoke(
                "create_user",
                json!({"email_address": email, "password_hash": HASH_B64,
                       "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64}),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json["ok"], json!(true), "{}", answer.text);
        answer.json["values"]["user"].clone()
    }

    pub async fn get_user(&self, user_id: &str) -> Answer {
        self.invoke("get_user", json!({"user_id": user_id})).await
    }

    pub async fn users(&self) -> Vec<Value> {
        let answer = self.command(json!({"command": "get_users"})).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json["users"]
            .as_array()
            .expect("users is an array")
            .clone()
    }
}

/// Checks a user-action error answer and returns nothing else worth keeping.
pub fn assert_action_error(answer: &Answer, error_code: &str) {
    assert_eq!(answer.status, 200, "{}", answer.text);
    let keys: Vec<&str> = answer
        .json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["ok", "action_invocation_id", "error_code"]);
    assert_eq!(answer.json["ok"], json!(false));
    assert_eq!(
        answer.json["error_code"],
        json!(error_code),
        "{}",
        answer.text
    );
    assert_invocation_id(&answer.json["action_invocation_id"]);
}

/// Checks a user-action success answer and returns its `values`.
pub fn assert_action_ok(answer: &Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.text);
    let keys: Vec<&str> = answer
        .json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["ok", "action_invocation_id", "values"],
        "{}",
        answer.text
    );
    assert_eq!(answer.json["ok"], json!(true));
    assert_invocation_id(&answer.json["action_invocation_id"]);
    answer.json["values"].clone()
}

pub fn assert_invocation_id(value: &Value) {
    let id = value.as_str().expect("the invocation id is a string");
    assert_eq!(id.len(), 24, "{id}");
    assert!(
        id.bytes()
            .all(|byte| b"abcdefghjkmnopqrstuvwxyz23456789".contains(&byte)),
        "{id}"
    );
}

/// Checks a `{"error": ..., "status_code": ...}` answer, byte for byte.
pub fn assert_error(answer: &Answer, status: u16, message: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(
        answer.text,
        format!(
            "{{\"error\": {}, \"status_code\": {status}}}",
            Value::from(message)
        )
    );
}
