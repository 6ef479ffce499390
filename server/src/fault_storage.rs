//! A storage engine for tests: the in-memory engine with switchable faults on every
//! operation (`clear` and `purge_expired` included), call counts, and a gate that
//! holds reads so concurrent read-then-write cycles truly interleave.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::Barrier;

use crate::faroe::clock::Timestamp;
use crate::storage::{Entry, MemoryStorage, Storage, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageOp {
    Get,
    Add,
    Update,
    Delete,
    Clear,
    Purge,
}

struct Fault {
    op: StorageOp,
    key_prefix: String,
    /// Matching calls let through before the fault starts.
    skip: usize,
    error: StorageError,
}

/// Memory storage with switchable faults, to force failures and lost races.
#[derive(Default)]
pub struct FaultyStorage {
    inner: MemoryStorage,
    faults: Mutex<Vec<Fault>>,
    calls: Mutex<HashMap<StorageOp, usize>>,
    read_gate: Mutex<Option<Arc<Barrier>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FaultyStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on, `op` on keys starting with `key_prefix` answers `error`, after
    /// letting `skip` matching calls through. `clear` and `purge_expired` have no key:
    /// give them the prefix `""`.
    pub fn fail(&self, op: StorageOp, key_prefix: &str, skip: usize, error: StorageError) {
        lock(&self.faults).push(Fault {
            op,
            key_prefix: key_prefix.to_owned(),
            skip,
            error,
        });
    }

    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// From now on every `get` waits at `barrier` after it has read, so the callers
    /// that pass it together all write based on the same read.
    pub fn hold_reads_at(&self, barrier: Arc<Barrier>) {
        *lock(&self.read_gate) = Some(barrier);
    }

    pub fn release_reads(&self) {
        *lock(&self.read_gate) = None;
    }

    /// How many times `op` was called, failed calls included.
    pub fn calls(&self, op: StorageOp) -> usize {
        lock(&self.calls).get(&op).copied().unwrap_or(0)
    }

    /// Keys currently stored with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.inner
            .keys()
            .iter()
            .filter(|k| k.starts_with(prefix))
            .count()
    }

    pub fn keys(&self) -> Vec<String> {
        self.inner.keys()
    }

    fn enter(&self, op: StorageOp, key: &str) -> Result<(), StorageError> {
        *lock(&self.calls).entry(op).or_default() += 1;
        let mut faults = lock(&self.faults);
        for fault in faults.iter_mut() {
            if fault.op == op && key.starts_with(&fault.key_prefix) {
                if fault.skip > 0 {
                    fault.skip -= 1;
                    continue;
                }
                return Err(fault.error.clone());
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Storage for FaultyStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        self.enter(StorageOp::Get, key)?;
        let entry = self.inner.get(key).await;
        let gate = lock(&self.read_gate).clone();
        if let Some(barrier) = gate {
            barrier.wait().await;
        }
        entry
    }
    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        self.enter(StorageOp::Add, key)?;
        self.inner.add(key, value, expires_at).await
    }
    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError> {
        self.enter(StorageOp::Update, key)?;
        self.inner.update(key, value, expires_at, counter).await
    }
    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.enter(StorageOp::Delete, key)?;
        self.inner.delete(key).await
    }
    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        self.enter(StorageOp::Delete, key)?;
        self.inner.delete_if_counter(key, counter).await
    }
    async fn clear(&self) -> Result<(), StorageError> {
        self.enter(StorageOp::Clear, "")?;
        self.inner.clear().await
    }
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError> {
        self.enter(StorageOp::Purge, "")?;
        self.inner.purge_expired(now).await
    }
}
