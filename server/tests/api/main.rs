//! Integration tests of the `tiauth` server: the real app on port 0 with wiremock as the
//! user server, and the `tiauth` binary run as a process.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod client_limits;
mod helpers;
mod hostile_clients;
mod http_surface;
mod instances;
mod launcher;
mod limits;
mod process;
mod pwned;
mod upstream;
mod user_server;
