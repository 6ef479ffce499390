//! Tiauth Faroe: an e-mail and password auth server speaking the Faroe action protocol.
//!
//! `faroe` is the protocol itself, free of HTTP and SQL; `storage` holds the key-value
//! engines it keeps its state in. Around them: `config` (flags, environment, env file),
//! `backend` (the user-server client), `pwned` (the breached-password check), `http` (the
//! public routes), `shell` (interactive mode), `logging` (log output of the binaries) and
//! `app`, which assembles and runs the server.

pub mod app;
pub mod backend;
pub mod config;
pub mod faroe;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod logging;
pub mod pwned;
pub mod shell;
pub mod storage;
