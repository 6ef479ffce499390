//! Assembling and running the server: storage, user-server client, protocol engine,
//! HTTP router, purge task and interactive shell.
//!
//! Tests and the conformance harness start the real app with [`serve`] on a listener
//! bound to port 0, optionally with an injected clock or storage; the binary uses [`run`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::admin::{AdminState, ADMIN_MAX_CONNECTIONS};
use crate::backend::{ClientBuildError, UserServerClient};
use crate::client_address::ClientAddressSource;
use crate::command_listener;
use crate::config::{format_duration, Config, PwnedPasswordsMode};
use crate::faroe::clock::{Clock, ManualClock, SystemClock};
use crate::faroe::email::EmailSender;
use crate::faroe::error::error_chain;
use crate::faroe::passwords::{NoStrengthCheck, PasswordHasher, PasswordStrengthChecker};
use crate::faroe::user::UserStore;
use crate::faroe::{Faroe, SessionConfig};
use crate::http::{
    max_connections_for, raise_open_files_limit, router, HashingQueue, HttpState, ListenerLimits,
};
use crate::pwned::{
    Corpus, CorpusError, PwnedPasswords, PwnedPasswordsBuildError, RangeApi, RangeApiConfig,
};
use crate::shell::{self, ShellEnd};
use crate::storage::{
    holds_upstream_table, spawn_purge_task, MeteredStorage, Storage, StorageError, StorageUrl,
};
use crate::user_server_metrics::{MeteredEmails, MeteredUsers};

