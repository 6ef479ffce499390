//! The SQLite engine: one `key_value` table in a database file, in WAL mode.
//!
//! SQLite calls block, so every operation runs on a blocking thread
//! (`spawn_blocking`) with a connection taken from a small pool of its own: one
//! writer connection, so writes queue here instead of sleeping in SQLite's busy
//! handler, and a few reader connections, which WAL lets read while the writer
//! writes. An async caller waits for a connection without holding a thread.
//!
//! The one exception is `get`, the point read of every token check: when a
//! connection is free at once it runs on the calling thread. A primary-key read
//! takes a few microseconds and a WAL reader never waits for the writer, while the
//! trip to a blocking thread and back costs more than the read (two thread
//! wake-ups per request).
//!
//! The file belongs to one process: connections use SQLite's `unix-excl` VFS,
//! which takes a process-wide exclusive lock and keeps the WAL index in memory
//! instead of a `-shm` file. Otherwise every read transaction takes and releases
//! a lock on the `-shm` file (two `fcntl` calls under a process-wide mutex that
//! concurrent readers queue on); this way a read makes no system call. Another
//! process opening the file while the server runs gets "in use by another
//! process"; several instances share PostgreSQL or Redis instead.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{ffi, params, Connection, OpenFlags, OptionalExtension};
use tokio::sync::Semaphore;

use super::{Entry, Storage, StorageError};
use crate::faroe::clock::Timestamp;

/// Reader connections of a file database; the writer is one more.
const READER_CONNECTIONS: usize = 4;
/// How long a connection waits for a lock held by another connection of this
/// process before SQLite reports `SQLITE_BUSY`. Set after a connection is
/// configured, so a file held by another process fails at once.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

// `expiration` holds the expiry hint as whole Unix seconds in an INTEGER column.
// Upstream writes an RFC 3339 string in the local time zone and never reads it; we
// purge by comparing it (`expiration < now`), which needs a value that orders
// numerically and does not depend on the time zone.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS key_value (
        key TEXT PRIMARY KEY,
        counter INTEGER NOT NULL,
        expiration INTEGER NOT NULL,
        value BLOB NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS key_value_expiration ON key_value (expiration);
";

const GET: &str = "SELECT value, counter FROM key_value WHERE key = ?1";
const ADD: &str = "INSERT INTO key_value (key, value, counter, expiration) VALUES (?1, ?2, 0, ?3)";
const UPDATE: &str = "UPDATE key_value SET value = ?1, counter = counter + 1, expiration = ?2 \
                      WHERE key = ?3 AND counter = ?4";
const EXISTS: &str = "SELECT 1 FROM key_value WHERE key = ?1";
const DELETE: &str = "DELETE FROM key_value WHERE key = ?1";
const DELETE_IF_COUNTER: &str = "DELETE FROM key_value WHERE key = ?1 AND counter = ?2";
const CLEAR: &str = "DELETE FROM key_value";
const PURGE: &str = "DELETE FROM key_value WHERE expiration < ?1";

/// Key-value storage in an SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    writer: Arc<Pool>,
    readers: Arc<Pool>,
}

/// Creates the database file readable and writable by its owner only (0600) when it
/// does not exist yet: it holds verification state and password-reset hashes. SQLite
/// gives the `-wal` and `-shm` files the mode of the database file. An existing file
/// keeps the mode its owner gave it.
fn create_private_file(path: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(StorageError::failure(
            format!("cannot create the SQLite database {}", path.display()),
            error,
        )),
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file at `path` and its table.
    ///
    /// Fails with a [`StorageError::Failure`] naming the path when the file cannot
    /// be opened, created or written.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage, StorageError> {
        if holds_upstream_table(path.as_ref()) {
            return Err(StorageError::Failure(
                format!(
                    "{} holds an upstream tiauth database; import it with `tiauth import-upstream`",
                    path.as_ref().display()
                )
                .into(),
            ));
        }
        let location = Location::File(path.as_ref().to_path_buf());
        create_private_file(path.as_ref())?;
        let first = location.connect()?;
        location.create_schema(&first)?;
        let writer = Pool::new(location.clone(), vec![first]);
        let readers = (0..READER_CONNECTIONS)
            .map(|_| location.connect())
            .collect::<Result<_, _>>()?;
        let readers = Pool::new(location, readers);
        Ok(SqliteStorage {
            writer: Arc::new(writer),
            readers: Arc::new(readers),
        })
    }

    /// A private in-memory database, for tests. It is one database behind a single
    /// connection, so every operation sees every other's writes.
    pub fn open_in_memory() -> Result<SqliteStorage, StorageError> {
        let location = Location::Memory;
        let connection = location.connect()?;
        location.create_schema(&connection)?;
        let pool = Arc::new(Pool::new(location, vec![connection]));
        Ok(SqliteStorage {
            writer: Arc::clone(&pool),
            readers: pool,
        })
    }
}

