//! Configuration: command-line flags, the environment, an env file and defaults, resolved
//! into one validated [`Config`].
//!
//! Precedence, highest first: flag, OS environment, env file, default. An empty value
//! counts as unset at every level, so it falls through to the next one.

mod cli;
mod duration;
mod env_file;
mod limits;
mod resolve;
mod storage;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::client_address::ClientAddressSource;
use crate::faroe::client_limits::ClientLimits;
use crate::faroe::rate_limit::Limit;

pub use cli::{normalize_args, variables_help, Cli, Command, ImportUpstream, Variable, VARIABLES};
pub use duration::{format_duration, parse_go_duration};
pub use env_file::{parse_env_file, read_env_file, EnvFileStatus, DEFAULT_ENV_FILE};
pub use limits::{Limits, DEFAULT_MAX_CONNECTIONS, HASHING_QUEUE_PER_SLOT};
pub use resolve::resolve;
pub use storage::{StorageConfig, STORAGE_VARIABLES};

/// The default host of the user server and of the command listener.
pub const DEFAULT_PRIVATE_HOST: &str = "127.0.0.2";

/// Whether, and where, new passwords are looked up in the breached-password corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PwnedPasswordsMode {
    /// The range API at `pwned_passwords_url`.
    Hibp,
    /// A local corpus: one sorted file, or a directory of range files.
    File(PathBuf),
    Off,
}

impl std::fmt::Display for PwnedPasswordsMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PwnedPasswordsMode::Hibp => f.write_str("hibp"),
            PwnedPasswordsMode::File(path) => write!(f, "file:{}", path.display()),
            PwnedPasswordsMode::Off => f.write_str("off"),
        }
    }
}

/// The validated configuration of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    /// The user server's port (`FAROE_PRIVATE_PORT` or `FAROE_USER_SERVER_PORT`).
    pub private_port: u16,
    /// The user server's host and the command listener's: an IP address or a host name.
    pub private_host: String,
    /// `None`: no command listener.
    pub command_port: Option<u16>,
    /// `None`: no admin listener (metrics, health).
    pub admin_addr: Option<SocketAddr>,
    pub db_path: PathBuf,
    /// The storage engine; unset, SQLite at `db_path`.
    pub storage: StorageConfig,
    /// `None`: sessions have no absolute expiry.
    pub session_expiration: Option<Duration>,
    /// `None`: the user is looked up on every session check.
    pub session_user_cache: Option<Duration>,
    /// `None`: no CORS headers.
    pub cors_allow_origin: Option<String>,
    pub pwned_passwords: PwnedPasswordsMode,
    pub pwned_passwords_url: String,
    pub pwned_passwords_timeout: Duration,
    pub pwned_passwords_fail_closed: bool,
    /// A password counts as breached when listed at least this many times (≥ 1).
    pub pwned_passwords_min_count: u64,
    pub hashing_concurrency: usize,
    pub user_server_timeout: Duration,
    /// Listener timeouts, connection cap, shutdown grace, hashing queue.
    pub limits: Limits,
    pub log_filter: String,
    pub log_format: crate::logging::LogFormat,
    pub enable_reset: bool,
    /// Serve `POST /test/clock` (a frozen, settable clock); only on loopback hosts.
    pub enable_test_clock: bool,
    pub interactive: bool,
    /// Whether a completed password update signs out every session of the user.
    pub revoke_sessions_on_password_update: bool,
    /// Where per-client rate limits take the client's address from (off by default).
    pub client_ip_source: ClientAddressSource,
    pub client_limits: ClientLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::from([0, 0, 0, 0]),
            port: 3777,
            private_port: 8079,
            private_host: DEFAULT_PRIVATE_HOST.to_owned(),
            command_port: None,
            admin_addr: None,
            db_path: PathBuf::from("./db.sqlite"),
            storage: StorageConfig::default(),
            session_expiration: Some(crate::faroe::DEFAULT_SESSION_EXPIRATION),
            session_user_cache: None,
            cors_allow_origin: None,
            pwned_passwords: PwnedPasswordsMode::Hibp,
            pwned_passwords_url: crate::pwned::DEFAULT_BASE_URL.to_owned(),
            pwned_passwords_timeout: crate::pwned::DEFAULT_TIMEOUT,
            pwned_passwords_fail_closed: false,
            pwned_passwords_min_count: 1,
            hashing_concurrency: default_hashing_concurrency(),
            user_server_timeout: Duration::from_secs(5),
            limits: Limits::default(),
            log_filter: "info".to_owned(),
            log_format: crate::logging::LogFormat::Text,
            enable_reset: false,
            enable_test_clock: false,
            interactive: false,
            revoke_sessions_on_password_update: false,
            client_ip_source: ClientAddressSource::Off,
            client_limits: ClientLimits::default(),
        }
    }
}

