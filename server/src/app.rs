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

use crate::backend::{ClientBuildError, UserServerClient};
use crate::config::{format_duration, Config, PwnedPasswordsMode};
use crate::faroe::clock::{Clock, SystemClock};
use crate::faroe::passwords::{NoStrengthCheck, PasswordHasher, PasswordStrengthChecker};
use crate::faroe::{Faroe, SessionConfig};
use crate::http::{
    max_connections_for, raise_open_files_limit, router, HashingQueue, HttpState, ListenerLimits,
};
use crate::pwned::{PwnedPasswords, PwnedPasswordsBuildError, PwnedPasswordsConfig};
use crate::shell::{self, ShellEnd};
use crate::storage::{spawn_purge_task, SqliteStorage, Storage, StorageError};

/// Replacements for the dependencies the configuration would choose.
#[derive(Clone, Default)]
pub struct Overrides {
    /// The source of "now" (e.g. a `ManualClock`); the wall clock otherwise.
    pub clock: Option<Arc<dyn Clock>>,
    /// The storage engine; the SQLite file at `FAROE_DB_PATH` otherwise.
    pub storage: Option<Arc<dyn Storage>>,
    /// The password-strength check; the one `FAROE_PWNED_PASSWORDS` selects otherwise.
    pub password_strength: Option<Arc<dyn PasswordStrengthChecker>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The engine's message names the path.
    #[error("cannot open the storage: {reason}")]
    Storage { path: PathBuf, reason: StorageError },
    #[error(transparent)]
    UserServerClient(#[from] ClientBuildError),
    #[error(transparent)]
    PwnedPasswords(#[from] PwnedPasswordsBuildError),
    #[error("invalid FAROE_CORS_ALLOW_ORIGIN value {0:?}")]
    CorsOrigin(String),
    #[error("cannot listen on {addr}: the address is already in use")]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: io::Error },
    #[error("cannot start the interactive shell: {0}")]
    Shell(io::Error),
    #[error("cannot read the listening address: {0}")]
    Serve(io::Error),
}

/// A server ready to serve: the engine and everything around it.
pub struct App {
    pub faroe: Arc<Faroe>,
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    enable_reset: bool,
    cors_allow_origin: Option<HeaderValue>,
    body_timeout: Duration,
    hashing_queue: HashingQueue,
    listener: ListenerLimits,
    /// Cancelled when serving stops.
    stopping: CancellationToken,
}

/// How often expired entries are purged from storage.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

fn open_storage(config: &Config) -> Result<Arc<dyn Storage>, StartError> {
    let storage = SqliteStorage::open(&config.db_path).map_err(|reason| StartError::Storage {
        path: config.db_path.clone(),
        reason,
    })?;
    Ok(Arc::new(storage))
}

fn password_strength(config: &Config) -> Result<Arc<dyn PasswordStrengthChecker>, StartError> {
    Ok(match config.pwned_passwords {
        PwnedPasswordsMode::Hibp => Arc::new(PwnedPasswords::new(PwnedPasswordsConfig {
            base_url: config.pwned_passwords_url.clone(),
            timeout: config.pwned_passwords_timeout,
            fail_closed: config.pwned_passwords_fail_closed,
        })?),
        PwnedPasswordsMode::Off => Arc::new(NoStrengthCheck),
    })
}

impl App {
    /// Builds the server `config` describes, with `overrides` replacing parts of it.
    pub fn build(config: &Config, overrides: Overrides) -> Result<App, StartError> {
        let storage = match overrides.storage {
            Some(storage) => storage,
            None => open_storage(config)?,
        };
        let clock = overrides
            .clock
            .unwrap_or_else(|| Arc::new(SystemClock) as Arc<dyn Clock>);
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
        let faroe = Faroe {
            storage: storage.clone(),
            users: client.clone(),
            emails: client,
            clock: clock.clone(),
            hasher: PasswordHasher::with_default_params(config.hashing_concurrency),
            password_strength,
            sessions: SessionConfig {
                expiration: config.session_expiration,
                user_cache_expiration: config.session_user_cache,
                ..SessionConfig::default()
            },
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
            enable_reset: config.enable_reset,
            cors_allow_origin,
            body_timeout: limits.body_timeout,
            hashing_queue: HashingQueue::new(
                config.hashing_concurrency,
                limits.hashing_queue(config.hashing_concurrency),
            ),
            listener: ListenerLimits {
                header_timeout: limits.header_timeout,
                idle_timeout: limits.idle_timeout,
                max_connections,
                shutdown_grace: limits.shutdown_grace,
            },
            stopping: CancellationToken::new(),
        })
    }

    /// The HTTP router of this server.
    pub fn router(&self) -> axum::Router {
        router(
            HttpState {
                faroe: self.faroe.clone(),
                storage: self.storage.clone(),
                enable_reset: self.enable_reset,
                body_timeout: self.body_timeout,
                hashing_queue: self.hashing_queue.clone(),
                shutdown: self.stopping.clone(),
            },
            self.cors_allow_origin.clone(),
        )
    }

    /// The connection cap in force (configured, or derived from the open-files limit).
    pub fn max_connections(&self) -> usize {
        self.listener.max_connections
    }

    /// Serves on `listener` until `shutdown` completes, then closes idle and incomplete
    /// connections and gives the requests in flight the shutdown grace period to finish.
    /// Expired entries are purged every [`PURGE_INTERVAL`] meanwhile.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let purge = spawn_purge_task(self.storage.clone(), self.clock.clone(), PURGE_INTERVAL);
        crate::http::serve(
            listener,
            self.router(),
            self.listener,
            self.stopping.clone(),
            shutdown,
        )
        .await;
        purge.abort();
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
    App::build(&config, overrides)?
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

/// The whole server as the binary runs it: build, bind, log the startup line, start the
/// shell if asked, serve until `shutdown` (or the shell's `exit`).
pub async fn run(
    config: Config,
    overrides: Overrides,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = App::build(&config, overrides)?;
    let listener = bind(&config).await?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    log_startup(&config, addr, app.max_connections());
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
    app.serve(listener, stop).await?;
    tracing::info!("tiauth stopped");
    Ok(())
}

fn log_startup(config: &Config, addr: SocketAddr, max_connections: usize) {
    let pwned = match config.pwned_passwords {
        PwnedPasswordsMode::Hibp => format!(
            "hibp ({}, timeout {}, {})",
            config.pwned_passwords_url,
            format_duration(config.pwned_passwords_timeout),
            if config.pwned_passwords_fail_closed {
                "fail closed"
            } else {
                "fail open"
            }
        ),
        PwnedPasswordsMode::Off => "off".to_owned(),
    };
    let optional =
        |value: Option<std::time::Duration>| value.map_or("off".to_owned(), format_duration);
    tracing::info!(
        listen = %addr,
        storage = %config.db_path.display(),
        user_server = %config.user_server_url(),
        reset_endpoint = config.enable_reset,
        interactive = config.interactive,
        cors_allow_origin = config.cors_allow_origin.as_deref().unwrap_or("off"),
        pwned_passwords = %pwned,
        session_expiration = %optional(config.session_expiration),
        session_user_cache = %optional(config.session_user_cache),
        hashing_concurrency = config.hashing_concurrency,
        user_server_timeout = %format_duration(config.user_server_timeout),
        header_timeout = %format_duration(config.limits.header_timeout),
        body_timeout = %format_duration(config.limits.body_timeout),
        idle_timeout = %format_duration(config.limits.idle_timeout),
        max_connections,
        shutdown_grace = %format_duration(config.limits.shutdown_grace),
        hashing_queue = config.limits.hashing_queue(config.hashing_concurrency),
        "tiauth listening on http://{addr}"
    );
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
