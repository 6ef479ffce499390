//! Integration tests: each test starts its own backend on 127.0.0.1 port 0 and talks HTTP to it.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

mod binary;
mod commands;
mod concurrency;
mod email;
mod faults;
mod helpers;
mod library;
mod routes;
mod user_actions;
