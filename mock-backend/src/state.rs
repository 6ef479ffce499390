//! Everything a running backend holds: the user table, the journal and the faults.

use std::path::Path;

use serde_json::Value;

use crate::faults::{Fault, FaultTable, FaultTarget};
use crate::journal::{Journal, UserActionCall};
use crate::store::{StoreError, User, UserStore};

/// The shared state behind the routes. Cloning shares it.
#[derive(Debug, Clone)]
pub struct MockState {
    store: UserStore,
    journal: Journal,
    faults: FaultTable,
}

impl MockState {
    /// State with an in-memory user table.
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::with_store(UserStore::open_in_memory()?))
    }

    /// State with the user table in the SQLite file at `path`.
    pub fn with_database_file(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::with_store(UserStore::open(path)?))
    }

    pub fn with_store(store: UserStore) -> Self {
        Self {
            store,
            journal: Journal::default(),
            faults: FaultTable::default(),
        }
    }

    pub fn store(&self) -> &UserStore {
        &self.store
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn faults(&self) -> &FaultTable {
        &self.faults
    }

    /// Every `/email` body received, in arrival order.
    pub fn emails(&self) -> Vec<Value> {
        self.journal.emails()
    }

    /// Every `/invoke` call received, in arrival order.
    pub fn calls(&self) -> Vec<UserActionCall> {
        self.journal.calls()
    }

    /// Removes and returns the code last e-mailed with this type to this address.
    pub fn take_token(&self, kind: &str, email: &str) -> Option<String> {
        self.journal.take_token(kind, email)
    }

    /// Makes every later call of `target` misbehave as `fault` until cleared.
    pub fn set_fault(&self, target: FaultTarget, fault: Fault) {
        self.faults.set(target, fault);
    }

    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// Every user, oldest first.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.store.users().await
    }

    /// Sets `disabled` and/or `display_name` of a user; [`StoreError::UserNotFound`] if there
    /// is no such user.
    pub async fn update_user(
        &self,
        user_id: &str,
        disabled: Option<bool>,
        display_name: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store
            .update_user(
                user_id.to_owned(),
                disabled,
                display_name.map(str::to_owned),
            )
            .await
    }

    /// Clears users, stored codes, the journal and faults. The id numbering goes on, so no id
    /// is ever handed out twice.
    pub async fn clear(&self) -> Result<(), StoreError> {
        self.faults.clear();
        self.journal.clear();
        self.store.delete_all_users().await
    }
}
