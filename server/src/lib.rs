//! Tiauth Faroe: an e-mail and password auth server speaking the Faroe action protocol.
//!
//! `faroe` is the protocol itself, free of HTTP and SQL; `storage` holds the key-value
//! engines it keeps its state in.

pub mod faroe;
pub mod pwned;
pub mod storage;
