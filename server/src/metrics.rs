//! Prometheus metrics: every metric name in one place, the recorder the admin listener
//! renders, and small helpers for label values.
//!
//! The recorder is installed only when the admin listener is on. Without it the
//! `metrics` macros go to a no-op recorder, and the hooks every action passes skip
//! even building their keys ([`recording`]). Label values are always from a fixed
//! set (action names, error codes, route names, storage operations): never a user
//! id, address or token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const BUILD_INFO: &str = "tiauth_build_info";
pub const ACTIONS: &str = "tiauth_actions_total";
pub const ACTION_DURATION: &str = "tiauth_action_duration_seconds";
pub const HTTP_REQUESTS: &str = "tiauth_http_requests_total";
pub const HTTP_OPEN_CONNECTIONS: &str = "tiauth_http_open_connections";
pub const HTTP_REJECTED_BODIES: &str = "tiauth_http_rejected_bodies_total";
pub const HASHING_IN_FLIGHT: &str = "tiauth_hashing_in_flight";
pub const HASHING_QUEUE_WAIT: &str = "tiauth_hashing_queue_wait_seconds";
pub const HASH_DURATION: &str = "tiauth_hash_duration_seconds";
pub const USER_SERVER_CALLS: &str = "tiauth_user_server_calls_total";
pub const USER_SERVER_CALL_DURATION: &str = "tiauth_user_server_call_duration_seconds";
pub const EMAIL_DELIVERIES: &str = "tiauth_email_deliveries_total";
pub const STORAGE_OPERATIONS: &str = "tiauth_storage_operations_total";
pub const STORAGE_OPERATION_DURATION: &str = "tiauth_storage_operation_duration_seconds";
pub const STORAGE_PURGED_ROWS: &str = "tiauth_storage_purged_rows_total";
pub const BREACHED_PASSWORD_CHECKS: &str = "tiauth_breached_password_checks_total";
pub const BREACHED_PASSWORD_CHECK_DURATION: &str = "tiauth_breached_password_check_seconds";
pub const RATE_LIMIT_REFUSALS: &str = "tiauth_rate_limit_refusals_total";
pub const SESSIONS_CREATED: &str = "tiauth_sessions_created_total";
pub const SESSIONS_DELETED: &str = "tiauth_sessions_deleted_total";

/// The label value of an action name that is not one of the protocol's.
pub const UNKNOWN_ACTION: &str = "unknown";

/// Histogram buckets in seconds: from a cached session check to a slow user server.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, thiserror::Error)]
#[error("cannot install the metrics recorder: {0}")]
pub struct InstallError(String);

/// The process-wide recorder's handle, once installed.
static INSTALLED: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Set once the recorder is installed; it is never removed.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Whether metrics are recorded. The two labelled keys of an action cost about 700
/// instructions to build even for the no-op recorder.
pub fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}

/// Installs the Prometheus recorder (once per process; later calls share it) and
/// returns the handle that renders the exposition.
pub fn install() -> Result<PrometheusHandle, InstallError> {
    let mut installed = INSTALLED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .map_err(|error| InstallError(error.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|error| InstallError(error.to_string()))?;
    describe();
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    *installed = Some(handle.clone());
    RECORDING.store(true, Ordering::Relaxed);
    Ok(handle)
}

/// The `# HELP` line of every metric.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(BUILD_INFO, "The running build (always 1).");
    describe_counter!(ACTIONS, "Action invocations by action and outcome.");
    describe_histogram!(ACTION_DURATION, Unit::Seconds, "Time to run an action.");
    describe_counter!(HTTP_REQUESTS, "Public requests by route and status.");
    describe_gauge!(HTTP_OPEN_CONNECTIONS, "Open connections by listener.");
    describe_counter!(HTTP_REJECTED_BODIES, "Requests whose body was refused.");
    describe_gauge!(HASHING_IN_FLIGHT, "Argon2id hashes running now.");
    describe_histogram!(
        HASHING_QUEUE_WAIT,
        Unit::Seconds,
        "Wait for a hashing slot."
    );
    describe_histogram!(HASH_DURATION, Unit::Seconds, "One hash or verification.");
    describe_counter!(
        USER_SERVER_CALLS,
        "User-server calls by user action and result."
    );
    describe_histogram!(
        USER_SERVER_CALL_DURATION,
        Unit::Seconds,
        "Time of a user-server call."
    );
    describe_counter!(EMAIL_DELIVERIES, "E-mails handed to the user server.");
    describe_counter!(STORAGE_OPERATIONS, "Storage calls by operation and result.");
    describe_histogram!(
        STORAGE_OPERATION_DURATION,
        Unit::Seconds,
        "Time of a storage call."
    );
    describe_counter!(STORAGE_PURGED_ROWS, "Expired entries removed by the purge.");
    describe_counter!(
        BREACHED_PASSWORD_CHECKS,
        "Breached-password lookups by result."
    );
    describe_histogram!(
        BREACHED_PASSWORD_CHECK_DURATION,
        Unit::Seconds,
        "Time of a breached-password lookup."
    );
    describe_counter!(
        RATE_LIMIT_REFUSALS,
        "Attempts refused by a rate limit, by bucket."
    );
    describe_counter!(SESSIONS_CREATED, "Sessions created.");
    describe_counter!(SESSIONS_DELETED, "Sessions deleted.");
}

/// Seconds since `start`, for a histogram.
pub fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// An HTTP status as a label value; the rare ones share `other`.
pub fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        204 => "204",
        400 => "400",
        404 => "404",
        408 => "408",
        413 => "413",
        500 => "500",
        501 => "501",
        503 => "503",
        _ => "other",
    }
}

/// Keeps a gauge raised while alive.
pub struct GaugeGuard(metrics::Gauge);

impl GaugeGuard {
    pub fn raise(gauge: metrics::Gauge) -> Self {
        gauge.increment(1.0);
        GaugeGuard(gauge)
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
