//! Fixture-driven conformance harness for Faroe action servers.
//!
//! `fixtures/` holds flows as data; [`runner::replay`] plays one case against a
//! [`target::Target`] (our server in-process, or any server by URL) and returns a
//! redacted transcript for snapshotting and the error codes it saw. [`suite::run`]
//! replays them all under a profile and compares each transcript with its reviewed
//! snapshot, for the `faroe-conformance` binary and its [`report::Report`].

pub mod coverage;
pub mod fixture;
pub mod in_process;
pub mod redact;
pub mod report;
pub mod runner;
pub mod snapshot;
pub mod suite;
pub mod target;
