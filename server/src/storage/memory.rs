//! An in-memory engine: for tests, and for running without a database file.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Entry, Storage, StorageError};
use crate::faroe::clock::Timestamp;

type Entries = HashMap<String, (Entry, Timestamp)>;

#[derive(Debug, Default)]
pub struct MemoryStorage {
    entries: Mutex<Entries>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored key, in no particular order.
    pub fn keys(&self) -> Vec<String> {
        self.lock()
            .map(|entries| entries.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Entries>, StorageError> {
        self.entries
            .lock()
            .map_err(|_| StorageError::Failure("memory storage lock poisoned".into()))
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        self.lock()?
            .get(key)
            .map(|(entry, _)| entry.clone())
            .ok_or(StorageError::NotFound)
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        let mut entries = self.lock()?;
        if entries.contains_key(key) {
            return Err(StorageError::AlreadyExists);
        }
        let entry = Entry {
            value: value.to_vec(),
            counter: 0,
        };
        entries.insert(key.to_owned(), (entry, expires_at));
        Ok(())
    }

    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError> {
        let mut entries = self.lock()?;
        match entries.get_mut(key) {
            Some((entry, expiry)) if entry.counter == counter => {
                entry.value = value.to_vec();
                entry.counter += 1;
                *expiry = expires_at;
                Ok(())
            }
            Some(_) => Err(StorageError::Conflict),
            None => Err(StorageError::NotFound),
        }
    }

    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        let mut entries = self.lock()?;
        match entries.get(key) {
            Some((entry, _)) if entry.counter == counter => {
                entries.remove(key);
                Ok(())
            }
            _ => Err(StorageError::NotFound),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.lock()?.remove(key) {
            Some(_) => Ok(()),
            None => Err(StorageError::NotFound),
        }
    }

    async fn clear(&self) -> Result<(), StorageError> {
        self.lock()?.clear();
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError> {
        let mut entries = self.lock()?;
        let before = entries.len();
        entries.retain(|_, (_, expires_at)| *expires_at >= now);
        Ok((before - entries.len()) as u64)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::MemoryStorage;

    crate::storage_contract_tests!(|_namespace, _clock| async {
        Some(crate::storage::contract::Subject::new(Arc::new(
            MemoryStorage::new(),
        )))
    });
}
