//! A `tiauth` process with the admin listener on, the mock user server on
//! 127.0.0.2, and a scraper that parses the exposition with a Prometheus parser.

use std::path::Path;

use mock_backend::{MockBackend, RunningMockBackend};
use prometheus_parse::{Scrape, Value};
use serde_json::{json, Value as Json};

use crate::common::running::{tiauth, Running};

pub async fn user_server() -> RunningMockBackend {
    MockBackend::start("127.0.0.2:0".parse().expect("address"))
        .await
        .expect("mock user server on 127.0.0.2")
}

/// A started server and its two addresses.
pub struct Server {
    pub process: Running,
    pub public: String,
    pub admin: String,
}

/// Starts `tiauth` on loopback with the admin listener on a free port and `env` set.
pub fn start(dir: &Path, user_server_port: u16, env: &[(&str, &str)]) -> Server {
    let mut command = tiauth(dir);
    command
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--admin-addr",
            "127.0.0.1:0",
            "--private-host",
            "127.0.0.2",
            "--user-server-port",
            &user_server_port.to_string(),
        ])
        .env("FAROE_PWNED_PASSWORDS", "off")
        .env("FAROE_HASHING_CONCURRENCY", "2");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut process = Running::start(&mut command);
    let public = process.address();
    let admin_line = process.wait_for("admin listener on http://");
    let start = admin_line.find("http://").expect("url") + "http://".len();
    let admin = admin_line[start..]
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .expect("address")
        .to_owned();
    Server {
        process,
        public,
        admin,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Status and body of `GET http://{address}{path}`.
pub async fn get(address: &str, path: &str) -> (u16, String) {
    let response = client()
        .get(format!("http://{address}{path}"))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Invokes an action on the public port and returns its answer.
pub async fn invoke(public: &str, action: &str, arguments: Json) -> Json {
    let response = client()
        .post(format!("http://{public}/"))
        .json(&json!({ "action": action, "arguments": arguments }))
        .send()
        .await
        .expect("action request");
    assert_eq!(response.status(), 200, "{action}");
    response.json().await.expect("action answer")
}

/// The exposition of `GET /metrics`, parsed.
pub async fn scrape(admin: &str) -> Scrape {
    let (status, body) = get(admin, "/metrics").await;
    assert_eq!(status, 200, "{body}");
    Scrape::parse(body.lines().map(|line| Ok(line.to_owned()))).expect("Prometheus text")
}

/// The value of the series `name` with `labels` (0 when absent: a counter not yet
/// moved is not exposed). Histograms answer their observation count.
pub fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(label, wanted)| sample.labels.get(label) == Some(*wanted))
        })
        .map(|sample| match &sample.value {
            Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => *value,
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|bucket| bucket.less_than.is_infinite())
                .map_or(0.0, |bucket| bucket.count),
            Value::Summary(_) => panic!("{name} is a summary"),
        })
        .sum()
}

/// How many series the exposition holds.
pub fn series(scrape: &Scrape) -> usize {
    scrape.samples.len()
}
