//! The server under test: ours in-process, or any Faroe server by URL.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail};
use serde_json::{json, Value};
use tiauth_faroe::faroe::clock::{Clock, ManualClock};

use crate::fixture::Need;

/// A server and its user server, reached over HTTP.
pub struct Target {
    server_url: String,
    backend_url: String,
    client: reqwest::Client,
    /// Keeps no idle connections: every request opens a new one. For retries.
    fresh_client: reqwest::Client,
    timeout: Duration,
    clock: ClockControl,
    offers_faults: bool,
    offers_breached_passwords: bool,
    /// Requests retried because a pooled connection closed before any answer byte.
    retries: AtomicUsize,
    /// What must live as long as the target (in-process servers).
    _running: Vec<Box<dyn std::any::Any + Send + Sync>>,
    /// Targets beside this one for cases with a need it does not meet itself (our
    /// server in another mode, sharing the user server and the clock).
    variants: Vec<(Need, Target)>,
}

/// How the runner moves the server's clock, if it can.
enum ClockControl {
    /// Our server in this process: its clock directly.
    InProcess(Arc<ManualClock>),
    /// A server offering `POST /test/clock`; the last time it answered, in unix seconds.
    Remote(AtomicI64),
    /// The server's own clock, which follows the wall clock.
    Wall,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// How to reach an external server.
#[derive(Debug, Clone)]
pub struct ExternalOptions {
    /// How long one request may take, connecting included.
    pub timeout: Duration,
    /// The server's breached-password check reports the passwords of
    /// [`crate::in_process::WEAK_PASSWORDS`] as breached (e.g. it uses the runner's fake
    /// range API).
    pub breached_passwords: bool,
}

impl Default for ExternalOptions {
    fn default() -> Self {
        ExternalOptions {
            timeout: DEFAULT_TIMEOUT,
            breached_passwords: false,
        }
    }
}

/// The per-request timeout unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn clients(timeout: Duration) -> anyhow::Result<(reqwest::Client, reqwest::Client)> {
    let pooled = reqwest::Client::builder().timeout(timeout).build()?;
    let fresh = reqwest::Client::builder()
        .timeout(timeout)
        .pool_max_idle_per_host(0)
        .build()?;
    Ok((pooled, fresh))
}

/// True when the request failed because the connection closed before any answer
/// byte arrived: a server closing an idle keep-alive connection just as it was reused.
fn closed_before_answer(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(hyper_error) = current.downcast_ref::<hyper::Error>() {
            if hyper_error.is_incomplete_message() {
                return true;
            }
        }
        if let Some(io_error) = current.downcast_ref::<std::io::Error>() {
            if matches!(
                io_error.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ) {
                return true;
            }
        }
        source = current.source();
    }
    false
}

impl Target {
    /// A server started elsewhere with `--enable-reset`, and its user server. Faults
    /// cannot be switched there; the clock can be moved when the server answers
    /// `POST /test/clock` (see `fixtures/README.md`).
    pub async fn connect(
        server_url: &str,
        backend_url: &str,
        options: ExternalOptions,
    ) -> anyhow::Result<Self> {
        let (client, fresh_client) = clients(options.timeout)?;
        let mut target = Target {
            server_url: server_url.trim_end_matches('/').to_owned(),
            backend_url: backend_url.trim_end_matches('/').to_owned(),
            client,
            fresh_client,
            timeout: options.timeout,
            clock: ClockControl::Wall,
            offers_faults: false,
            offers_breached_passwords: options.breached_passwords,
            retries: AtomicUsize::new(0),
            _running: Vec::new(),
            variants: Vec::new(),
        };
        // A server offers a test clock when it answers the reading request as documented.
        let probe = target.request("POST", "/test/clock", "{}".into()).await?;
        if let Some(now) = (probe.status == 200)
            .then(|| serde_json::from_str::<Value>(&probe.body).ok())
            .flatten()
            .and_then(|value| value["now"].as_i64())
        {
            target.clock = ClockControl::Remote(AtomicI64::new(now));
        }
        Ok(target)
    }

    /// A target whose clock and faults the runner controls.
    pub fn controlled(
        server_url: String,
        backend_url: String,
        clock: Arc<ManualClock>,
        running: Vec<Box<dyn std::any::Any + Send + Sync>>,
    ) -> Self {
        let (client, fresh_client) = clients(DEFAULT_TIMEOUT)
            .unwrap_or_else(|_| (reqwest::Client::new(), reqwest::Client::new()));
        Target {
            server_url,
            backend_url,
            client,
            fresh_client,
            timeout: DEFAULT_TIMEOUT,
            clock: ClockControl::InProcess(clock),
            offers_faults: true,
            offers_breached_passwords: true,
            retries: AtomicUsize::new(0),
            _running: running,
            variants: Vec::new(),
        }
    }

