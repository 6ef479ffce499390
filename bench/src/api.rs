//! Talking to the server's action endpoint and to the mock user server, for the
//! preparation steps and the multi-request flows (signup, signin).

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use serde_json::{json, Value};
use tiauth_faroe::faroe::user::PasswordHash;

/// The password every benchmark user has.
pub const PASSWORD: &str = "bench-password-8d1c";

#[derive(Debug, Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub server_url: String,
    pub user_server_url: String,
}

impl Api {
    /// Invokes an action; `Ok(values)` on `"ok":true`, an error naming the
    /// `error_code` otherwise.
    pub async fn action(&self, action: &str, arguments: Value) -> anyhow::Result<Value> {
        let body = json!({ "action": action, "arguments": arguments });
        let response = self
            .client
            .post(format!("{}/", self.server_url))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("{action}: request failed"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("{action}: HTTP {status}");
        }
        let mut answer: Value = response
            .json()
            .await
            .with_context(|| format!("{action}: unreadable answer"))?;
        if answer["ok"] == Value::Bool(true) {
            Ok(answer["values"].take())
        } else {
            bail!("{action}: {}", answer["error_code"])
        }
    }

    async fn user_server(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(format!("{}{path}", self.user_server_url))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("user server {path}: request failed"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("user server {path}: HTTP {status}");
        }
        Ok(response.json().await?)
    }

    /// The e-mailed signup verification code, taken from the mock user server.
    async fn signup_code(&self, email: &str) -> anyhow::Result<String> {
        let answer = self
            .user_server(
                "/command",
                json!({"command": "get_token", "action": "signup_verification", "email": email}),
            )
            .await?;
        answer["code"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no signup code was e-mailed to {email}"))
    }

    /// A signup with its address verified, waiting for a password; returns its token.
    pub async fn verified_signup(&self, email: &str) -> anyhow::Result<String> {
        let created = self
            .action("create_signup", json!({ "email_address": email }))
            .await?;
        let token = string_value(&created, "signup_token")?;
        let code = self.signup_code(email).await?;
        self.action(
            "verify_signup_email_address_verification_code",
            json!({ "signup_token": token, "email_address_verification_code": code }),
        )
        .await?;
        Ok(token)
    }

    /// The whole signup flow; returns the new session token.
    pub async fn sign_up(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let token = self.verified_signup(email).await?;
        self.action(
            "set_signup_password",
            json!({ "signup_token": token, "password": password }),
        )
        .await?;
        let completed = self
            .action("complete_signup", json!({ "signup_token": token }))
            .await?;
        string_value(&completed, "session_token")
    }

    /// The whole signin flow; returns the new session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let created = self
            .action("create_signin", json!({ "user_email_address": email }))
            .await?;
        let token = string_value(&created, "signin_token")?;
        self.action(
            "verify_signin_user_password",
            json!({ "signin_token": token, "password": password }),
        )
        .await?;
        let completed = self
            .action("complete_signin", json!({ "signin_token": token }))
            .await?;
        string_value(&completed, "session_token")
    }

    /// Creates a user straight in the user server (no signup flow); returns its id.
    pub async fn create_user(
        &self,
        email: &str,
        password: &PasswordHash,
    ) -> anyhow::Result<String> {
        let base64 = base64::engine::general_purpose::STANDARD;
        let answer = self
            .user_server(
                "/invoke",
                json!({
                    "action": "create_user",
                    "arguments": {
                        "email_address": email,
                        "password_hash": base64.encode(&password.hash),
                        "password_hash_algorithm_id": password.algorithm_id,
                        "password_salt": base64.encode(&password.salt),
                    }
                }),
            )
            .await?;
        if answer["ok"] != Value::Bool(true) {
            bail!("create_user {email}: {}", answer["error_code"]);
        }
        answer["values"]["user"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("create_user {email}: no user id"))
    }
}

fn string_value(values: &Value, name: &str) -> anyhow::Result<String> {
    values[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the answer has no {name}"))
}

/// The body of a `get_session` request, serialised once.
pub fn get_session_body(session_token: &str) -> bytes::Bytes {
    bytes::Bytes::from(
        json!({"action": "get_session", "arguments": {"session_token": session_token}}).to_string(),
    )
}