/// Whether the file at `path` holds upstream tiauth's table: `key_value` with a TEXT
/// `expiration` column (ours is INTEGER). Looked at read-only, so nothing is created
/// in a file that is not ours; a missing or unreadable file is not upstream's.
pub fn holds_upstream_table(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let Ok(connection) = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return false;
    };
    connection
        .query_row(
            "SELECT type FROM pragma_table_info('key_value') WHERE name = 'expiration'",
            [],
            |row| row.get::<_, String>(0),
        )
        .is_ok_and(|kind| kind.eq_ignore_ascii_case("TEXT"))
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        let key = key.to_owned();
        self.readers
            .read(move |connection| {
                let mut statement = connection.prepare_cached(GET)?;
                statement
                    .query_row(params![key], |row| {
                        Ok(Entry {
                            value: row.get(0)?,
                            counter: row.get(1)?,
                        })
                    })
                    .optional()
            })
            .await?
            .ok_or(StorageError::NotFound)
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        let (key, value) = (key.to_owned(), value.to_vec());
        let expiration = expires_at.unix_seconds();
        let inserted = self
            .writer
            .run(move |connection| {
                let mut statement = connection.prepare_cached(ADD)?;
                match statement.execute(params![key, value, expiration]) {
                    Ok(_) => Ok(true),
                    Err(error) if is_primary_key_conflict(&error) => Ok(false),
                    Err(error) => Err(error),
                }
            })
            .await?;
        if inserted {
            Ok(())
        } else {
            Err(StorageError::AlreadyExists)
        }
    }

    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError> {
        let (key, value) = (key.to_owned(), value.to_vec());
        let expiration = expires_at.unix_seconds();
        // Both statements run on the one writer connection, so nothing changes the
        // key between them.
        let outcome = self
            .writer
            .run(move |connection| {
                let mut statement = connection.prepare_cached(UPDATE)?;
                if statement.execute(params![value, expiration, key, counter])? > 0 {
                    return Ok(Ok(()));
                }
                let mut exists = connection.prepare_cached(EXISTS)?;
                Ok(if exists.exists(params![key])? {
                    Err(StorageError::Conflict)
                } else {
                    Err(StorageError::NotFound)
                })
            })
            .await?;
        outcome
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let key = key.to_owned();
        let changed = self
            .writer
            .run(move |connection| {
                let mut statement = connection.prepare_cached(DELETE)?;
                statement.execute(params![key])
            })
            .await?;
        found_if_changed(changed)
    }

    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        let key = key.to_owned();
        let changed = self
            .writer
            .run(move |connection| {
                let mut statement = connection.prepare_cached(DELETE_IF_COUNTER)?;
                statement.execute(params![key, counter])
            })
            .await?;
        found_if_changed(changed)
    }

    async fn clear(&self) -> Result<(), StorageError> {
        self.writer
            .run(|connection| connection.prepare_cached(CLEAR)?.execute([]))
            .await?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError> {
        // Stored hints are whole seconds (rounded down), so comparing with `now`
        // rounded down never removes an entry whose exact hint is not yet past; one
        // that expired within the current second goes in a later purge.
        let now = now.unix_seconds();
        let purged = self
            .writer
            .run(move |connection| connection.prepare_cached(PURGE)?.execute(params![now]))
            .await?;
        Ok(purged as u64)
    }
}

fn found_if_changed(rows: usize) -> Result<(), StorageError> {
    if rows == 0 {
        Err(StorageError::NotFound)
    } else {
        Ok(())
    }
}

