//! Our server in this process: the real app on port 0 with a manual clock, the mock
//! user server on 127.0.0.2, and a fake pwned-passwords range API. Beside it, for cases
//! needing `breached_passwords_file`, a second server in file mode with a local corpus,
//! sharing the user server and the clock.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mock_backend::MockBackend;
use sha1::{Digest, Sha1};
use tiauth_faroe::app::{serve, Overrides};
use tiauth_faroe::config::{Config, PwnedPasswordsMode};
use tiauth_faroe::faroe::clock::{Clock, ManualClock, Timestamp};
use tiauth_faroe::storage::{self, SqliteStorage, Storage, StorageSettings, StorageUrl};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixture::Need;
use crate::runner::CLOCK_START;
use crate::target::{ExternalOptions, Target};

/// Passwords the fake range API reports as breached.
pub const WEAK_PASSWORDS: &[&str] = &["password1234", "qwertyuiop123"];

/// How long the server waits for the user server; `delay` faults go past it.
pub const USER_SERVER_TIMEOUT: Duration = Duration::from_millis(500);

/// Stops the in-process server when dropped.
struct RunningServer {
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Names the engine the in-process server keeps its state in (`postgres://…` or
/// `redis://…`); unset, a private in-memory SQLite database.
pub const STORAGE_URL_VARIABLE: &str = "CONFORMANCE_STORAGE_URL";

/// The engine `CONFORMANCE_STORAGE_URL` names, in a namespace of its own (so runs on
/// one server never meet), with a guard that removes the namespace afterwards.
async fn storage_from_env(
    clock: Arc<ManualClock>,
) -> anyhow::Result<(Arc<dyn Storage>, Option<NamespaceGuard>)> {
    let Some(url) = std::env::var(STORAGE_URL_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty())
    else {
        return Ok((Arc::new(SqliteStorage::open_in_memory()?), None));
    };
    let url = StorageUrl::parse(&url)
        .map_err(|error| anyhow::anyhow!("{STORAGE_URL_VARIABLE}: {error}"))?;
    let settings = StorageSettings {
        namespace: format!("conformance_{}", storage::testing::fresh_namespace()),
        ..StorageSettings::new(url)
    };
    let opened = storage::open(&settings, clock)
        .await
        .with_context(|| format!("opening {}", settings.url))?;
    Ok((opened, Some(NamespaceGuard(settings))))
}

/// Drops the namespace of a conformance run when the target goes away. The engine's
/// connections belong to the test's runtime, so this opens its own on a thread.
struct NamespaceGuard(StorageSettings);

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        let settings = self.0.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(0)));
                match &settings.url {
                    StorageUrl::Postgres(_) => {
                        if let Ok(storage) = storage::PostgresStorage::open(&settings).await {
                            let _ = storage.drop_namespace().await;
                        }
                    }
                    _ => {
                        if let Ok(storage) = storage::open(&settings, clock).await {
                            let _ = storage.clear().await;
                        }
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A pwned-passwords range API that reports [`WEAK_PASSWORDS`] as breached, on
/// `listener` or on a free port.
pub async fn fake_range_api(listener: Option<std::net::TcpListener>) -> MockServer {
    let server = match listener {
        Some(listener) => MockServer::builder().listener(listener).start().await,
        None => MockServer::start().await,
    };
    for password in WEAK_PASSWORDS {
        let digest = hex::encode_upper(Sha1::digest(password.as_bytes()));
        let (prefix, suffix) = digest.split_at(5);
        Mock::given(method("GET"))
            .and(path(format!("/range/{}", prefix.to_lowercase())))
            .respond_with(ResponseTemplate::new(200).set_body_string(format!(
                "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{suffix}:42\r\n"
            )))
            .mount(&server)
            .await;
    }
    // Every other prefix: a listing without the password.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n"),
        )
        .mount(&server)
        .await;
    server
}

/// A sorted corpus file in `dir` listing the weak passwords, as the downloadable
/// corpus has it (upper case, CRLF).
fn local_corpus(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut hashes: Vec<String> = WEAK_PASSWORDS
        .iter()
        .map(|password| hex::encode_upper(Sha1::digest(password.as_bytes())))
        .collect();
    hashes.push("0018A45C4D1DEF81644B54AB7F969B88D65ABCDE".to_owned());
    hashes.sort();
    let path = dir.join("pwned-passwords.txt");
    let lines: String = hashes.iter().map(|hash| format!("{hash}:42\r\n")).collect();
    std::fs::write(&path, lines).context("writing the local corpus")?;
    Ok(path)
}

/// Serves `config` on 127.0.0.1:0 with `clock` and fresh in-memory storage; returns the
/// URL and what stops it when dropped.
async fn spawn_server(
    config: Config,
    clock: Option<Arc<dyn Clock>>,
    storage: Arc<dyn Storage>,
) -> anyhow::Result<(String, RunningServer)> {
    let overrides = Overrides {
        clock,
        storage: Some(storage),
        ..Overrides::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let server_url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(error) = serve(listener, config, overrides, shutdown).await {
            eprintln!("in-process server failed: {error}");
        }
    });
    Ok((server_url, RunningServer { stop: Some(stop) }))
}

