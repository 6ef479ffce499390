//! Opening the engine a configuration names.

use std::sync::Arc;
use std::time::Duration;

use super::{PostgresStorage, RedisStorage, SqliteStorage, Storage, StorageError, StorageUrl};
use crate::faroe::clock::Clock;

/// Where the auth state lives and how the engine is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSettings {
    pub url: StorageUrl,
    /// PostgreSQL schema or Redis key prefix; several deployments can share a server.
    pub namespace: String,
    /// Connections per instance to PostgreSQL (Redis multiplexes one connection).
    pub pool_size: usize,
    /// The longest a storage call may take before it fails.
    pub timeout: Duration,
}

pub const DEFAULT_NAMESPACE: &str = "tiauth";
pub const DEFAULT_POOL_SIZE: usize = 1;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

impl StorageSettings {
    /// Settings with the defaults for everything but the URL.
    pub fn new(url: StorageUrl) -> StorageSettings {
        StorageSettings {
            url,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A namespace is 1 to 48 ASCII letters, digits and underscores: safe as a PostgreSQL
/// identifier and as a Redis key prefix that no other namespace's keys start with.
pub fn check_namespace(namespace: &str) -> Result<(), String> {
    if (1..=48).contains(&namespace.len())
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Ok(())
    } else {
        Err("expected 1 to 48 ASCII letters, digits or underscores".to_owned())
    }
}

/// Opens the engine `settings` names; network engines connect and, for PostgreSQL,
/// create or check the schema. `clock` is the protocol's clock, from which engines
/// with native expiry count time-to-live.
pub async fn open(
    settings: &StorageSettings,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(match &settings.url {
        StorageUrl::Sqlite(path) => {
            let path = path.clone();
            let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(path))
                .await
                .map_err(|e| StorageError::failure("opening SQLite failed", e))??;
            Arc::new(storage)
        }
        StorageUrl::Postgres(_) => Arc::new(PostgresStorage::open(settings).await?),
        StorageUrl::Redis(_) => Arc::new(RedisStorage::open(settings, clock).await?),
    })
}
