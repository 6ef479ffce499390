//! The public HTTP surface.
//!
//! | Request | Answer |
//! |---|---|
//! | `OPTIONS` on any path | 204, empty |
//! | `POST /` | 200 with the action's JSON, or 400 empty for a rejected envelope; 413 past the body limit; 503 with `Retry-After` for a password action past the hashing queue |
//! | `GET /alive` | 200 `{"status":"alive"}` |
//! | `POST /reset` (only with `--enable-reset`) | 200 empty after clearing all storage; 500 if that fails |
//! | anything else | 404, empty |
//!
//! With an origin configured, every answer carries the same three CORS headers.
//! `routes` holds the above; `listener` serves connections within their limits;
//! `access` counts and logs every request (when metrics or the access log are on).

mod access;
mod connection_timer;
mod hashing_queue;
mod listener;
mod log_every;
mod open_files;
mod routes;

pub use access::ACCESS_LOG_TARGET;
pub use hashing_queue::{HashingQueue, PASSWORD_ACTIONS};
pub use listener::{serve, ListenerLimits};
pub use open_files::{max_connections_for, raise_open_files_limit, RESERVED_FILES};
pub use routes::{router, HttpState, BODY_LIMIT_BYTES, RETRY_AFTER_SECONDS};