/// What to change in the in-process setup, e.g. to make a dependency unreachable.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where the server looks for its user server (on 127.0.0.2) instead of the mock's
    /// port, e.g. a closed port. The mock still runs and answers `/command`.
    pub user_server_port: Option<u16>,
    /// The base URL of the pwned-passwords range API instead of the fake one.
    pub pwned_url: Option<String>,
    /// Serve `POST /test/clock` and let the target move the clock through it, as with
    /// an external `tiauth --enable-test-clock`, instead of handing the clock to the
    /// target directly. The target then offers no faults.
    pub test_clock: bool,
}

/// Starts everything and returns the target.
pub async fn start() -> anyhow::Result<Target> {
    start_with(Options::default()).await
}

/// Starts everything, changed as `options` says, and returns the target.
pub async fn start_with(options: Options) -> anyhow::Result<Target> {
    let backend_addr: SocketAddr = "127.0.0.2:0".parse()?;
    let backend = MockBackend::start(backend_addr)
        .await
        .context("starting the mock user server on 127.0.0.2")?;
    let range_api = fake_range_api(None).await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(CLOCK_START)));
    let config = Config {
        host: [127, 0, 0, 1].into(),
        port: 0,
        private_port: options
            .user_server_port
            .unwrap_or_else(|| backend.addr().port()),
        pwned_passwords: PwnedPasswordsMode::Hibp,
        pwned_passwords_url: options.pwned_url.unwrap_or_else(|| range_api.uri()),
        user_server_timeout: USER_SERVER_TIMEOUT,
        enable_reset: true,
        enable_test_clock: options.test_clock,
        ..Config::default()
    };
    let corpus_dir = tempfile::tempdir().context("a folder for the local corpus")?;
    let file_config = Config {
        pwned_passwords: PwnedPasswordsMode::File(local_corpus(corpus_dir.path())?),
        // Closed: file mode must not call the range API.
        pwned_passwords_url: "http://127.0.0.2:9".to_owned(),
        pwned_passwords_fail_closed: true,
        ..config.clone()
    };
    let server_clock = (!options.test_clock).then(|| clock.clone() as Arc<dyn Clock>);
    let (storage, namespace) = storage_from_env(clock.clone()).await?;
    let (server_url, server) = spawn_server(config, server_clock.clone(), storage).await?;
    let (file_server_url, file_server) = spawn_server(
        file_config,
        server_clock,
        Arc::new(SqliteStorage::open_in_memory()?),
    )
    .await?;
    let backend_url = backend.url();
    let file_mode = Target::controlled(
        file_server_url,
        backend_url.clone(),
        clock.clone(),
        vec![Box::new(file_server), Box::new(corpus_dir)],
    );
    let mut running: Vec<Box<dyn std::any::Any + Send + Sync>> =
        vec![Box::new(server), Box::new(backend), Box::new(range_api)];
    if let Some(namespace) = namespace {
        // Last: dropped after the server stopped.
        running.push(Box::new(namespace));
    }
    if options.test_clock {
        let options = ExternalOptions {
            breached_passwords: true,
            ..ExternalOptions::default()
        };
        let target = Target::connect(&server_url, &backend_url, options).await?;
        return Ok(target
            .keeping(running)
            .with_variant(Need::BreachedPasswordsFile, file_mode));
    }
    Ok(Target::controlled(server_url, backend_url, clock, running)
        .with_variant(Need::BreachedPasswordsFile, file_mode))
}
