//! The key-value storage the protocol keeps its ephemeral state in, and its engines.
//!
//! Semantics follow the Faroe storage contract: `add` fails when the key exists,
//! `update` succeeds only when the stored counter equals the expected one (and then
//! increments it), `delete` reports a missing key. The expiry time is a hint: an
//! entry whose hint has passed (by the injected clock) may vanish at any time and is
//! gone after `purge_expired`; reads never check it, the protocol does. Engines with
//! native expiry (Redis) turn the hint into a time-to-live counted from the injected
//! clock's now, so a test clock in the past never makes them drop fresh entries.

mod memory;
mod metered;
pub mod open;
mod postgres;
mod postgres_tls;
mod purge;
mod redis;
mod sqlite;
mod url;

#[cfg(any(test, feature = "test-util"))]
pub mod contract;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

use std::sync::Arc;

pub use memory::MemoryStorage;
pub use metered::MeteredStorage;
pub use open::{open, StorageSettings};
pub use postgres::PostgresStorage;
pub use purge::spawn_purge_task;
pub use redis::RedisStorage;
pub use sqlite::{holds_upstream_table, SqliteStorage};
pub use url::{mask_password, StorageUrl, StorageUrlError};

use async_trait::async_trait;

use crate::faroe::clock::Timestamp;

/// A stored value with the counter that guards updates to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: Vec<u8>,
    pub counter: i64,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StorageError {
    /// The key is absent.
    #[error("entry not found")]
    NotFound,
    /// `add` found the key already present.
    #[error("entry already exists")]
    AlreadyExists,
    /// `update` found the key with another counter: someone else changed it first
    /// (a lost compare-and-swap).
    #[error("entry changed concurrently")]
    Conflict,
    /// The engine failed (unreachable, timed out, refused the query).
    #[error("storage failure: {0}")]
    Failure(#[source] Failure),
}

/// What failed, and the engine's own error as the source when there is one.
#[derive(Debug, Clone)]
pub struct Failure {
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Failure {
    /// `message` says what was being done; `source` is the engine's error.
    pub fn new(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Failure {
        Failure {
            message: message.into(),
            source: Some(Arc::new(source)),
        }
    }
}

impl StorageError {
    /// A failure with the engine's error as its source.
    pub fn failure(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> StorageError {
        StorageError::Failure(Failure::new(message, source))
    }
}

impl std::fmt::Display for Failure {
    // The engine's text is part of the message too: most callers log only `Display`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Failures compare by what they say (engine errors rarely implement `PartialEq`).
impl PartialEq for Failure {
    fn eq(&self, other: &Failure) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Failure {}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure {
            message: message.to_owned(),
            source: None,
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            message,
            source: None,
        }
    }
}

#[async_trait]
pub trait Storage: Send + Sync {
    async fn get(&self, key: &str) -> Result<Entry, StorageError>;
    /// `AlreadyExists` when the key is present.
    async fn add(&self, key: &str, value: &[u8], expires_at: Timestamp)
        -> Result<(), StorageError>;
    /// `NotFound` when the key is absent, `Conflict` when its counter is not `counter`.
    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError>;
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// Deletes the entry only while its counter is still `counter`: the one caller
    /// that read it at that counter takes it, every other finds it `NotFound`.
    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError>;
    /// Removes every entry of this deployment (its namespace on a shared engine), for
    /// `/reset` and the shell's `reset`.
    async fn clear(&self) -> Result<(), StorageError>;
    /// Removes entries whose expiry hint is before `now`; returns how many. Engines
    /// that expire entries by themselves do nothing and return 0.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError>;
    /// True for engines that drop expired entries themselves; no purge task runs for
    /// them.
    fn expires_by_itself(&self) -> bool {
        false
    }
}
