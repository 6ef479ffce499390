//! The PostgreSQL engine: one `key_value` table in a schema named after the namespace.
//!
//! Every operation is one statement, so one round trip; the compare-and-swap is a
//! conditional `UPDATE … WHERE counter = $n` whose statement also says whether the key
//! existed, so a lost race stays distinct from an absent key. Connections come from a
//! deadpool pool; each call is bounded by the storage timeout, and a connection that
//! timed out is dropped rather than reused, so a hung link cannot poison the pool.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio::time::{timeout_at, Instant};
use tokio_postgres::NoTls;

use super::{Entry, Storage, StorageError, StorageSettings, StorageUrl};
use crate::faroe::clock::Timestamp;

/// The schema version this build writes; a database marked newer is refused.
const SCHEMA_VERSION: i32 = 1;

/// Queries with the schema name filled in.
#[derive(Debug)]
struct Sql {
    get: String,
    add: String,
    update: String,
    delete: String,
    delete_if_counter: String,
    clear: String,
    purge: String,
}

impl Sql {
    fn new(schema: &str) -> Sql {
        let table = format!("{schema}.key_value");
        Sql {
            get: format!("SELECT value, counter FROM {table} WHERE key = $1"),
            add: format!(
                "INSERT INTO {table} (key, value, counter, expiration) VALUES ($1, $2, 0, $3) \
                 ON CONFLICT (key) DO NOTHING"
            ),
            // The EXISTS sees the row as it was before the UPDATE (same snapshot), so
            // "no row changed" splits into absent and lost race in the same round trip.
            update: format!(
                "WITH changed AS (UPDATE {table} SET value = $2, counter = counter + 1, \
                 expiration = $3 WHERE key = $1 AND counter = $4 RETURNING 1) \
                 SELECT EXISTS (SELECT 1 FROM changed), \
                 EXISTS (SELECT 1 FROM {table} WHERE key = $1)"
            ),
            delete: format!("DELETE FROM {table} WHERE key = $1"),
            delete_if_counter: format!("DELETE FROM {table} WHERE key = $1 AND counter = $2"),
            clear: format!("DELETE FROM {table}"),
            purge: format!("DELETE FROM {table} WHERE expiration < $1"),
        }
    }
}

