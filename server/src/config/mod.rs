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

use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use cli::{normalize_args, variables_help, Cli, Variable, VARIABLES};
pub use duration::{format_duration, parse_go_duration};
pub use env_file::{parse_env_file, read_env_file, EnvFileStatus, DEFAULT_ENV_FILE};
pub use limits::{Limits, DEFAULT_MAX_CONNECTIONS, HASHING_QUEUE_PER_SLOT};
pub use resolve::resolve;

/// Where the user server listens; only its port is configurable.
pub const USER_SERVER_HOST: &str = "127.0.0.2";

/// Whether new passwords are checked against breach data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PwnedPasswordsMode {
    Hibp,
    Off,
}

/// The validated configuration of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub private_port: u16,
    pub db_path: PathBuf,
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
    pub hashing_concurrency: usize,
    pub user_server_timeout: Duration,
    /// Listener timeouts, connection cap, shutdown grace, hashing queue.
    pub limits: Limits,
    pub log_filter: String,
    pub enable_reset: bool,
    pub interactive: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::from([0, 0, 0, 0]),
            port: 3777,
            private_port: 8079,
            db_path: PathBuf::from("./db.sqlite"),
            session_expiration: Some(Duration::from_secs(2160 * 3600)),
            session_user_cache: None,
            cors_allow_origin: None,
            pwned_passwords: PwnedPasswordsMode::Hibp,
            pwned_passwords_url: "https://api.pwnedpasswords.com".to_owned(),
            pwned_passwords_timeout: Duration::from_secs(3),
            pwned_passwords_fail_closed: false,
            hashing_concurrency: default_hashing_concurrency(),
            user_server_timeout: Duration::from_secs(5),
            limits: Limits::default(),
            log_filter: "info".to_owned(),
            enable_reset: false,
            interactive: false,
        }
    }
}

fn default_hashing_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Config {
    /// `http://127.0.0.2:<private port>`, without a trailing slash.
    pub fn user_server_url(&self) -> String {
        format!("http://{USER_SERVER_HOST}:{}", self.private_port)
    }

    /// The configuration as `NAME=value` lines, one per variable and flag.
    pub fn describe(&self) -> String {
        let duration = |value: Option<Duration>| value.map_or("0".to_owned(), format_duration);
        let mut lines = vec![
            format!("FAROE_HOST={}", self.host),
            format!("FAROE_PORT={}", self.port),
            format!("FAROE_PRIVATE_PORT={}", self.private_port),
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
            format!(
                "FAROE_PWNED_PASSWORDS={}",
                match self.pwned_passwords {
                    PwnedPasswordsMode::Hibp => "hibp",
                    PwnedPasswordsMode::Off => "off",
                }
            ),
            format!("FAROE_PWNED_PASSWORDS_URL={}", self.pwned_passwords_url),
            format!(
                "FAROE_PWNED_PASSWORDS_TIMEOUT={}",
                format_duration(self.pwned_passwords_timeout)
            ),
            format!(
                "FAROE_PWNED_PASSWORDS_FAIL_CLOSED={}",
                self.pwned_passwords_fail_closed
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
            format!("--enable-reset={}", self.enable_reset),
            format!("--interactive={}", self.interactive),
        ]);
        lines.join("\n")
    }
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