/// Replacements for the dependencies the configuration would choose.
#[derive(Clone, Default)]
pub struct Overrides {
    /// The source of "now" (e.g. a `ManualClock`); the wall clock otherwise.
    pub clock: Option<Arc<dyn Clock>>,
    /// The storage engine; the one `FAROE_STORAGE_URL` names otherwise.
    pub storage: Option<Arc<dyn Storage>>,
    /// The password-strength check; the one `FAROE_PWNED_PASSWORDS` selects otherwise.
    pub password_strength: Option<Arc<dyn PasswordStrengthChecker>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The engine's message names the file or the server (password masked).
    #[error("cannot open the storage: {}", error_chain(reason))]
    Storage {
        url: StorageUrl,
        reason: StorageError,
    },
    #[error(
        "{path} (FAROE_DB_PATH) holds an upstream tiauth database, which this server does not \
         serve as it is. Import it: stop the upstream server, then run \
         `mv {path} {path}.upstream && tiauth import-upstream --from {path}.upstream`",
        path = .path.display()
    )]
    UpstreamDatabase { path: PathBuf },
    #[error(transparent)]
    UserServerClient(#[from] ClientBuildError),
    #[error(transparent)]
    PwnedPasswords(#[from] PwnedPasswordsBuildError),
    #[error("cannot use the breached-password corpus: {0}")]
    PwnedPasswordsCorpus(#[from] CorpusError),
    #[error("invalid FAROE_CORS_ALLOW_ORIGIN value {0:?}")]
    CorsOrigin(String),
    #[error("cannot listen on {addr}: the address is already in use")]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: io::Error },
    #[error("cannot start the command listener on {address}: {reason}")]
    CommandListener { address: String, reason: io::Error },
    #[error("cannot start the interactive shell: {0}")]
    Shell(io::Error),
    #[error("cannot read the listening address: {0}")]
    Serve(io::Error),
    #[error(transparent)]
    Metrics(#[from] crate::metrics::InstallError),
}

impl StartError {
    /// 2 for a configuration the user must change (as for invalid settings), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::UpstreamDatabase { .. } => 2,
            _ => 1,
        }
    }
}

/// A server ready to serve: the engine and everything around it.
pub struct App {
    pub faroe: Arc<Faroe>,
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    /// The clock `POST /test/clock` moves, with `--enable-test-clock`.
    test_clock: Option<Arc<ManualClock>>,
    enable_reset: bool,
    cors_allow_origin: Option<HeaderValue>,
    client_ip_source: ClientAddressSource,
    body_timeout: Duration,
    hashing_queue: HashingQueue,
    listener: ListenerLimits,
    /// The metrics recorder's handle, when the admin listener is configured.
    metrics: Option<PrometheusHandle>,
    /// Where the readiness check connects to the user server.
    user_server_address: String,
    /// Cancelled when serving stops.
    stopping: CancellationToken,
}

/// How often expired entries are purged from storage.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Opens the storage `config` names (the destination of `tiauth import-upstream` too).
pub async fn open_storage(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Storage>, StartError> {
    let settings = config.storage_settings();
    // An upstream database in the SQLite file is refused before the engine creates
    // anything in it.
    if let StorageUrl::Sqlite(path) = &settings.url {
        if holds_upstream_table(path) {
            return Err(StartError::UpstreamDatabase { path: path.clone() });
        }
    }
    crate::storage::open(&settings, clock)
        .await
        .map_err(|reason| StartError::Storage {
            url: settings.url,
            reason,
        })
}

/// The breached-password check `FAROE_PWNED_PASSWORDS` selects; `None` when it is off.
pub fn pwned_passwords(config: &Config) -> Result<Option<PwnedPasswords>, StartError> {
    let corpus = match &config.pwned_passwords {
        PwnedPasswordsMode::Hibp => Corpus::RangeApi(RangeApi::new(RangeApiConfig {
            base_url: config.pwned_passwords_url.clone(),
            timeout: config.pwned_passwords_timeout,
        })?),
        PwnedPasswordsMode::File(path) => Corpus::open_local(path)?,
        PwnedPasswordsMode::Off => return Ok(None),
    };
    Ok(Some(PwnedPasswords::new(
        corpus,
        config.pwned_passwords_min_count,
        config.pwned_passwords_fail_closed,
    )))
}

fn password_strength(config: &Config) -> Result<Arc<dyn PasswordStrengthChecker>, StartError> {
    Ok(match pwned_passwords(config)? {
        Some(checker) => Arc::new(checker),
        None => Arc::new(NoStrengthCheck),
    })
}

impl App {
    /// Builds the server `config` describes, with `overrides` replacing parts of it.
    pub async fn build(config: &Config, overrides: Overrides) -> Result<App, StartError> {
        // The test clock starts at the wall clock's now and stands still until moved.
        let test_clock = config
            .enable_test_clock
            .then(|| Arc::new(ManualClock::new(SystemClock.now())));
        let clock = match (&test_clock, overrides.clock) {
            (Some(test_clock), _) => test_clock.clone() as Arc<dyn Clock>,
            (None, Some(clock)) => clock,
            (None, None) => Arc::new(SystemClock),
        };
        let storage = match overrides.storage {
            Some(storage) => storage,
            None => open_storage(config, clock.clone()).await?,
        };
        // Metering decorators only with the admin listener: without it nothing reads
        // the metrics, and the request path stays as it was.
        let metrics = match config.admin_addr {
            Some(_) => Some(crate::metrics::install()?),
            None => None,
        };
        let storage: Arc<dyn Storage> = match metrics {
            Some(_) => Arc::new(MeteredStorage::new(storage)),
            None => storage,
        };
        let password_strength = match overrides.password_strength {
            Some(checker) => checker,
            None => password_strength(config)?,
        };
        let client = Arc::new(UserServerClient::new(
            &config.user_server_url(),
            config.user_server_timeout,
        )?);
        let cors_allow_origin = match &config.cors_allow_origin {
            Some(origin) => Some(
                HeaderValue::from_str(origin)
                    .map_err(|_| StartError::CorsOrigin(origin.clone()))?,
            ),
            None => None,
        };
        let (users, emails): (Arc<dyn UserStore>, Arc<dyn EmailSender>) = match metrics {
            Some(_) => (
                Arc::new(MeteredUsers::new(client.clone())),
                Arc::new(MeteredEmails::new(client)),
            ),
            None => (client.clone(), client),
        };
        let faroe = Faroe {
            storage: storage.clone(),
            users,
            emails,
            clock: clock.clone(),
            hasher: PasswordHasher::with_default_params(config.hashing_concurrency),
            password_strength,
            sessions: SessionConfig {
                expiration: config.session_expiration,
                user_cache_expiration: config.session_user_cache,
                revoke_sessions_on_password_update: config.revoke_sessions_on_password_update,
                ..SessionConfig::default()
            },
            client_limits: (config.client_ip_source != ClientAddressSource::Off)
                .then_some(config.client_limits),
        };
        let limits = &config.limits;
        let open_files = raise_open_files_limit();
        let max_connections = limits.max_connections.unwrap_or_else(|| {
            open_files.map_or(crate::config::DEFAULT_MAX_CONNECTIONS, max_connections_for)
        });
        Ok(App {
            faroe: Arc::new(faroe),
            storage,
            clock,
            test_clock,
            enable_reset: config.enable_reset,
            cors_allow_origin,
            client_ip_source: config.client_ip_source.clone(),
            body_timeout: limits.body_timeout,
            hashing_queue: HashingQueue::new(
                config.hashing_concurrency,
                limits.hashing_queue(config.hashing_concurrency),
            ),
            listener: ListenerLimits {
                name: "public",
                header_timeout: limits.header_timeout,
                idle_timeout: limits.idle_timeout,
                max_connections,
                shutdown_grace: limits.shutdown_grace,
            },
            metrics,
            user_server_address: config.user_server_address(),
            stopping: CancellationToken::new(),
        })
    }

    /// The HTTP router of this server.
    pub fn router(&self) -> axum::Router {
        let router = router(HttpState {
            faroe: self.faroe.clone(),
            storage: self.storage.clone(),
            enable_reset: self.enable_reset,
            client_ip_source: self.client_ip_source.clone(),
            body_timeout: self.body_timeout,
            hashing_queue: self.hashing_queue.clone(),
            shutdown: self.stopping.clone(),
            cors_allow_origin: self.cors_allow_origin.clone(),
            // Counting and the access log cost a little per request: only when read.
            observed: self.metrics.is_some()
                || tracing::enabled!(
                    target: crate::http::ACCESS_LOG_TARGET,
                    tracing::Level::DEBUG
                ),
        });
        match &self.test_clock {
            Some(clock) => crate::test_clock::serve_on(router, clock.clone()),
            None => router,
        }
    }

    /// The admin listener's router, when the admin listener is configured.
    pub fn admin_router(&self) -> Option<axum::Router> {
        let metrics = self.metrics.clone()?;
        Some(crate::admin::router(AdminState {
            metrics,
            storage: self.storage.clone(),
            user_server: self.user_server_address.clone(),
        }))
    }

    /// The connection cap in force (configured, or derived from the open-files limit).
    pub fn max_connections(&self) -> usize {
        self.listener.max_connections
    }

    /// Serves on `listener` until `shutdown` completes, then closes idle and incomplete
    /// connections and gives the requests in flight the shutdown grace period to finish.
    /// Expired entries are purged every [`PURGE_INTERVAL`] meanwhile, unless the engine
    /// expires them itself.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        self.serve_with_admin(listener, None, shutdown).await
    }

    /// [`App::serve`], and the admin routes on `admin` (with the public listener's
    /// timeouts and a small connection cap) until the public listener stops.
    pub async fn serve_with_admin(
        self,
        listener: TcpListener,
        admin: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let purge = (!self.storage.expires_by_itself())
            .then(|| spawn_purge_task(self.storage.clone(), self.clock.clone(), PURGE_INTERVAL));
        let admin = admin.zip(self.admin_router()).map(|(admin, router)| {
            let stopping = self.stopping.clone();
            let limits = ListenerLimits {
                name: "admin",
                max_connections: ADMIN_MAX_CONNECTIONS,
                ..self.listener
            };
            tokio::spawn(crate::http::serve(
                admin,
                router,
                limits,
                CancellationToken::new(),
                async move { stopping.cancelled().await },
            ))
        });
        crate::http::serve(
            listener,
            self.router(),
            self.listener,
            self.stopping.clone(),
            shutdown,
        )
        .await;
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        if let Some(purge) = purge {
            purge.abort();
        }
        Ok(())
    }
}

/// Runs the server `config` describes on `listener` (bind it to port 0 in tests) until
/// `shutdown` completes. The user server is expected at `http://127.0.0.2:<private port>`.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    overrides: Overrides,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    App::build(&config, overrides)
        .await?
        .serve(listener, shutdown)
        .await
}

