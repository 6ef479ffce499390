//! Tiauth Faroe: an e-mail and password auth server speaking the Faroe action protocol.
//!
//! `faroe` is the protocol itself, free of HTTP and SQL; `storage` holds the key-value
//! engines it keeps its state in. Around them: `config` (flags, environment, env file),
//! `backend` (the user-server client), `command_listener` (the private management port),
//! `pwned` (the breached-password check), `http` (the public routes), `shell` (interactive
//! mode), `logging` (log output of the binaries), `test_clock` (the settable clock of
//! conformance runs), `upstream_import` (moving an upstream database in), `admin` (the
//! admin listener's metrics and health routes), `metrics` (metric names and the
//! recorder), `user_server_metrics` (metering decorators of the user-server client) and
//! `app`, which assembles and runs the server. `fault_storage` is a storage engine with switchable
//! faults for tests.

pub mod admin;
pub mod app;
pub mod backend;
pub mod client_address;
pub mod command_listener;
pub mod config;
pub mod faroe;
pub mod fault_storage;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod pwned;
pub mod shell;
pub mod storage;
pub mod test_clock;
pub mod upstream_import;
pub mod user_server_metrics;
