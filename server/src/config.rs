//! Configuration: command-line flags, the environment, an env file and defaults, resolved
//! into one validated [`Config`].
//!
//! Precedence, highest first: flag, OS environment, env file, default. An empty value
//! counts as unset at every level, so it falls through to the next one.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

/// Where the user server listens; only its port is configurable.
pub const USER_SERVER_HOST: &str = "127.0.0.2";

/// The env file read when `--env-file` is not given.
pub const DEFAULT_ENV_FILE: &str = ".env";

/// Lines of an env file longer than this are an error.
const MAX_ENV_LINE_BYTES: usize = 64 * 1024;

/// One environment variable the server reads.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub description: &'static str,
}

/// Every environment variable, in the order `--help` and the README list them.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "FAROE_HOST",
        default: "0.0.0.0",
        description: "IP address the public HTTP server listens on",
    },
    Variable {
        name: "FAROE_PORT",
        default: "3777",
        description: "port of the public HTTP server (0 picks a free one)",
    },
    Variable {
        name: "FAROE_PRIVATE_PORT",
        default: "8079",
        description: "port of the user server, always reached at 127.0.0.2",
    },
    Variable {
        name: "FAROE_DB_PATH",
        default: "./db.sqlite",
        description: "SQLite file keeping signups, signins, sessions and rate limits",
    },
    Variable {
        name: "FAROE_SESSION_EXPIRATION",
        default: "2160h",
        description: "absolute session lifetime as a Go duration (1h30m, 90m, 1.5h); 0 disables it",
    },
    Variable {
        name: "FAROE_SESSION_USER_CACHE",
        default: "0",
        description: "how long session checks may trust the last user lookup; 0 looks the user up every time",
    },
    Variable {
        name: "FAROE_CORS_ALLOW_ORIGIN",
        default: "(empty)",
        description: "origin sent in CORS headers on every response; empty sends no CORS headers",
    },
    Variable {
        name: "FAROE_PWNED_PASSWORDS",
        default: "hibp",
        description: "breached-password check for new passwords: hibp (k-anonymity range API) or off",
    },
    Variable {
        name: "FAROE_PWNED_PASSWORDS_URL",
        default: "https://api.pwnedpasswords.com",
        description: "base URL of the range API",
    },
    Variable {
        name: "FAROE_PWNED_PASSWORDS_TIMEOUT",
        default: "3s",
        description: "timeout of one range API request",
    },
    Variable {
        name: "FAROE_PWNED_PASSWORDS_FAIL_CLOSED",
        default: "false",
        description: "when the range API is unreachable: false accepts the password, true fails with internal_error",
    },
    Variable {
        name: "FAROE_HASHING_CONCURRENCY",
        default: "number of CPUs",
        description: "how many Argon2id hashes may run at once",
    },
    Variable {
        name: "FAROE_USER_SERVER_TIMEOUT",
        default: "5s",
        description: "connect and request timeout of calls to the user server",
    },
    Variable {
        name: "FAROE_LOG",
        default: "info",
        description: "log filter (tracing-subscriber EnvFilter syntax, e.g. debug or tiauth_faroe=debug)",
    },
];

/// The command line of `tiauth`.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "tiauth",
    version,
    about = "Tiauth Faroe: an e-mail and password auth server speaking the Faroe action protocol",
    long_about = None
)]
pub struct Cli {
    /// Env file to read variables from [default: .env; a missing default file is fine,
    /// a missing file named here is an error]
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// Read commands (reset, help, exit) from stdin while serving
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub interactive: bool,

    /// Serve POST /reset, which deletes all stored state without authentication
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub enable_reset: bool,

    /// Port of the user server; overrides FAROE_PRIVATE_PORT (0 keeps it)
    #[arg(long, value_name = "N")]
    pub private_port: Option<u16>,

    /// IP address to listen on; overrides FAROE_HOST
    #[arg(long, value_name = "ADDRESS")]
    pub host: Option<String>,