/// Creates the schema at version 1 unless present. Runs under an advisory lock, so
/// instances starting together do not race each other's `CREATE`. A later version
/// adds its migration steps here, from the stored version up.
fn schema_script(schema: &str, namespace: &str) -> String {
    format!(
        "BEGIN;
         SELECT pg_advisory_xact_lock(hashtext('tiauth schema'), hashtext('{namespace}'));
         CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.schema_version (version INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS {schema}.key_value (
             key TEXT COLLATE \"C\" PRIMARY KEY,
             counter BIGINT NOT NULL,
             expiration BIGINT NOT NULL,
             value BYTEA NOT NULL
         );
         CREATE INDEX IF NOT EXISTS key_value_expiration ON {schema}.key_value (expiration);
         INSERT INTO {schema}.schema_version (version)
             SELECT {SCHEMA_VERSION} WHERE NOT EXISTS (SELECT 1 FROM {schema}.schema_version);
         COMMIT;"
    )
}

/// Key-value storage in PostgreSQL.
pub struct PostgresStorage {
    pool: Pool,
    sql: Sql,
    schema: String,
    timeout: Duration,
    /// The URL with its password masked, for messages.
    describe: String,
}

/// A call that took longer than the storage timeout.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {0:?}")]
pub struct TimedOut(pub Duration);

impl PostgresStorage {
    /// Connects, then creates or checks the schema of `settings.namespace`.
    pub async fn open(settings: &StorageSettings) -> Result<PostgresStorage, StorageError> {
        let StorageUrl::Postgres(url) = &settings.url else {
            return Err(StorageError::Failure("not a PostgreSQL URL".into()));
        };
        let describe = format!("PostgreSQL at {}", settings.url);
        let mut pg_config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StorageError::failure(format!("invalid URL for {describe}"), e))?;
        pg_config.connect_timeout(settings.timeout);
        if pg_config.get_application_name().is_none() {
            pg_config.application_name("tiauth");
        }
        let manager = Manager::from_config(
            pg_config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.timeout))
            .create_timeout(Some(settings.timeout))
            .recycle_timeout(Some(settings.timeout))
            .build()
            .map_err(|e| StorageError::failure(format!("cannot set up {describe}"), e))?;
        let schema = format!("\"{}\"", settings.namespace);
        let storage = PostgresStorage {
            pool,
            sql: Sql::new(&schema),
            schema,
            timeout: settings.timeout,
            describe,
        };
        storage.create_schema(&settings.namespace).await?;
        Ok(storage)
    }

    async fn create_schema(&self, namespace: &str) -> Result<(), StorageError> {
        let script = schema_script(&self.schema, namespace);
        let version_query = format!("SELECT max(version) FROM {}.schema_version", self.schema);
        let (client, deadline) = self.client().await?;
        // A failure inside the script leaves the transaction open: drop the connection.
        let result = timeout_at(deadline, async {
            client.batch_execute(&script).await?;
            client.query_one(&version_query, &[]).await
        })
        .await;
        let client = Object::take(client);
        drop(client);
        let row = self.settle_detached(result, "creating the schema")?;
        let version: Option<i32> = row.get(0);
        match version {
            Some(SCHEMA_VERSION) => Ok(()),
            other => Err(StorageError::Failure(
                format!(
                    "{}: schema {} is at version {other:?}, this tiauth knows version \
                     {SCHEMA_VERSION}; use a newer tiauth or another namespace",
                    self.describe, self.schema
                )
                .into(),
            )),
        }
    }

    /// Removes the namespace's schema and everything in it (tests, decommissioning).
    pub async fn drop_namespace(&self) -> Result<(), StorageError> {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, client.batch_execute(&sql)).await;
        self.settle(client, result, "dropping the schema")
    }

    /// A pooled connection and the deadline of the call that takes it.
    async fn client(&self) -> Result<(Object, Instant), StorageError> {
        let deadline = Instant::now() + self.timeout;
        match timeout_at(deadline, self.pool.get()).await {
            Ok(Ok(client)) => Ok((client, deadline)),
            Ok(Err(e)) => Err(StorageError::failure(
                format!("cannot connect to {}", self.describe),
                e,
            )),
            Err(_) => Err(StorageError::failure(
                format!("cannot connect to {}", self.describe),
                TimedOut(self.timeout),
            )),
        }
    }

    /// The outcome of a call; a connection that timed out leaves the pool.
    fn settle<T>(
        &self,
        client: Object,
        result: Result<Result<T, tokio_postgres::Error>, tokio::time::error::Elapsed>,
        doing: &str,
    ) -> Result<T, StorageError> {
        if result.is_err() {
            drop(Object::take(client));
        }
        self.settle_detached(result, doing)
    }

    fn settle_detached<T>(
        &self,
        result: Result<Result<T, tokio_postgres::Error>, tokio::time::error::Elapsed>,
        doing: &str,
    ) -> Result<T, StorageError> {
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StorageError::failure(
                format!("{doing} failed on {}", self.describe),
                e,
            )),
            Err(_) => Err(StorageError::failure(
                format!("{doing} failed on {}", self.describe),
                TimedOut(self.timeout),
            )),
        }
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(&self.sql.get).await?;
            client.query_opt(&statement, &[&key]).await
        })
        .await;
        let row = self.settle(client, result, "get")?;
        let row = row.ok_or(StorageError::NotFound)?;
        Ok(Entry {
            value: row.get(0),
            counter: row.get(1),
        })
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        let expiration = expires_at.unix_seconds();
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(&self.sql.add).await?;
            client
                .execute(&statement, &[&key, &value, &expiration])
                .await
        })
        .await;
        match self.settle(client, result, "add")? {
            0 => Err(StorageError::AlreadyExists),
            _ => Ok(()),
        }
    }

    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError> {
        let expiration = expires_at.unix_seconds();
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(&self.sql.update).await?;
            client
                .query_one(&statement, &[&key, &value, &expiration, &counter])
                .await
        })
        .await;
        let row = self.settle(client, result, "update")?;
        match (row.get::<_, bool>(0), row.get::<_, bool>(1)) {
            (true, _) => Ok(()),
            (false, true) => Err(StorageError::Conflict),
            (false, false) => Err(StorageError::NotFound),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(&self.sql.delete).await?;
            client.execute(&statement, &[&key]).await
        })
        .await;
        match self.settle(client, result, "delete")? {
            0 => Err(StorageError::NotFound),
            _ => Ok(()),
        }
    }

    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(&self.sql.delete_if_counter).await?;
            client.execute(&statement, &[&key, &counter]).await
        })
        .await;
        match self.settle(client, result, "delete_if_counter")? {
            0 => Err(StorageError::NotFound),
            _ => Ok(()),
        }
    }

    async fn clear(&self) -> Result<(), StorageError> {
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, client.execute(&self.sql.clear, &[])).await;
        self.settle(client, result, "clear")?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError> {
        // Hints are stored as whole seconds rounded down; see the SQLite engine.
        let now = now.unix_seconds();
        let (client, deadline) = self.client().await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(&self.sql.purge).await?;
            client.execute(&statement, &[&now]).await
        })
        .await;
        self.settle(client, result, "purge")
    }
}

#[cfg(test)]
mod contract {
    use crate::storage::contract::{postgres, postgres_outage};

    crate::storage_contract_tests!(postgres, outage: postgres_outage);
}