    /// This target, keeping `running` alive as long as it lives.
    pub fn keeping(mut self, running: Vec<Box<dyn std::any::Any + Send + Sync>>) -> Self {
        self._running.extend(running);
        self
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
            (Ok(server), Ok(backend)) => {
                Self::connect(&server, &backend, ExternalOptions::default()).await
            }
            (Ok(_), Err(_)) => {
                bail!("CONFORMANCE_SERVER_URL is set but CONFORMANCE_BACKEND_URL is not")
            }
            _ => crate::in_process::start().await,
        }
    }

    /// True unless this is our server in this process.
    pub fn is_external(&self) -> bool {
        !matches!(self.clock, ClockControl::InProcess(_))
    }

    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    pub fn backend_url(&self) -> &str {
        &self.backend_url
    }

    /// How many requests were retried on a fresh connection so far.
    pub fn retries(&self) -> usize {
        self.retries.load(Ordering::SeqCst)
    }

    /// The needs this target can meet.
    pub fn offers(&self) -> Vec<Need> {
        let mut offered = Vec::new();
        if !matches!(self.clock, ClockControl::Wall) {
            offered.push(Need::Clock);
        }
        if self.offers_faults {
            offered.push(Need::Faults);
        }
        if self.offers_breached_passwords {
            offered.push(Need::BreachedPasswords);
        }
        offered.extend(self.variants.iter().map(|(need, _)| *need));
        offered
    }

    /// Now, in unix seconds, as the server sees it.
    pub fn now(&self) -> i64 {
        match &self.clock {
            ClockControl::InProcess(clock) => clock.now().unix_seconds(),
            ClockControl::Remote(now) => now.load(Ordering::SeqCst),
            ClockControl::Wall => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default(),
        }
    }

    /// Moves the server's clock forward.
    pub async fn advance(&self, by: Duration) -> anyhow::Result<()> {
        match &self.clock {
            ClockControl::InProcess(clock) => {
                clock.advance(by);
                Ok(())
            }
            ClockControl::Remote(_) => {
                self.test_clock(json!({ "advance": by.as_secs() })).await?;
                Ok(())
            }
            ClockControl::Wall => bail!("this target's clock cannot be moved"),
        }
    }

    /// Sends `body` to `POST /test/clock` and records the time it answers.
    async fn test_clock(&self, body: Value) -> anyhow::Result<i64> {
        let answer = self
            .request("POST", "/test/clock", body.to_string())
            .await?;
        if answer.status != 200 {
            bail!(
                "POST /test/clock {body} answered {} {:?}",
                answer.status,
                answer.body
            );
        }
        let now = serde_json::from_str::<Value>(&answer.body)
            .ok()
            .and_then(|value| value["now"].as_i64())
            .ok_or_else(|| {
                anyhow!(
                    "POST /test/clock answered {:?}, expected {{\"now\": <unix seconds>}}",
                    answer.body
                )
            })?;
        if let ClockControl::Remote(mirror) = &self.clock {
            mirror.store(now, Ordering::SeqCst);
        }
        Ok(now)
    }

    /// Restarts the clock (when controlled) and empties the server and the user server.
    pub async fn reset(&self, clock_start: i64) -> anyhow::Result<()> {
        match &self.clock {
            ClockControl::InProcess(clock) => clock.set(
                tiauth_faroe::faroe::clock::Timestamp::from_unix_seconds(clock_start),
            ),
            ClockControl::Remote(_) => {
                self.test_clock(json!({ "set": clock_start })).await?;
            }
            ClockControl::Wall => {}
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
        self.request_bytes(method, path, body.into_bytes()).await
    }

    /// Sends a request whose body may be any bytes, valid UTF-8 or not.
    pub async fn request_bytes(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Answer> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let url = format!("{}{path}", self.server_url);
        let response = self
            .send(&url, |client| {
                client
                    .request(method.clone(), &url)
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|error| self.transport_error(&url, error, "the answer's body was cut off"))?;
        Ok(Answer { status, body })
    }

    /// Sends a `/command` to the user server and returns its JSON answer.
    pub async fn command(&self, command: Value) -> anyhow::Result<Value> {
        let url = format!("{}/command", self.backend_url);
        let response = self
            .send(&url, |client| client.post(&url).json(&command))
            .await?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|error| self.transport_error(&url, error, "the answer is not JSON"))?;
        if !status.is_success() {
            bail!("user server /command {command} answered {status}: {body}");
        }
        Ok(body)
    }

    /// Sends the request `build` makes; once more on a fresh connection when a pooled
    /// one was closed before any answer byte arrived.
    async fn send(
        &self,
        url: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        match build(&self.client).send().await {
            Ok(response) => Ok(response),
            Err(error) if closed_before_answer(&error) => {
                self.retries.fetch_add(1, Ordering::SeqCst);
                build(&self.fresh_client).send().await.map_err(|error| {
                    self.transport_error(url, error, "retried once on a fresh connection")
                })
            }
            Err(error) => Err(self.transport_error(url, error, "")),
        }
    }

    fn transport_error(&self, url: &str, error: reqwest::Error, note: &str) -> anyhow::Error {
        let mut message = if error.is_timeout() {
            format!("no answer from {url} within {:?}", self.timeout)
        } else if error.is_connect() {
            format!("cannot connect to {url}")
        } else if closed_before_answer(&error) {
            format!("{url} closed the connection before answering")
        } else {
            format!("request to {url} failed")
        };
        if !note.is_empty() {
            message.push_str(&format!(" ({note})"));
        }
        anyhow::Error::new(error).context(message)
    }
}
