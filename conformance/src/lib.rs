//! Fixture-driven conformance harness for Faroe action servers.
//!
//! `fixtures/` holds flows as data; [`runner::replay`] plays one case against a
//! [`target::Target`] (our server in-process, or any server by URL) and returns a
//! redacted transcript for snapshotting and the error codes it saw.

pub mod coverage;
pub mod fixture;
pub mod in_process;
pub mod redact;
pub mod runner;
pub mod target;
