//! The PostgreSQL engine: one `key_value` table in a schema named after the namespace.
//!
//! Every operation is one statement, so one round trip; the compare-and-swap is a
//! conditional `UPDATE … WHERE counter = $n` whose statement also says whether the key
//! existed, so a lost race stays distinct from an absent key.
//!
//! The calls of actions share a few long-lived connections ("links") and are
//! pipelined on them: tokio-postgres sends a call while earlier ones are still being
//! answered, so under load one write carries several queries and PostgreSQL answers
//! them together. A connection checked out per call would cost a round of wake-ups
//! (ours and the backend's) per query. Each link prepares its statements once, when
//! it connects. Every call is bounded by the storage timeout; a link that timed out
//! is replaced rather than reused, so a hung link cannot hold calls up, and a closed
//! one is reconnected by the next call. Maintenance (schema, clear, purge) runs on a
//! connection of its own, so a long purge never delays the calls queued behind it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::error::Elapsed;
use tokio::time::{timeout_at, Instant};
use tokio_postgres::{Client, Config, NoTls, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::postgres_tls::{connector, Encryption, PostgresTarget};

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

/// Key-value storage in a PostgreSQL database.
#[derive(Debug)]
pub struct PostgresStorage {
    links: Vec<Slot>,
    /// Which slot the next call takes: calls go round the slots.
    next: AtomicUsize,
    config: Config,
    connector: Connector,
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

/// How connections are made: plain TCP or TLS.
#[derive(Clone)]
enum Connector {
    Plain,
    Tls(MakeRustlsConnect),
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Connector::Plain => "Plain",
            Connector::Tls(_) => "Tls",
        })
    }
}

impl Connector {
    /// A connection whose I/O runs on the PostgreSQL I/O thread until the client is
    /// dropped or the link breaks.
    async fn connect(&self, config: &Config) -> Result<Client, ConnectFailure> {
        let (connector, config) = (self.clone(), config.clone());
        io_thread()
            .spawn(async move {
                let client = match connector {
                    Connector::Plain => {
                        let (client, connection) = config.connect(NoTls).await?;
                        tokio::spawn(log_closing(connection));
                        client
                    }
                    Connector::Tls(tls) => {
                        let (client, connection) = config.connect(tls).await?;
                        tokio::spawn(log_closing(connection));
                        client
                    }
                };
                Ok(client)
            })
            .await?
    }
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
enum ConnectFailure {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the PostgreSQL I/O thread did not finish connecting: {0}")]
    IoThread(#[from] tokio::task::JoinError),
}

/// The runtime of the thread that runs every PostgreSQL connection's I/O.
///
/// On the request workers, tokio runs a task woken by the running task right after
/// it: each call would wake the connection task and have it write that one query.
/// On a thread of its own the connection task writes whatever calls queued while it
/// was busy, so under load one write carries several queries and PostgreSQL answers
/// them together; and its work no longer waits behind requests, which keeps the
/// tail latency down.
fn io_thread() -> &'static tokio::runtime::Handle {
    static IO_THREAD: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    IO_THREAD.get_or_init(|| {
        let (handle_sender, handle) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("postgres-io".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(runtime) => {
                        let _ = handle_sender.send(Some(runtime.handle().clone()));
                        runtime.block_on(std::future::pending::<()>());
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot start the PostgreSQL I/O thread");
                        let _ = handle_sender.send(None);
                    }
                }
            })
            .ok()
            .and_then(|_| handle.recv().ok().flatten())
            // Without a thread of its own, I/O runs on the caller's runtime.
            .unwrap_or_else(tokio::runtime::Handle::current)
    })
}

async fn log_closing<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
{
    if let Err(error) = connection.await {
        tracing::warn!(%error, "a PostgreSQL connection closed");
    }
}

/// A connection with its statements prepared.
struct Link {
    client: Client,
    get: Statement,
    add: Statement,
    update: Statement,
    delete: Statement,
    delete_if_counter: Statement,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Link")
    }
}