fn default_hashing_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Config {
    /// `http://<private host>:<private port>`, without a trailing slash.
    pub fn user_server_url(&self) -> String {
        format!("http://{}", self.user_server_address())
    }

    /// `<private host>:<private port>`: where the user server accepts connections.
    pub fn user_server_address(&self) -> String {
        format!("{}:{}", self.url_host(), self.private_port)
    }

    /// The command listener's address, `<private host>:<port>`, when one is configured.
    pub fn command_address(&self) -> Option<String> {
        self.command_port
            .map(|port| format!("{}:{port}", self.url_host()))
    }

    /// The private host as it goes before `:port` (an IPv6 address in brackets).
    fn url_host(&self) -> String {
        match self.private_host.parse::<IpAddr>() {
            Ok(IpAddr::V6(address)) => format!("[{address}]"),
            _ => self.private_host.clone(),
        }
    }

    /// Where the auth state lives.
    pub fn storage_settings(&self) -> crate::storage::StorageSettings {
        self.storage.settings(&self.db_path)
    }

    /// The configuration as `NAME=value` lines, one per variable and flag.
    pub fn describe(&self) -> String {
        let duration = |value: Option<Duration>| value.map_or("0".to_owned(), format_duration);
        let mut lines = vec![
            format!("FAROE_HOST={}", self.host),
            format!("FAROE_PORT={}", self.port),
            format!("FAROE_PRIVATE_PORT={}", self.private_port),
            format!("FAROE_USER_SERVER_PORT={}", self.private_port),
            format!("FAROE_PRIVATE_HOST={}", self.private_host),
            format!(
                "FAROE_COMMAND_PORT={}",
                self.command_port
                    .map_or(String::new(), |port| port.to_string())
            ),
            format!(
                "FAROE_ADMIN_ADDR={}",
                self.admin_addr
                    .map_or(String::new(), |addr| addr.to_string())
            ),
            format!("FAROE_DB_PATH={}", self.db_path.display()),
            format!(
                "FAROE_SESSION_EXPIRATION={}",
                duration(self.session_expiration)
            ),
            format!(
                "FAROE_SESSION_USER_CACHE={}",
                duration(self.session_user_cache)
            ),
            format!(
                "FAROE_CORS_ALLOW_ORIGIN={}",
                self.cors_allow_origin.as_deref().unwrap_or("")
            ),
            format!("FAROE_PWNED_PASSWORDS={}", self.pwned_passwords),
            format!("FAROE_PWNED_PASSWORDS_URL={}", self.pwned_passwords_url),
            format!(
                "FAROE_PWNED_PASSWORDS_TIMEOUT={}",
                format_duration(self.pwned_passwords_timeout)
            ),
            format!(
                "FAROE_PWNED_PASSWORDS_FAIL_CLOSED={}",
                self.pwned_passwords_fail_closed
            ),
            format!(
                "FAROE_PWNED_PASSWORDS_MIN_COUNT={}",
                self.pwned_passwords_min_count
            ),
            format!("FAROE_HASHING_CONCURRENCY={}", self.hashing_concurrency),
            format!(
                "FAROE_USER_SERVER_TIMEOUT={}",
                format_duration(self.user_server_timeout)
            ),
        ];
        lines.extend(self.limits.describe());
        lines.extend([
            format!("FAROE_LOG={}", self.log_filter),
            format!("FAROE_LOG_FORMAT={}", self.log_format.name()),
            format!(
                "FAROE_REVOKE_SESSIONS_ON_PASSWORD_UPDATE={}",
                self.revoke_sessions_on_password_update
            ),
            format!("FAROE_CLIENT_IP_SOURCE={}", self.client_ip_source.name()),
            format!(
                "FAROE_TRUSTED_PROXIES={}",
                self.client_ip_source.trusted_proxies()
            ),
            format!(
                "FAROE_RATE_LIMIT_CLIENT_ATTEMPTS={}",
                format_limit(self.client_limits.attempts_per_client)
            ),
            format!(
                "FAROE_RATE_LIMIT_SUBJECT_ATTEMPTS={}",
                format_limit(self.client_limits.attempts_per_subject)
            ),
            format!(
                "FAROE_RATE_LIMIT_CLIENT_CREATIONS={}",
                format_limit(self.client_limits.creations_per_client)
            ),
            format!("--enable-reset={}", self.enable_reset),
            format!("--enable-test-clock={}", self.enable_test_clock),
            format!("--interactive={}", self.interactive),
        ]);
        lines.extend(self.storage.describe(&self.db_path));
        lines.join("\n")
    }
}

/// A bucket size as `FAROE_RATE_LIMIT_*` takes it: `CAPACITY/WINDOW`, the window
/// being how long an empty bucket takes to fill again.
pub fn format_limit(limit: Limit) -> String {
    format!(
        "{}/{}",
        limit.capacity,
        format_duration(limit.refill_every * limit.capacity)
    )
}

/// A configuration and where its env file came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub env_file: EnvFileStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("env file {} (given with --env-file) does not exist", .0.display())]
    EnvFileMissing(PathBuf),
    #[error("cannot read env file {}: {source}", .path.display())]
    EnvFileUnreadable { path: PathBuf, source: io::Error },
    #[error("env file {}, line {line}: {reason}", .path.display())]
    EnvFileSyntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{first} and {second} name the same setting but differ ({first_value} and {second_value}); set one of them")]
    Conflict {
        first: String,
        first_value: String,
        second: String,
        second_value: String,
    },
    #[error("invalid {name} value {value:?}: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
}

impl ConfigError {
    /// Every configuration problem is a usage error: status 2.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Loads the configuration from the flags, the process environment and the env file.
pub fn load(cli: &Cli) -> Result<LoadedConfig, ConfigError> {
    let (file, env_file) = read_env_file(cli)?;
    let os = |name: &str| std::env::var(name).ok();
    let config = resolve(cli, &os, &file)?;
    Ok(LoadedConfig { config, env_file })
}
