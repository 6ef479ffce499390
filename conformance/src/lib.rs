//! Fixture-driven conformance harness for Faroe action servers.