fn is_primary_key_conflict(error: &rusqlite::Error) -> bool {
    error
        .sqlite_error()
        .is_some_and(|error| error.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Where connections come from.
#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    Memory,
}

impl Location {
    /// Opens a connection and applies the per-connection settings.
    fn connect(&self) -> Result<Connection, StorageError> {
        let connection = match self {
            // No SQLITE_OPEN_URI: a path is a path, even one containing `?`.
            Location::File(path) => Connection::open_with_flags_and_vfs(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                c"unix-excl",
            ),
            Location::Memory => Connection::open_in_memory(),
        }
        .map_err(|error| self.failure("cannot open", error))?;
        self.configure(&connection).map_err(|error| {
            if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
                StorageError::Failure(
                    format!(
                        "{} is in use by another process (another tiauth?); SQLite storage \
                         serves one process, several instances share PostgreSQL or Redis",
                        self.describe()
                    )
                    .into(),
                )
            } else {
                self.failure("cannot configure", error)
            }
        })?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|error| self.failure("cannot configure", error))?;
        Ok(connection)
    }

    /// PRAGMAs that hold per connection, so every connection runs them.
    fn configure(&self, connection: &Connection) -> rusqlite::Result<()> {
        let journal_mode: String =
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if let Location::File(path) = self {
            if !journal_mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(
                    path = %path.display(),
                    journal_mode,
                    "SQLite storage could not switch to WAL mode"
                );
            }
        }
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        // Touch the database so a file that cannot be read (not a database, no
        // permission) fails here rather than on the first request.
        connection.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        Ok(())
    }

    fn create_schema(&self, connection: &Connection) -> Result<(), StorageError> {
        connection
            .execute_batch(SCHEMA)
            .map_err(|error| self.failure("cannot create the key_value table in", error))?;
        // A table made by another program (upstream keeps `expiration` as TEXT)
        // would compare hints as text; refuse it rather than purge wrongly.
        let expiration_type: Option<String> = connection
            .query_row(
                "SELECT type FROM pragma_table_info('key_value') WHERE name = 'expiration'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.failure("cannot inspect the key_value table in", error))?;
        if !expiration_type.is_some_and(|kind| kind.eq_ignore_ascii_case("INTEGER")) {
            return Err(StorageError::Failure(
                format!(
                    "the key_value table in {} has no INTEGER expiration column; \
                 it was made by another program (move the file away to start afresh)",
                    self.describe()
                )
                .into(),
            ));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match self {
            Location::File(path) => format!("SQLite database {}", path.display()),
            Location::Memory => "in-memory SQLite database".to_owned(),
        }
    }

    fn failure(&self, doing: &str, error: rusqlite::Error) -> StorageError {
        StorageError::failure(format!("{doing} {}", self.describe()), error)
    }
}

/// A few connections to one database, lent to one blocking task at a time.
#[derive(Debug)]
struct Pool {
    location: Location,
    /// One permit per connection that may exist; waiting for one is async.
    permits: Arc<Semaphore>,
    /// Connections not in use, all opened at start. Fewer than the permits only
    /// after a task panicked and dropped its connection; a new one replaces it.
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    fn new(location: Location, connections: Vec<Connection>) -> Self {
        Pool {
            location,
            permits: Arc::new(Semaphore::new(connections.len())),
            idle: Mutex::new(connections),
        }
    }

    /// Runs `operation` with a connection on a blocking thread.
    async fn run<T, F>(self: &Arc<Self>, operation: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StorageError::Failure("SQLite connection pool closed".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let connection = pool.take()?;
            let result = operation(&connection);
            pool.give_back(connection);
            result.map_err(|error| pool.location.failure("query failed on", error))
        })
        .await
        .map_err(|error| StorageError::failure("SQLite task failed", error))?
    }

    /// Runs a short read with a connection on the calling thread when one is idle
    /// right now; otherwise as [`Pool::run`] does.
    async fn read<T, F>(self: &Arc<Self>, operation: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let idle = match self.permits.try_acquire() {
            Ok(permit) => self
                .idle
                .lock()
                .ok()
                .and_then(|mut idle| idle.pop())
                .map(|connection| (permit, connection)),
            Err(_) => None,
        };
        let Some((_permit, connection)) = idle else {
            return self.run(operation).await;
        };
        let result = operation(&connection);
        self.give_back(connection);
        result.map_err(|error| self.location.failure("query failed on", error))
    }

    /// An idle connection, or a new one when none is idle (the held permit
    /// guarantees the pool stays within its size).
    fn take(&self) -> Result<Connection, StorageError> {
        let idle = self
            .idle
            .lock()
            .map_err(|_| StorageError::Failure("SQLite connection pool lock poisoned".into()))?
            .pop();
        match (idle, &self.location) {
            (Some(connection), _) => Ok(connection),
            (None, Location::File(_)) => self.location.connect(),
            // A new in-memory connection would be a new, empty database.
            (None, Location::Memory) => Err(StorageError::Failure(
                "the in-memory SQLite database was lost with its connection".into(),
            )),
        }
    }

    fn give_back(&self, connection: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(connection);
        }
    }
}

