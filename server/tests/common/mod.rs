//! Helpers shared by the integration test targets; each target uses some of them.
#![allow(dead_code)]

pub mod running;