    /// Port to listen on; overrides FAROE_PORT
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// SQLite file; overrides FAROE_DB_PATH
    #[arg(long, value_name = "PATH")]
    pub db_path: Option<PathBuf>,

    /// Print the resolved configuration and exit without serving
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub check_config: bool,
}

/// Long flag names that may also be written with a single dash.
const SINGLE_DASH_FLAGS: &[&str] = &[
    "env-file",
    "interactive",
    "enable-reset",
    "private-port",
    "host",
    "port",
    "db-path",
    "check-config",
    "help",
    "version",
];

/// Rewrites `-flag` and `-flag=value` into `--flag…` for the long flags, so both
/// spellings work. Everything after a bare `--` is left alone.
pub fn normalize_args<I, T>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut normalized = Vec::new();
    let mut passthrough = false;
    for (index, arg) in args.into_iter().enumerate() {
        let arg: OsString = arg.into();
        if index == 0 || passthrough {
            normalized.push(arg);
            continue;
        }
        if arg == "--" {
            passthrough = true;
            normalized.push(arg);
            continue;
        }
        let rewritten = arg.to_str().and_then(|text| {
            let rest = text.strip_prefix('-')?;
            if rest.starts_with('-') {
                return None;
            }
            let name = rest.split_once('=').map_or(rest, |(name, _)| name);
            SINGLE_DASH_FLAGS
                .contains(&name)
                .then(|| OsString::from(format!("-{text}")))
        });
        normalized.push(rewritten.unwrap_or(arg));
    }
    normalized
}

/// The help text listing every environment variable.
pub fn variables_help() -> String {
    let width = VARIABLES.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let mut text = String::from(
        "Environment variables (flag > OS environment > env file > default; empty means unset):\n",
    );
    for variable in VARIABLES {
        text.push_str(&format!(
            "  {:width$}  {} [default: {}]\n",
            variable.name, variable.description, variable.default
        ));
    }
    text.push_str(
        "\nExit status: 0 after a clean shutdown, 2 for invalid flags or configuration \
         (including a missing --env-file), 1 for other startup failures.",
    );
    text
}

impl Cli {
    /// Parses the command line, accepting single-dash long flags. Exits on `--help`,
    /// `--version` and usage errors (status 2), as clap does.
    pub fn parse_args<I, T>(args: I) -> Cli
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let matches = Cli::command()
            .after_help(variables_help())
            .get_matches_from(normalize_args(args));
        match Cli::from_arg_matches(&matches) {
            Ok(cli) => cli,
            Err(error) => error.exit(),
        }
    }
}

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
        let lines = [
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
            format!("FAROE_LOG={}", self.log_filter),
            format!("--enable-reset={}", self.enable_reset),
            format!("--interactive={}", self.interactive),
        ];
        lines.join("\n")
    }
}

/// What happened to the env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFileStatus {
    Loaded(PathBuf),
    /// The default `.env` does not exist; only the OS environment and defaults apply.
    DefaultMissing(PathBuf),
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

/// Parses env file contents: one `KEY=value` per line; blank lines, lines starting with
/// `#` and lines without `=` are skipped; key and value are trimmed; one pair of
/// matching surrounding quotes is removed from the value; a later key wins. Inline
/// `#` is part of the value and there is no escape processing or `export` handling.
pub fn parse_env_file(contents: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut values = HashMap::new();
    for (index, raw_line) in contents.split('\n').enumerate() {
        if raw_line.len() > MAX_ENV_LINE_BYTES {
            return Err((index + 1, "line longer than 64 KiB".to_owned()));
        }
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        values.insert(key.trim().to_owned(), unquote(value.trim()).to_owned());
    }
    Ok(values)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// Reads the env file `cli` names (or the default one).
pub fn read_env_file(cli: &Cli) -> Result<(HashMap<String, String>, EnvFileStatus), ConfigError> {
    let (path, explicit) = match &cli.env_file {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from(DEFAULT_ENV_FILE), false),
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return if explicit {
                Err(ConfigError::EnvFileMissing(path))
            } else {
                Ok((HashMap::new(), EnvFileStatus::DefaultMissing(path)))
            };
        }
        Err(source) => return Err(ConfigError::EnvFileUnreadable { path, source }),
    };
    let contents = String::from_utf8_lossy(&bytes);
    let values =
        parse_env_file(&contents).map_err(|(line, reason)| ConfigError::EnvFileSyntax {
            path: path.clone(),
            line,
            reason,
        })?;
    Ok((values, EnvFileStatus::Loaded(path)))
}