#[cfg(test)]
mod file_contract {
    use std::sync::Arc;

    use super::SqliteStorage;
    use crate::storage::contract::Subject;

    crate::storage_contract_tests!(|_namespace, _clock| async {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = SqliteStorage::open(dir.path().join("faroe.db")).expect("open");
        Some(Subject::new(Arc::new(storage)).keeping(dir))
    });
}

#[cfg(test)]
mod in_memory_contract {
    use std::sync::Arc;

    use super::SqliteStorage;
    use crate::storage::contract::Subject;

    crate::storage_contract_tests!(|_namespace, _clock| async {
        let storage = SqliteStorage::open_in_memory().expect("open");
        Some(Subject::new(Arc::new(storage)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn later() -> Timestamp {
        Timestamp::from_unix_seconds(2_000)
    }

    #[tokio::test]
    async fn entries_survive_reopening_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("faroe.db");
        {
            let storage = SqliteStorage::open(&path).expect("open");
            storage.add("k", b"kept", later()).await.expect("add");
            storage
                .update("k", b"kept2", later(), 0)
                .await
                .expect("update");
        }
        let storage = SqliteStorage::open(&path).expect("reopen");
        let entry = storage.get("k").await.expect("get");
        assert_eq!((entry.value.as_slice(), entry.counter), (&b"kept2"[..], 1));
    }

    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[tokio::test]
    async fn a_new_database_and_its_wal_files_are_private_to_the_owner() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("faroe.db");
        let storage = SqliteStorage::open(&path).expect("open");
        storage.add("k", b"v", later()).await.expect("add");
        for name in ["faroe.db", "faroe.db-wal"] {
            assert_eq!(mode_of(&dir.path().join(name)), 0o600, "{name}");
        }
        // The WAL index lives in the process's memory, not in a file.
        assert!(!dir.path().join("faroe.db-shm").exists());
    }

    #[tokio::test]
    async fn an_existing_database_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("faroe.db");
        drop(SqliteStorage::open(&path).expect("create"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let storage = SqliteStorage::open(&path).expect("reopen");
        storage.add("k", b"v", later()).await.expect("add");
        assert_eq!(mode_of(&path), 0o640);
    }

    #[tokio::test]
    async fn the_file_uses_wal_and_an_integer_expiration_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("faroe.db");
        let storage = SqliteStorage::open(&path).expect("open");
        storage
            .add("k", b"v", Timestamp::from_unix_nanos(1_500_999_999_999))
            .await
            .expect("add");
        // The storage holds the file exclusively; look once it is closed.
        drop(storage);
        let connection = Connection::open(&path).expect("inspect");
        let mode: String = connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        let (expiration, kind): (i64, String) = connection
            .query_row(
                "SELECT expiration, typeof(expiration) FROM key_value WHERE key = 'k'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("row");
        assert_eq!((expiration, kind.as_str()), (1_500, "integer"));
    }

    #[tokio::test]
    async fn purging_never_removes_an_entry_before_its_exact_hint() {
        let storage = SqliteStorage::open_in_memory().expect("open");
        let hint = Timestamp::from_unix_nanos(1_000_500_000_000); // 1000.5 s
        storage.add("k", b"v", hint).await.expect("add");
        let just_before = Timestamp::from_unix_nanos(1_000_400_000_000);
        assert_eq!(storage.purge_expired(just_before).await, Ok(0));
        assert_eq!(storage.purge_expired(hint).await, Ok(0));
        let next_second = Timestamp::from_unix_seconds(1_001);
        assert_eq!(storage.purge_expired(next_second).await, Ok(1));
    }

    /// Two storages on one file in one process contend inside SQLite: the busy
    /// timeout waits and the primary key decides.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_storages_on_one_file_let_exactly_one_add_win() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("faroe.db");
        let first = Arc::new(SqliteStorage::open(&path).expect("open"));
        let second = Arc::new(SqliteStorage::open(&path).expect("open again"));
        for round in 0..10 {
            let key = format!("race{round}");
            let tasks: Vec<_> = (0..8u8)
                .map(|n| {
                    let storage = Arc::clone(if n % 2 == 0 { &first } else { &second });
                    let key = key.clone();
                    tokio::spawn(async move { storage.add(&key, &[n], later()).await })
                })
                .collect();
            let mut wins = 0;
            for task in tasks {
                match task.await.expect("task") {
                    Ok(()) => wins += 1,
                    Err(StorageError::AlreadyExists) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(wins, 1);
        }
    }

    #[tokio::test]
    async fn reads_see_writes_across_connections() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Arc::new(SqliteStorage::open(dir.path().join("faroe.db")).expect("open"));
        for n in 0..20 {
            let key = format!("k{n}");
            storage.add(&key, b"v", later()).await.expect("add");
            // Several reads at once so more than one reader connection is used.
            let reads: Vec<_> = (0..READER_CONNECTIONS)
                .map(|_| {
                    let (storage, key) = (Arc::clone(&storage), key.clone());
                    tokio::spawn(async move { storage.get(&key).await })
                })
                .collect();
            for read in reads {
                assert!(read.await.expect("task").is_ok());
            }
        }
    }

    #[test]
    fn a_path_in_a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no-such-dir").join("faroe.db");
        match SqliteStorage::open(&path) {
            Err(StorageError::Failure(message)) => {
                let message = message.to_string();
                assert!(message.contains(&path.display().to_string()), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_directory_or_a_non_database_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            SqliteStorage::open(dir.path()),
            Err(StorageError::Failure(_))
        ));
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![b'x'; 4096]).expect("write junk");
        match SqliteStorage::open(&junk) {
            Err(StorageError::Failure(message)) => {
                let message = message.to_string();
                assert!(message.contains("junk.db"), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_table_with_a_text_expiration_column_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("upstream.db");
        Connection::open(&path)
            .expect("create")
            .execute_batch(
                "CREATE TABLE key_value (key TEXT PRIMARY KEY, counter INTEGER NOT NULL, \
                 expiration TEXT NOT NULL, value BLOB NOT NULL) STRICT;",
            )
            .expect("schema");
        let schema = |path: &Path| -> Vec<String> {
            let connection = Connection::open(path).expect("inspect");
            let mut statement = connection
                .prepare("SELECT name FROM sqlite_schema ORDER BY name")
                .expect("prepare");
            let names = statement
                .query_map([], |row| row.get(0))
                .expect("query")
                .collect::<Result<Vec<String>, _>>()
                .expect("names");
            names
        };
        let before = schema(&path);
        assert!(holds_upstream_table(&path));
        match SqliteStorage::open(&path) {
            Err(StorageError::Failure(message)) => {
                let message = message.to_string();
                assert!(message.contains("upstream"), "{message}");
                assert!(message.contains("import-upstream"), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        // Nothing was created in it (no index, no table).
        assert_eq!(schema(&path), before);
    }

    #[test]
    fn only_an_upstream_table_counts_as_upstream() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!holds_upstream_table(&dir.path().join("missing.db")));
        let ours = dir.path().join("ours.db");
        drop(SqliteStorage::open(&ours).expect("open"));
        assert!(!holds_upstream_table(&ours));
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database").expect("write");
        assert!(!holds_upstream_table(&junk));
        assert!(!holds_upstream_table(dir.path()));
    }
}
