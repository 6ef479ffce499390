//! The server under test: ours in-process, or any Faroe server by URL.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tiauth_faroe::faroe::clock::{Clock, ManualClock};

use crate::fixture::Need;

/// A server and its user server, reached over HTTP.
pub struct Target {
    server_url: String,
    backend_url: String,
    client: reqwest::Client,
    clock: Option<Arc<ManualClock>>,
    offers_faults: bool,
    /// What must live as long as the target (in-process servers).
    _running: Vec<Box<dyn std::any::Any + Send + Sync>>,
    /// Targets beside this one for cases with a need it does not meet itself (our
    /// server in another mode, sharing the user server and the clock).
    variants: Vec<(Need, Target)>,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Target {
    /// A server started elsewhere with `--enable-reset`, and its user server. The
    /// clock cannot be moved and faults cannot be switched there.
    pub fn external(server_url: &str, backend_url: &str) -> Self {
        Target {
            server_url: server_url.trim_end_matches('/').to_owned(),
            backend_url: backend_url.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            clock: None,
            offers_faults: false,
            _running: Vec::new(),
            variants: Vec::new(),
        }
    }

    /// A target whose clock and faults the runner controls.
    pub fn controlled(
        server_url: String,
        backend_url: String,
        clock: Arc<ManualClock>,
        running: Vec<Box<dyn std::any::Any + Send + Sync>>,
    ) -> Self {
        Target {
            server_url,
            backend_url,
            client: reqwest::Client::new(),
            clock: Some(clock),
            offers_faults: true,
            _running: running,
            variants: Vec::new(),
        }
    }

    /// Replays cases needing `need` on `variant` instead.
    pub fn with_variant(mut self, need: Need, variant: Target) -> Self {
        self.variants.push((need, variant));
        self
    }

    /// The target for a case with `needs`: the first variant meeting one of them, or
    /// this one.
    pub fn for_needs(&self, needs: &[Need]) -> &Target {
        self.variants
            .iter()
            .find(|(need, _)| needs.contains(need))
            .map_or(self, |(_, variant)| variant)
    }

    /// `CONFORMANCE_SERVER_URL` and `CONFORMANCE_BACKEND_URL` when set, else our
    /// server in this process.
    pub async fn from_env() -> anyhow::Result<Self> {
        match (
            std::env::var("CONFORMANCE_SERVER_URL"),
            std::env::var("CONFORMANCE_BACKEND_URL"),
        ) {
            (Ok(server), Ok(backend)) => Ok(Self::external(&server, &backend)),
            (Ok(_), Err(_)) => {
                bail!("CONFORMANCE_SERVER_URL is set but CONFORMANCE_BACKEND_URL is not")
            }
            _ => crate::in_process::start().await,
        }
    }

    pub fn is_external(&self) -> bool {
        self.clock.is_none()
    }

    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The needs this target can meet.
    pub fn offers(&self) -> Vec<Need> {
        let mut offered = Vec::new();
        if self.clock.is_some() {
            offered.push(Need::Clock);
        }
        if self.offers_faults {
            // Our in-process runner: fault switches and the fake range API.
            offered.push(Need::Faults);
            offered.push(Need::BreachedPasswords);
        }
        offered.extend(self.variants.iter().map(|(need, _)| *need));
        offered
    }

    /// Now, in unix seconds, as the server sees it.
    pub fn now(&self) -> i64 {
        match &self.clock {
            Some(clock) => clock.now().unix_seconds(),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default(),
        }
    }

    pub fn advance(&self, by: Duration) -> anyhow::Result<()> {
        match &self.clock {
            Some(clock) => {
                clock.advance(by);
                Ok(())
            }
            None => bail!("this target's clock cannot be moved"),
        }
    }

    /// Restarts the clock (when controlled) and empties the server and the user server.
    pub async fn reset(&self, clock_start: i64) -> anyhow::Result<()> {
        if let Some(clock) = &self.clock {
            clock.set(tiauth_faroe::faroe::clock::Timestamp::from_unix_seconds(
                clock_start,
            ));
        }
        let answer = self.request("POST", "/reset", String::new()).await?;
        if answer.status != 200 {
            bail!(
                "POST /reset answered {}; start the server with --enable-reset",
                answer.status
            );
        }
        self.command(json!({ "command": "clear_all" })).await?;
        Ok(())
    }

    /// Sends a request to the server.
    pub async fn request(&self, method: &str, path: &str, body: String) -> anyhow::Result<Answer> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let response = self
            .client
            .request(method, format!("{}{path}", self.server_url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .with_context(|| format!("no answer from {}{path}", self.server_url))?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(Answer { status, body })
    }

    /// Sends a request whose body may be any bytes, valid UTF-8 or not.
    pub async fn request_bytes(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Answer> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let response = self
            .client
            .request(method, format!("{}{path}", self.server_url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .with_context(|| format!("no answer from {}{path}", self.server_url))?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(Answer { status, body })
    }

    /// Sends a `/command` to the user server and returns its JSON answer.
    pub async fn command(&self, command: Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(format!("{}/command", self.backend_url))
            .json(&command)
            .send()
            .await
            .with_context(|| format!("no answer from {}/command", self.backend_url))?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("user server /command {command} answered {status}: {body}");
        }
        Ok(body)
    }
}