/// Loads the configuration from the flags, the process environment and the env file.
pub fn load(cli: &Cli) -> Result<LoadedConfig, ConfigError> {
    let (file, env_file) = read_env_file(cli)?;
    let os = |name: &str| std::env::var(name).ok();
    let config = resolve(cli, &os, &file)?;
    Ok(LoadedConfig { config, env_file })
}

fn invalid(name: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Resolves every setting: flag, then `os`, then `file`, then the default.
pub fn resolve(
    cli: &Cli,
    os: &dyn Fn(&str) -> Option<String>,
    file: &HashMap<String, String>,
) -> Result<Config, ConfigError> {
    let lookup = |name: &str| -> Option<String> {
        os(name)
            .filter(|value| !value.is_empty())
            .or_else(|| file.get(name).filter(|value| !value.is_empty()).cloned())
    };
    let defaults = Config::default();

    let host = match &cli.host {
        Some(value) => parse_host("--host", value)?,
        None => match lookup("FAROE_HOST") {
            Some(value) => parse_host("FAROE_HOST", &value)?,
            None => defaults.host,
        },
    };
    let port = match cli.port {
        Some(port) => port,
        None => match lookup("FAROE_PORT") {
            Some(value) => parse_port("FAROE_PORT", &value, true)?,
            None => defaults.port,
        },
    };
    let private_port = match cli.private_port.filter(|port| *port != 0) {
        Some(port) => port,
        None => match lookup("FAROE_PRIVATE_PORT") {
            Some(value) => parse_port("FAROE_PRIVATE_PORT", &value, false)?,
            None => defaults.private_port,
        },
    };
    let db_path = match &cli.db_path {
        Some(path) if !path.as_os_str().is_empty() => path.clone(),
        _ => lookup("FAROE_DB_PATH").map_or(defaults.db_path, PathBuf::from),
    };
    let session_expiration = match lookup("FAROE_SESSION_EXPIRATION") {
        Some(value) => optional_duration("FAROE_SESSION_EXPIRATION", &value)?,
        None => defaults.session_expiration,
    };
    let session_user_cache = match lookup("FAROE_SESSION_USER_CACHE") {
        Some(value) => optional_duration("FAROE_SESSION_USER_CACHE", &value)?,
        None => defaults.session_user_cache,
    };
    let cors_allow_origin = match lookup("FAROE_CORS_ALLOW_ORIGIN") {
        Some(value) => {
            if axum::http::HeaderValue::from_str(&value).is_err() {
                return Err(invalid(
                    "FAROE_CORS_ALLOW_ORIGIN",
                    &value,
                    "not usable as an HTTP header value",
                ));
            }
            Some(value)
        }
        None => None,
    };
    let pwned_passwords = match lookup("FAROE_PWNED_PASSWORDS") {
        Some(value) => match value.to_ascii_lowercase().as_str() {
            "hibp" => PwnedPasswordsMode::Hibp,
            "off" => PwnedPasswordsMode::Off,
            _ => {
                return Err(invalid(
                    "FAROE_PWNED_PASSWORDS",
                    &value,
                    "expected hibp or off",
                ))
            }
        },
        None => defaults.pwned_passwords,
    };
    let pwned_passwords_url = match lookup("FAROE_PWNED_PASSWORDS_URL") {
        Some(value) => parse_base_url("FAROE_PWNED_PASSWORDS_URL", &value)?,
        None => defaults.pwned_passwords_url,
    };
    let pwned_passwords_timeout = match lookup("FAROE_PWNED_PASSWORDS_TIMEOUT") {
        Some(value) => positive_duration("FAROE_PWNED_PASSWORDS_TIMEOUT", &value)?,
        None => defaults.pwned_passwords_timeout,
    };
    let pwned_passwords_fail_closed = match lookup("FAROE_PWNED_PASSWORDS_FAIL_CLOSED") {
        Some(value) => parse_bool("FAROE_PWNED_PASSWORDS_FAIL_CLOSED", &value)?,
        None => defaults.pwned_passwords_fail_closed,
    };
    let hashing_concurrency = match lookup("FAROE_HASHING_CONCURRENCY") {
        Some(value) => match value.parse::<usize>() {
            Ok(count) if (1..=1024).contains(&count) => count,
            _ => {
                return Err(invalid(
                    "FAROE_HASHING_CONCURRENCY",
                    &value,
                    "expected a whole number from 1 to 1024",
                ))
            }
        },
        None => defaults.hashing_concurrency,
    };
    let user_server_timeout = match lookup("FAROE_USER_SERVER_TIMEOUT") {
        Some(value) => positive_duration("FAROE_USER_SERVER_TIMEOUT", &value)?,
        None => defaults.user_server_timeout,
    };
    let log_filter = match lookup("FAROE_LOG") {
        Some(value) => {
            if let Err(error) = tracing_subscriber::EnvFilter::try_new(&value) {
                return Err(invalid("FAROE_LOG", &value, error.to_string()));
            }
            value
        }
        None => defaults.log_filter,
    };

    Ok(Config {
        host,
        port,
        private_port,
        db_path,
        session_expiration,
        session_user_cache,
        cors_allow_origin,
        pwned_passwords,
        pwned_passwords_url,
        pwned_passwords_timeout,
        pwned_passwords_fail_closed,
        hashing_concurrency,
        user_server_timeout,
        log_filter,
        enable_reset: cli.enable_reset,
        interactive: cli.interactive,
    })
}

fn parse_host(name: &str, value: &str) -> Result<IpAddr, ConfigError> {
    value
        .parse()
        .map_err(|_| invalid(name, value, "expected an IP address such as 0.0.0.0 or ::1"))
}

fn parse_port(name: &str, value: &str, zero_allowed: bool) -> Result<u16, ConfigError> {
    match value.parse::<u16>() {
        Ok(0) if !zero_allowed => Err(invalid(name, value, "expected a port from 1 to 65535")),
        Ok(port) => Ok(port),
        Err(_) if zero_allowed => Err(invalid(name, value, "expected a port from 0 to 65535")),
        Err(_) => Err(invalid(name, value, "expected a port from 1 to 65535")),
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, value, "expected true or false")),
    }
}