/// One shared connection, made when first needed and again after it broke.
#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Arc<Link>>>,
    /// Held while connecting, so calls that find the slot empty make one connection.
    connecting: tokio::sync::Mutex<()>,
}

impl Slot {
    /// The slot's link while it is open.
    fn live(&self) -> Option<Arc<Link>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|link| !link.client.is_closed())
            .cloned()
    }

    fn set(&self, link: Option<Arc<Link>>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = link;
    }

    /// Drops `link` unless another call has already replaced it.
    fn discard(&self, link: &Arc<Link>) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|held| Arc::ptr_eq(held, link)) {
            *current = None;
        }
    }
}

impl PostgresStorage {
    /// Connects, then creates or checks the schema of `settings.namespace`.
    pub async fn open(settings: &StorageSettings) -> Result<PostgresStorage, StorageError> {
        let StorageUrl::Postgres(url) = &settings.url else {
            return Err(StorageError::Failure("not a PostgreSQL URL".into()));
        };
        let describe = format!("PostgreSQL at {}", settings.url);
        let PostgresTarget {
            mut config,
            encryption,
        } = PostgresTarget::parse(url).map_err(|e| {
            StorageError::Failure(format!("invalid URL for {describe}: {e}").into())
        })?;
        config.connect_timeout(settings.timeout);
        if config.get_application_name().is_none() {
            config.application_name("tiauth");
        }
        let connector = match &encryption {
            Encryption::Plain => Connector::Plain,
            Encryption::Tls { roots, check_host } => {
                Connector::Tls(connector(roots.as_ref(), *check_host).map_err(|e| {
                    StorageError::Failure(format!("TLS for {describe}: {e}").into())
                })?)
            }
        };
        let schema = format!("\"{}\"", settings.namespace);
        let storage = PostgresStorage {
            links: (0..settings.pool_size.max(1))
                .map(|_| Slot::default())
                .collect(),
            next: AtomicUsize::new(0),
            config,
            connector,
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
        // A failure inside the script leaves its transaction open; the connection is
        // this call's alone and closes with it.
        let row = self
            .maintenance("creating the schema", async |client| {
                client.batch_execute(&script).await?;
                client.query_one(&version_query, &[]).await
            })
            .await?;
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
        self.maintenance("dropping the schema", async |client| {
            client.batch_execute(&sql).await
        })
        .await
    }

    /// Runs one statement of an action's call on a shared link.
    async fn call<T>(
        &self,
        doing: &str,
        statement: impl AsyncFnOnce(&Link) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StorageError> {
        let deadline = Instant::now() + self.timeout;
        let slot = &self.links[self.next.fetch_add(1, Ordering::Relaxed) % self.links.len()];
        let link = self.link(slot, deadline).await?;
        let outcome = timeout_at(deadline, statement(&link)).await;
        if outcome.is_err() {
            slot.discard(&link);
        }
        self.settle(|| self.failed(doing), outcome)
    }

    /// The slot's link, connecting it first when it has none or it broke.
    async fn link(&self, slot: &Slot, deadline: Instant) -> Result<Arc<Link>, StorageError> {
        if let Some(link) = slot.live() {
            return Ok(link);
        }
        let connect = async {
            let _connecting = slot.connecting.lock().await;
            if let Some(link) = slot.live() {
                return Ok::<_, ConnectFailure>(link);
            }
            let link = Arc::new(self.connect_link().await?);
            slot.set(Some(Arc::clone(&link)));
            Ok(link)
        };
        self.settle(
            || self.cannot_connect(),
            timeout_at(deadline, connect).await,
        )
    }

    async fn connect_link(&self) -> Result<Link, ConnectFailure> {
        let client = self.connector.connect(&self.config).await?;
        let sql = &self.sql;
        // Prepared in one pipelined round.
        let (get, add, update, delete, delete_if_counter) = tokio::try_join!(
            client.prepare(&sql.get),
            client.prepare(&sql.add),
            client.prepare(&sql.update),
            client.prepare(&sql.delete),
            client.prepare(&sql.delete_if_counter),
        )?;
        Ok(Link {
            client,
            get,
            add,
            update,
            delete,
            delete_if_counter,
        })
    }

    /// Runs `work` on a connection of its own, made for it and closed after it.
    async fn maintenance<T>(
        &self,
        doing: &str,
        work: impl AsyncFnOnce(&Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StorageError> {
        let deadline = Instant::now() + self.timeout;
        let client = self.settle(
            || self.cannot_connect(),
            timeout_at(deadline, self.connector.connect(&self.config)).await,
        )?;
        self.settle(
            || self.failed(doing),
            timeout_at(deadline, work(&client)).await,
        )
    }

    /// The outcome of a step bounded by the storage timeout: its value, or its error
    /// or the timeout as a storage failure under `message` (made only on failure).
    fn settle<T, E>(
        &self,
        message: impl FnOnce() -> String,
        outcome: Result<Result<T, E>, Elapsed>,
    ) -> Result<T, StorageError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StorageError::failure(message(), error)),
            Err(_) => Err(StorageError::failure(message(), TimedOut(self.timeout))),
        }
    }

    fn cannot_connect(&self) -> String {
        format!("cannot connect to {}", self.describe)
    }

    fn failed(&self, doing: &str) -> String {
        format!("{doing} failed on {}", self.describe)
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        let row = self
            .call("get", async |link| {
                link.client.query_opt(&link.get, &[&key]).await
            })
            .await?
            .ok_or(StorageError::NotFound)?;
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
        let added = self
            .call("add", async |link| {
                link.client
                    .execute(&link.add, &[&key, &value, &expiration])
                    .await
            })
            .await?;
        match added {
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
        let row = self
            .call("update", async |link| {
                link.client
                    .query_one(&link.update, &[&key, &value, &expiration, &counter])
                    .await
            })
            .await?;
        match (row.get::<_, bool>(0), row.get::<_, bool>(1)) {
            (true, _) => Ok(()),
            (false, true) => Err(StorageError::Conflict),
            (false, false) => Err(StorageError::NotFound),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let deleted = self
            .call("delete", async |link| {
                link.client.execute(&link.delete, &[&key]).await
            })
            .await?;
        match deleted {
            0 => Err(StorageError::NotFound),
            _ => Ok(()),
        }
    }

    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        let deleted = self
            .call("delete_if_counter", async |link| {
                link.client
                    .execute(&link.delete_if_counter, &[&key, &counter])
                    .await
            })
            .await?;
        match deleted {
            0 => Err(StorageError::NotFound),
            _ => Ok(()),
        }
    }

    async fn clear(&self) -> Result<(), StorageError> {
        self.maintenance("clear", async |client| {
            client.execute(&self.sql.clear, &[]).await
        })
        .await?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StorageError> {
        // Hints are stored as whole seconds rounded down; see the SQLite engine.
        let now = now.unix_seconds();
        self.maintenance("purge", async |client| {
            client.execute(&self.sql.purge, &[&now]).await
        })
        .await
    }
}

#[cfg(test)]
mod contract {
    use crate::storage::contract::{postgres, postgres_outage};

    crate::storage_contract_tests!(postgres, outage: postgres_outage);
}

/// TLS against the test server, when it offers TLS (Debian's PostgreSQL does, with a
/// self-signed certificate for `localhost`).
#[cfg(test)]
mod tls {
    use std::io::Write as _;
    use std::time::Duration;

    use super::super::postgres_tls::{connector, Encryption, PostgresTarget};
    use super::PostgresStorage;
    use crate::faroe::clock::Timestamp;
    use crate::faroe::error::error_chain;
    use crate::storage::testing::{fresh_namespace, service_url, POSTGRES_URL_VARIABLE};
    use crate::storage::{Storage, StorageSettings, StorageUrl};

    /// The server's certificate file, or `None` (with a skip line) when it has no TLS.
    async fn server_certificate(url: &str) -> Option<String> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("the test PostgreSQL server is reachable");
        tokio::spawn(connection);
        let ssl: String = client.query_one("SHOW ssl", &[]).await.expect("ssl").get(0);
        let file: String = client
            .query_one("SHOW ssl_cert_file", &[])
            .await
            .expect("ssl_cert_file")
            .get(0);
        if ssl != "on" || std::fs::metadata(&file).is_err() {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED PostgreSQL TLS: the test server has no TLS, or its certificate \
                 {file} is not readable here"
            );
            return None;
        }
        Some(file)
    }

    /// `url` with host `host` and the TLS parameters appended.
    fn with_tls(url: &str, host: &str, tls: &str) -> String {
        let mut parsed = reqwest::Url::parse(url).expect("a service URL");
        parsed.set_host(Some(host)).expect("host");
        let joiner = if parsed.query().is_some() { '&' } else { '?' };
        format!("{parsed}{joiner}{tls}")
    }

    async fn encrypted(url: &str) -> Result<bool, String> {
        let target = PostgresTarget::parse(url)?;
        let Encryption::Tls { roots, check_host } = target.encryption else {
            return Err("plain".to_owned());
        };
        let tls = connector(roots.as_ref(), check_host)?;
        let (client, connection) = target
            .config
            .connect(tls)
            .await
            .map_err(|e| error_chain(&e))?;
        tokio::spawn(connection);
        let row = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(row.get(0))
    }

    #[tokio::test]
    async fn verified_tls_connects_encrypted_and_a_wrong_name_is_refused() {
        let Some(url) = service_url(POSTGRES_URL_VARIABLE, "PostgreSQL TLS") else {
            return;
        };
        let Some(certificate) = server_certificate(&url).await else {
            return;
        };
        let root = format!("sslrootcert={certificate}");
        let chain_only = with_tls(&url, "127.0.0.1", &format!("sslmode=verify-ca&{root}"));
        assert_eq!(encrypted(&chain_only).await, Ok(true));

        // The certificate names `localhost`: verify-full accepts that name and refuses
        // the address, which verify-ca let through.
        let full_by_name = with_tls(&url, "localhost", &format!("sslmode=verify-full&{root}"));
        assert_eq!(encrypted(&full_by_name).await, Ok(true));
        let full_by_address = with_tls(&url, "127.0.0.1", &format!("sslmode=verify-full&{root}"));
        let refused = encrypted(&full_by_address).await.expect_err("wrong name");
        assert!(refused.contains("not valid for name"), "{refused}");

        // The storage engine itself works over the verified link.
        let namespace = fresh_namespace();
        let settings = StorageSettings {
            namespace,
            timeout: Duration::from_secs(5),
            ..StorageSettings::new(StorageUrl::parse(&chain_only).expect("valid URL"))
        };
        let storage = PostgresStorage::open(&settings)
            .await
            .expect("opened over TLS");
        let expires = Timestamp::from_unix_seconds(4_000_000_000);
        storage.add("k", b"v", expires).await.expect("added");
        let entry = storage.get("k").await.expect("read back");
        storage.drop_namespace().await.expect("dropped");
        assert_eq!(entry.value, b"v");
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_refused() {
        let Some(url) = service_url(POSTGRES_URL_VARIABLE, "PostgreSQL TLS") else {
            return;
        };
        if server_certificate(&url).await.is_none() {
            return;
        }
        // A root that did not sign the server's certificate.
        let folder = tempfile::tempdir().expect("temporary folder");
        let stranger = folder.path().join("stranger.pem");
        std::fs::write(&stranger, STRANGER_ROOT).expect("written");
        let url = with_tls(
            &url,
            "127.0.0.1",
            &format!("sslmode=require&sslrootcert={}", stranger.display()),
        );
        let refused = encrypted(&url).await.expect_err("untrusted");
        assert!(refused.contains("UnknownIssuer"), "{refused}");
    }

    /// A self-signed root made for this test only (`CN=tiauth test stranger`).
    const STRANGER_ROOT: &str = include_str!("testdata/stranger-root.pem");
}