/// Binds the public address of `config`.
pub async fn bind(config: &Config) -> Result<TcpListener, StartError> {
    let addr = SocketAddr::new(config.host, config.port);
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == io::ErrorKind::AddrInUse {
            StartError::AddressInUse { addr }
        } else {
            StartError::Bind {
                addr,
                reason: source,
            }
        }
    })
}

/// Binds the admin address of `config`, when there is one.
pub async fn bind_admin(config: &Config) -> Result<Option<TcpListener>, StartError> {
    let Some(addr) = config.admin_addr else {
        return Ok(None);
    };
    TcpListener::bind(addr)
        .await
        .map(Some)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AddrInUse => StartError::AddressInUse { addr },
            _ => StartError::Bind {
                addr,
                reason: source,
            },
        })
}

/// The whole server as the binary runs it: build, bind, log the startup line, start the
/// shell if asked, serve until `shutdown` (or the shell's `exit`).
pub async fn run(
    config: Config,
    overrides: Overrides,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = App::build(&config, overrides).await?;
    let listener = bind(&config).await?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let admin = bind_admin(&config).await?;
    let commands = match config.command_address() {
        Some(address) => Some(start_command_listener(address, app.storage.clone()).await?),
        None => None,
    };
    log_startup(&config, addr, app.max_connections());
    if let Some(admin) = &admin {
        log_admin_listener(admin.local_addr().map_err(StartError::Serve)?);
    }
    let shell_exit = if config.interactive {
        let ended = shell::spawn_on_stdin(app.storage.clone(), tokio::runtime::Handle::current())
            .map_err(StartError::Shell)?;
        Some(ended)
    } else {
        None
    };
    let stop = async move {
        let shell = async move {
            match shell_exit {
                Some(ended) => match ended.await {
                    Ok(ShellEnd::Exit) => {}
                    _ => {
                        tracing::info!(
                            "stdin closed; the interactive shell stopped, serving goes on"
                        );
                        std::future::pending::<()>().await;
                    }
                },
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = shutdown => {}
            () = shell => tracing::info!("exit requested in the interactive shell"),
        }
    };
    let served = app.serve_with_admin(listener, admin, stop).await;
    if let Some(commands) = commands {
        commands.abort();
    }
    served?;
    tracing::info!("tiauth stopped");
    Ok(())
}

async fn start_command_listener(
    address: String,
    storage: Arc<dyn Storage>,
) -> Result<tokio::task::JoinHandle<()>, StartError> {
    let failed = |reason| StartError::CommandListener {
        address: address.clone(),
        reason,
    };
    let listener = command_listener::bind(&address).await.map_err(failed)?;
    command_listener::log_listening(listener.local_addr().map_err(failed)?);
    Ok(command_listener::spawn(listener, storage))
}

fn log_admin_listener(addr: SocketAddr) {
    tracing::info!("admin listener on http://{addr} (GET /metrics, /health/live, /health/ready)");
    if !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "the admin listener is on a non-loopback address: anyone who can reach the port can read the metrics"
        );
    }
}