fn parse_base_url(name: &str, value: &str) -> Result<String, ConfigError> {
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(invalid(name, value, "expected an http or https URL")),
    }
}

/// A non-negative duration; `0` means "off".
fn optional_duration(name: &str, value: &str) -> Result<Option<Duration>, ConfigError> {
    let nanos = parse_go_duration(value).map_err(|reason| invalid(name, value, reason))?;
    match u64::try_from(nanos) {
        Ok(0) => Ok(None),
        Ok(nanos) => Ok(Some(Duration::from_nanos(nanos))),
        Err(_) => Err(invalid(name, value, "must not be negative")),
    }
}

fn positive_duration(name: &str, value: &str) -> Result<Duration, ConfigError> {
    let nanos = parse_go_duration(value).map_err(|reason| invalid(name, value, reason))?;
    match u64::try_from(nanos) {
        Ok(nanos) if nanos > 0 => Ok(Duration::from_nanos(nanos)),
        _ => Err(invalid(name, value, "must be greater than zero")),
    }
}

/// Parses a duration in Go's syntax (`time.ParseDuration`): an optional sign, then one or
/// more decimal numbers, each with an optional fraction and a unit (`ns`, `us`/`µs`/`μs`,
/// `ms`, `s`, `m`, `h`), such as `2160h`, `1h30m`, `1.5h` or `300ms`; a bare `0` is also
/// accepted. Returns nanoseconds.
pub fn parse_go_duration(text: &str) -> Result<i64, String> {
    const UNITS: &[(&str, i128)] = &[
        ("ns", 1),
        ("us", 1_000),
        ("µs", 1_000),
        ("μs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    let syntax = || "not a duration (examples: 2160h, 1h30m, 90m, 1.5h, 300ms)".to_owned();
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(syntax());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let integer_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (integer, after) = rest.split_at(integer_digits);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after_dot) => {
                let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(digits)
            }
            None => ("", after),
        };
        if integer.is_empty() && fraction.is_empty() {
            return Err(syntax());
        }
        let unit_length = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(index, _)| index);
        let (unit, after) = after.split_at(unit_length);
        let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                "missing unit (one of ns, us, ms, s, m, h)".to_owned()
            } else {
                format!("unknown unit {unit:?} (one of ns, us, ms, s, m, h)")
            });
        };
        let too_large = || "too large".to_owned();
        let mut value: i128 = 0;
        for digit in integer.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i128::from(digit - b'0')))
                .filter(|v| *v <= i128::from(i64::MAX))
                .ok_or_else(too_large)?;
        }
        value = value.checked_mul(scale).ok_or_else(too_large)?;
        // Fraction digits beyond nanosecond precision do not matter.
        let mut fraction_value: i128 = 0;
        let mut fraction_scale: i128 = 1;
        for digit in fraction.bytes().take(18) {
            fraction_value = fraction_value * 10 + i128::from(digit - b'0');
            fraction_scale *= 10;
        }
        value += fraction_value * scale / fraction_scale;
        total = total
            .checked_add(value)
            .filter(|v| *v <= i128::from(i64::MAX) + 1)
            .ok_or_else(too_large)?;
        rest = after;
    }
    let signed = if negative { -total } else { total };
    i64::try_from(signed).map_err(|_| "too large".to_owned())
}

