//! A storage decorator that records every operation's kind, result and duration, the
//! rows the purge removed, and sessions created and deleted (by their key prefix).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{Entry, Storage, StorageError};
use crate::faroe::clock::Timestamp;
use crate::faroe::records::{SessionRecord, TokenRecord as _};
use crate::metrics::{
    seconds_since, SESSIONS_CREATED, SESSIONS_DELETED, STORAGE_OPERATIONS,
    STORAGE_OPERATION_DURATION, STORAGE_PURGED_ROWS,
};

/// The key prefix of session records.
const SESSION_PREFIX: &str = SessionRecord::PREFIX;

/// Wraps an engine; every call goes through to it unchanged.
pub struct MeteredStorage {
    inner: Arc<dyn Storage>,
}

impl MeteredStorage {
    pub fn new(inner: Arc<dyn Storage>) -> Self {
        MeteredStorage { inner }
    }
}

fn result_label<T>(result: &Result<T, StorageError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(StorageError::NotFound) => "not_found",
        Err(StorageError::AlreadyExists) => "already_exists",
        Err(StorageError::Conflict) => "conflict",
        Err(StorageError::Failure(_)) => "failure",
    }
}

fn record<T>(operation: &'static str, start: Instant, result: &Result<T, StorageError>) {
    metrics::counter!(STORAGE_OPERATIONS, "operation" => operation, "result" => result_label(result))
        .increment(1);
    metrics::histogram!(STORAGE_OPERATION_DURATION, "operation" => operation)
        .record(seconds_since(start));
}

fn count_session_deleted(key: &str, result: &Result<(), StorageError>) {
    if result.is_ok() && key.starts_with(SESSION_PREFIX) {
        metrics::counter!(SESSIONS_DELETED).increment(1);
    }
}

#[async_trait]
impl Storage for MeteredStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        let start = Instant::now();
        let result = self.inner.get(key).await;
        record("get", start, &result);
        result
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.add(key, value, expires_at).await;
        record("add", start, &result);
        if result.is_ok() && key.starts_with(SESSION_PREFIX) {
            metrics::counter!(SESSIONS_CREATED).increment(1);
        }
        result
    }

    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.update(key, value, expires_at, counter).await;
        record("update", start, &result);
        result
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.delete(key).await;
        record("delete", start, &result);
        count_session_deleted(key, &result);
        result
    }

    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.delete_if_counter(key, counter).await;
        record("delete_if_counter", start, &result);
        count_session_deleted(key, &result);
        result
    }

    async fn clear(&self) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.clear().await;
        record("clear", start, &result);
        result
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError> {
        let start = Instant::now();
        let result = self.inner.purge_expired(now).await;
        record("purge_expired", start, &result);
        if let Ok(rows) = result {
            metrics::counter!(STORAGE_PURGED_ROWS).increment(rows);
        }
        result
    }

    fn expires_by_itself(&self) -> bool {
        self.inner.expires_by_itself()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;

    #[tokio::test]
    async fn every_call_reaches_the_engine_unchanged() {
        let storage = MeteredStorage::new(Arc::new(MemoryStorage::default()));
        let at = Timestamp::from_unix_seconds(1);
        storage.add("k", b"v", at).await.expect("added");
        assert_eq!(
            storage.add("k", b"v", at).await,
            Err(StorageError::AlreadyExists)
        );
        assert_eq!(storage.get("k").await.expect("found").value, b"v");
        storage.update("k", b"w", at, 0).await.expect("updated");
        assert_eq!(
            storage.update("k", b"x", at, 0).await,
            Err(StorageError::Conflict)
        );
        storage.delete("k").await.expect("deleted");
        assert_eq!(storage.get("k").await, Err(StorageError::NotFound));
    }
}
