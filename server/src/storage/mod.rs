//! The key-value storage the protocol keeps its ephemeral state in, and its engines.
//!
//! Semantics follow the Faroe storage contract: `add` fails when the key exists,
//! `update` succeeds only when the stored counter equals the expected one (and then
//! increments it), `delete` reports a missing key. The expiry time is a hint for
//! purging; reads never check it, the protocol does.

mod memory;
mod purge;
mod sqlite;

pub use memory::MemoryStorage;
pub use purge::spawn_purge_task;
pub use sqlite::SqliteStorage;

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
    /// The key is absent (or, for `update`, its counter differs).
    #[error("entry not found")]
    NotFound,
    /// `add` found the key already present.
    #[error("entry already exists")]
    AlreadyExists,
    /// The engine failed; the message says how.
    #[error("storage failure: {0}")]
    Failure(String),
}

#[async_trait]
pub trait Storage: Send + Sync {
    async fn get(&self, key: &str) -> Result<Entry, StorageError>;
    async fn add(&self, key: &str, value: &[u8], expires_at: Timestamp)
        -> Result<(), StorageError>;
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
    /// Removes every entry (`/reset` and the shell's `reset`).
    async fn clear(&self) -> Result<(), StorageError>;
    /// Removes entries whose expiry hint is before `now`; returns how many.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError>;
}

#[cfg(test)]
pub(crate) mod contract;