/// Formats a duration in Go's style (`2160h0m0s`, `1.5s`, `300ms`).
pub fn format_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        let (value, unit, scale) = if nanos < 1_000 {
            (nanos, "ns", 1)
        } else if nanos < 1_000_000 {
            (nanos, "µs", 1_000)
        } else {
            (nanos, "ms", 1_000_000)
        };
        return format!("{}{unit}", decimal(value, scale));
    }
    let total_seconds = nanos / 1_000_000_000;
    let hours = total_seconds / 3600;
    let minutes = (total_seconds % 3600) / 60;
    let seconds = decimal(nanos % 60_000_000_000, 1_000_000_000);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

fn decimal(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let fraction = value % scale;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn go_durations_parse_like_go() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("+0", 0),
            ("-0", 0),
            ("2160h", 2160 * 3600 * SECOND),
            ("1h30m", 5400 * SECOND),
            ("90m", 5400 * SECOND),
            ("1.5h", 5400 * SECOND),
            ("300ms", 300_000_000),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("1.s", SECOND),
            ("3s", 3 * SECOND),
            ("-1h", -3600 * SECOND),
            ("1h1m1s1ms1us1ns", 3661 * SECOND + 1_001_001),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("0s", 0),
            ("0.000000001s", 1),
            ("0.0000000019s", 1),
            ("2562047h47m16.854775807s", i64::MAX),
        ];
        for (text, nanos) in cases {
            assert_eq!(parse_go_duration(text), Ok(*nanos), "{text}");
        }
    }

    #[test]
    fn bad_go_durations_are_rejected() {
        for text in [
            "", "-", "+", "1", "10", "h", ".h", "1x", "1hh", "1h30", " 1h", "1h ", "1.2.3s",
            "1e3s", "2562048h", "abc", "1 h", "--1h",
        ] {
            assert!(parse_go_duration(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn durations_format_like_go() {
        assert_eq!(
            format_duration(Duration::from_secs(2160 * 3600)),
            "2160h0m0s"
        );
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m0s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(3)), "3s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_secs(61)), "1m1s");
    }

    #[test]
    fn env_file_lines_follow_the_rules() {
        let contents = "\u{feff}FIRST=1\r\n\
            # a comment\n\
            \n\
            no equals sign\n\
            \t SPACED  =  value with spaces  \n\
            INLINE=b # c\n\
            DOUBLE=\"quoted\"\n\
            SINGLE='quoted'\n\
            MIXED=\"mixed'\n\
            LONE=\"\n\
            LONE_SINGLE='\n\
            TWICE=\"\"a\"\"\n\
            export EXPORTED=1\n\
            EQUALS=a=b=c\n\
            =empty key\n\
            DUP=first\n\
            DUP=second\n\
            EMPTY=\n\
            LAST=no newline";
        let values = parse_env_file(contents).expect("parses");
        let get = |key: &str| values.get(key).map(String::as_str);
        assert_eq!(get("\u{feff}FIRST"), Some("1"));
        assert_eq!(get("FIRST"), None);
        assert_eq!(get("SPACED"), Some("value with spaces"));
        assert_eq!(get("INLINE"), Some("b # c"));
        assert_eq!(get("DOUBLE"), Some("quoted"));
        assert_eq!(get("SINGLE"), Some("quoted"));
        assert_eq!(get("MIXED"), Some("\"mixed'"));
        assert_eq!(get("LONE"), Some("\""));
        assert_eq!(get("LONE_SINGLE"), Some("'"));
        assert_eq!(get("TWICE"), Some("\"a\""));
        assert_eq!(get("export EXPORTED"), Some("1"));
        assert_eq!(get("EXPORTED"), None);
        assert_eq!(get("EQUALS"), Some("a=b=c"));
        assert_eq!(get(""), Some("empty key"));
        assert_eq!(get("DUP"), Some("second"));
        assert_eq!(get("EMPTY"), Some(""));
        assert_eq!(get("LAST"), Some("no newline"));
        assert!(!values.contains_key("no equals sign"));
        assert!(!values.keys().any(|key| key.starts_with('#')));
    }

    #[test]
    fn env_file_rejects_overlong_lines() {
        let contents = format!("A=1\nB={}\n", "x".repeat(MAX_ENV_LINE_BYTES));
        assert_eq!(
            parse_env_file(&contents).map(|_| ()),
            Err((2, "line longer than 64 KiB".to_owned()))
        );
        let fits = format!("B={}", "x".repeat(MAX_ENV_LINE_BYTES - 2));
        assert!(parse_env_file(&fits).is_ok());
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn resolve_with(
        cli: &Cli,
        os: &[(&str, &str)],
        file: &[(&str, &str)],
    ) -> Result<Config, ConfigError> {
        let os = env(os);
        let lookup = move |name: &str| os.get(name).cloned();
        resolve(cli, &lookup, &env(file))
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = resolve_with(&Cli::default(), &[], &[]).expect("valid");
        assert_eq!(config, Config::default());
        assert_eq!(config.user_server_url(), "http://127.0.0.2:8079");
        assert_eq!(
            config.session_expiration,
            Some(Duration::from_secs(7_776_000))
        );
    }

    #[test]
    fn flags_beat_os_environment_beats_file() {
        let file = [
            ("FAROE_PORT", "1001"),
            ("FAROE_PRIVATE_PORT", "2001"),
            ("FAROE_HOST", "10.0.0.1"),
            ("FAROE_DB_PATH", "file.sqlite"),
            ("FAROE_SESSION_EXPIRATION", "1h"),
            ("FAROE_CORS_ALLOW_ORIGIN", "https://file.example"),
        ];
        let os = [
            ("FAROE_PORT", "1002"),
            ("FAROE_PRIVATE_PORT", "2002"),
            ("FAROE_HOST", "10.0.0.2"),
            ("FAROE_DB_PATH", "os.sqlite"),
        ];
        let from_file = resolve_with(&Cli::default(), &[], &file).expect("valid");
        assert_eq!(from_file.port, 1001);
        assert_eq!(from_file.private_port, 2001);
        assert_eq!(from_file.host.to_string(), "10.0.0.1");
        assert_eq!(from_file.db_path, PathBuf::from("file.sqlite"));
        assert_eq!(
            from_file.session_expiration,
            Some(Duration::from_secs(3600))
        );

        let from_os = resolve_with(&Cli::default(), &os, &file).expect("valid");
        assert_eq!(from_os.port, 1002);
        assert_eq!(from_os.private_port, 2002);
        assert_eq!(from_os.host.to_string(), "10.0.0.2");
        assert_eq!(from_os.db_path, PathBuf::from("os.sqlite"));
        // Variables only the file sets still come from it.
        assert_eq!(from_os.session_expiration, Some(Duration::from_secs(3600)));
        assert_eq!(
            from_os.cors_allow_origin.as_deref(),
            Some("https://file.example")
        );

        let cli = Cli {
            port: Some(1003),
            private_port: Some(2003),
            host: Some("127.0.0.1".to_owned()),
            db_path: Some(PathBuf::from("flag.sqlite")),
            ..Cli::default()
        };
        let from_flags = resolve_with(&cli, &os, &file).expect("valid");
        assert_eq!(from_flags.port, 1003);
        assert_eq!(from_flags.private_port, 2003);
        assert_eq!(from_flags.host.to_string(), "127.0.0.1");
        assert_eq!(from_flags.db_path, PathBuf::from("flag.sqlite"));
    }

    #[test]
    fn empty_values_fall_through() {
        let config = resolve_with(
            &Cli {
                private_port: Some(0),
                ..Cli::default()
            },
            &[("FAROE_PORT", ""), ("FAROE_PRIVATE_PORT", "")],
            &[("FAROE_PORT", "4000"), ("FAROE_PRIVATE_PORT", "")],
        )
        .expect("valid");
        assert_eq!(config.port, 4000);
        assert_eq!(config.private_port, 8079);
    }

    #[test]
    fn zero_durations_turn_features_off() {
        let config = resolve_with(
            &Cli::default(),
            &[
                ("FAROE_SESSION_EXPIRATION", "0"),
                ("FAROE_SESSION_USER_CACHE", "0s"),
            ],
            &[],
        )
        .expect("valid");
        assert_eq!(config.session_expiration, None);
        assert_eq!(config.session_user_cache, None);
        let config = resolve_with(
            &Cli::default(),
            &[("FAROE_SESSION_USER_CACHE", "1m30s")],
            &[],
        )
        .expect("valid");
        assert_eq!(config.session_user_cache, Some(Duration::from_secs(90)));
    }

    #[test]
    fn every_new_variable_is_read() {
        let config = resolve_with(
            &Cli {
                enable_reset: true,
                interactive: true,
                ..Cli::default()
            },
            &[
                ("FAROE_PWNED_PASSWORDS", "OFF"),
                ("FAROE_PWNED_PASSWORDS_URL", "http://127.0.0.1:9/"),
                ("FAROE_PWNED_PASSWORDS_TIMEOUT", "250ms"),
                ("FAROE_PWNED_PASSWORDS_FAIL_CLOSED", "true"),
                ("FAROE_HASHING_CONCURRENCY", "3"),
                ("FAROE_USER_SERVER_TIMEOUT", "1.5s"),
                ("FAROE_LOG", "debug,hyper=warn"),
                ("FAROE_HOST", "::1"),
            ],
            &[],
        )
        .expect("valid");
        assert_eq!(config.pwned_passwords, PwnedPasswordsMode::Off);
        assert_eq!(config.pwned_passwords_url, "http://127.0.0.1:9");
        assert_eq!(config.pwned_passwords_timeout, Duration::from_millis(250));
        assert!(config.pwned_passwords_fail_closed);
        assert_eq!(config.hashing_concurrency, 3);
        assert_eq!(config.user_server_timeout, Duration::from_millis(1500));
        assert_eq!(config.log_filter, "debug,hyper=warn");
        assert_eq!(config.host.to_string(), "::1");
        assert!(config.enable_reset && config.interactive);
    }

    #[test]
    fn invalid_values_name_the_variable_and_the_value() {
        let cases = [
            ("FAROE_PORT", "http"),
            ("FAROE_PORT", "70000"),
            ("FAROE_PRIVATE_PORT", "0"),
            ("FAROE_PRIVATE_PORT", "x"),
            ("FAROE_HOST", "example.com"),
            ("FAROE_SESSION_EXPIRATION", "-1h"),
            ("FAROE_SESSION_EXPIRATION", "90"),
            ("FAROE_SESSION_USER_CACHE", "soon"),
            ("FAROE_PWNED_PASSWORDS", "maybe"),
            ("FAROE_PWNED_PASSWORDS_URL", "ftp://x"),
            ("FAROE_PWNED_PASSWORDS_TIMEOUT", "0"),
            ("FAROE_PWNED_PASSWORDS_FAIL_CLOSED", "perhaps"),
            ("FAROE_HASHING_CONCURRENCY", "0"),
            ("FAROE_USER_SERVER_TIMEOUT", "-5s"),
            ("FAROE_LOG", "[[["),
            ("FAROE_CORS_ALLOW_ORIGIN", "a\u{7f}b"),
        ];
        for (name, value) in cases {
            for (os, file) in [(vec![(name, value)], vec![]), (vec![], vec![(name, value)])] {
                let error = resolve_with(&Cli::default(), &os, &file)
                    .expect_err(&format!("{name}={value} was accepted"));
                let message = error.to_string();
                assert!(message.contains(name), "{message}");
                assert!(message.contains(&format!("{value:?}")), "{message}");
                assert_eq!(error.exit_code(), 2);
            }
        }
        let cli = Cli {
            host: Some("nope".to_owned()),
            ..Cli::default()
        };
        let message = resolve_with(&cli, &[], &[])
            .expect_err("rejected")
            .to_string();
        assert!(
            message.contains("--host") && message.contains("\"nope\""),
            "{message}"
        );
    }

    #[test]
    fn single_dash_long_flags_are_normalized() {
        let normalized = normalize_args([
            "tiauth",
            "-env-file",
            "x.env",
            "-interactive",
            "-enable-reset=true",
            "-private-port=9000",
            "--port",
            "1",
            "-h",
            "-unknown",
            "--",
            "-port",
        ]);
        let expected: Vec<OsString> = [
            "tiauth",
            "--env-file",
            "x.env",
            "--interactive",
            "--enable-reset=true",
            "--private-port=9000",
            "--port",
            "1",
            "-h",
            "-unknown",
            "--",
            "-port",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert_eq!(normalized, expected);
    }

    #[test]
    fn the_command_line_parses() {
        let matches = Cli::command().get_matches_from(normalize_args([
            "tiauth",
            "-env-file=custom.env",
            "-interactive",
            "-private-port",
            "9001",
            "--host=127.0.0.1",
            "--port",
            "0",
            "--db-path",
            "x.sqlite",
        ]));
        let cli = Cli::from_arg_matches(&matches).expect("parses");
        assert_eq!(cli.env_file, Some(PathBuf::from("custom.env")));
        assert!(cli.interactive);
        assert!(!cli.enable_reset);
        assert_eq!(cli.private_port, Some(9001));
        assert_eq!(cli.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(cli.port, Some(0));
        assert_eq!(cli.db_path, Some(PathBuf::from("x.sqlite")));
    }

    #[test]
    fn help_mentions_every_variable() {
        let help = variables_help();
        for variable in VARIABLES {
            assert!(help.contains(variable.name), "{}", variable.name);
        }
    }
}
