//! The admin listener's routes, never served on the public port:
//!
//! | Request | Answer |
//! |---|---|
//! | `GET /metrics` | 200, Prometheus text exposition |
//! | `GET /health/live` | 200 `{"status":"live"}` while the process serves |
//! | `GET /health/ready` | 200 `{"status":"ready"}`, or 503 `{"status":"not_ready","failed":[…]}` naming `storage` and/or `user_server` |
//! | anything else | 404, empty |
//!
//! Readiness reads one key that never exists (no write, no hash, no user action) and
//! opens a TCP connection to the user server, each within [`READY_CHECK_TIMEOUT`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpStream;

use crate::storage::{Storage, StorageError};

/// How long each readiness check may take.
pub const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// The key the storage probe reads; no record has this prefix, so it is never found.
const PROBE_KEY: &str = "tiauth.readiness_probe";

/// The connection cap of the admin listener: a few scrapers and probes at most.
pub const ADMIN_MAX_CONNECTIONS: usize = 16;

/// What the admin routes need.
#[derive(Clone)]
pub struct AdminState {
    pub metrics: PrometheusHandle,
    pub storage: Arc<dyn Storage>,
    /// `host:port` of the user server.
    pub user_server: String,
}

pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn metrics(State(state): State<AdminState>) -> Response {
    // Histograms and idle series are maintained on scrape; no task runs for it.
    state.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn live() -> Response {
    json(StatusCode::OK, r#"{"status":"live"}"#.to_owned())
}

async fn ready(State(state): State<AdminState>) -> Response {
    let (storage, user_server) = tokio::join!(
        storage_answers(state.storage.as_ref()),
        user_server_accepts(&state.user_server)
    );
    let failed: Vec<&str> = [(storage, "storage"), (user_server, "user_server")]
        .into_iter()
        .filter(|(passed, _)| !passed)
        .map(|(_, name)| name)
        .collect();
    if failed.is_empty() {
        return json(StatusCode::OK, r#"{"status":"ready"}"#.to_owned());
    }
    tracing::warn!(failed = ?failed, "readiness check failed");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        serde_json::json!({ "status": "not_ready", "failed": failed }).to_string(),
    )
}

/// A read of a key that does not exist: found or not, the engine answered.
async fn storage_answers(storage: &dyn Storage) -> bool {
    match tokio::time::timeout(READY_CHECK_TIMEOUT, storage.get(PROBE_KEY)).await {
        Ok(Ok(_) | Err(StorageError::NotFound)) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, "readiness: the storage probe failed");
            false
        }
        Err(_) => false,
    }
}

/// The user server accepts a TCP connection (closed again at once).
async fn user_server_accepts(address: &str) -> bool {
    matches!(
        tokio::time::timeout(READY_CHECK_TIMEOUT, TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}
