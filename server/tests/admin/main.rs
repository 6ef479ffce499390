//! Integration tests of the admin listener: metrics scraped and parsed as Prometheus
//! text, liveness and readiness, the public port's refusal of both, and JSON logs.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod logs;
mod metrics;
mod readiness;
mod support;