/// The permission bits of a file as `ls` shows them in octal (`0600`), for the startup
/// line: the database holds verification state that others must not read.
fn file_mode(path: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).map_or_else(
        |_| "unknown".to_owned(),
        |metadata| format!("{:04o}", metadata.permissions().mode() & 0o7777),
    )
}

fn log_startup(config: &Config, addr: SocketAddr, max_connections: usize) {
    let failure = if config.pwned_passwords_fail_closed {
        "fail closed"
    } else {
        "fail open"
    };
    let pwned = match &config.pwned_passwords {
        PwnedPasswordsMode::Hibp => format!(
            "hibp ({}, timeout {}, min count {}, {failure})",
            config.pwned_passwords_url,
            format_duration(config.pwned_passwords_timeout),
            config.pwned_passwords_min_count,
        ),
        PwnedPasswordsMode::File(path) => format!(
            "file ({}, min count {}, {failure})",
            path.display(),
            config.pwned_passwords_min_count,
        ),
        PwnedPasswordsMode::Off => "off".to_owned(),
    };
    let optional =
        |value: Option<std::time::Duration>| value.map_or("off".to_owned(), format_duration);
    tracing::info!(
        listen = %addr,
        storage = %config.storage_settings().url,
        storage_namespace = %config.storage.namespace,
        storage_file_mode = %file_mode(&config.db_path),
        user_server = %config.user_server_url(),
        reset_endpoint = config.enable_reset,
        test_clock = config.enable_test_clock,
        interactive = config.interactive,
        cors_allow_origin = config.cors_allow_origin.as_deref().unwrap_or("off"),
        pwned_passwords = %pwned,
        session_expiration = %optional(config.session_expiration),
        session_user_cache = %optional(config.session_user_cache),
        hashing_concurrency = config.hashing_concurrency,
        user_server_timeout = %format_duration(config.user_server_timeout),
        admin_addr = %config.admin_addr.map_or("off".to_owned(), |addr| addr.to_string()),
        log_format = config.log_format.name(),
        header_timeout = %format_duration(config.limits.header_timeout),
        body_timeout = %format_duration(config.limits.body_timeout),
        idle_timeout = %format_duration(config.limits.idle_timeout),
        max_connections,
        shutdown_grace = %format_duration(config.limits.shutdown_grace),
        hashing_queue = config.limits.hashing_queue(config.hashing_concurrency),
        "tiauth listening on http://{addr} with {} storage",
        config.storage_settings().url.engine()
    );
    if config.enable_test_clock {
        tracing::warn!(
            "POST /test/clock is enabled: the server's clock stands still until a request moves it"
        );
    }
    if config.pwned_passwords == PwnedPasswordsMode::Hibp
        && config.pwned_passwords_url.starts_with("http://")
    {
        tracing::warn!(
            url = %config.pwned_passwords_url,
            "the breached-password range API is reached over plain http: anyone on the path sees which hash ranges are checked"
        );
    }
    if config.enable_reset && !config.host.is_loopback() {
        tracing::warn!(
            host = %config.host,
            "POST /reset is enabled on a non-loopback address: anyone who can reach the port can erase all auth state"
        );
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// before this returns, so a signal arriving right after startup is not lost.
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("interrupted, finishing requests in flight"),
                _ = terminate.recv() => tracing::info!("terminated, finishing requests in flight"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("interrupted, finishing requests in flight");
            } else {
                std::future::pending::<()>().await;
            }
        })
    }
}
