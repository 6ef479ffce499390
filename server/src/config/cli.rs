//! The command line: clap flags, single-dash long flags, and the table of environment
//! variables that `--help` lists.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser};

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
        description: "port of the user server, reached at FAROE_PRIVATE_HOST",
    },
    Variable {
        name: "FAROE_USER_SERVER_PORT",
        default: "8079",
        description: "the same as FAROE_PRIVATE_PORT (the newer upstream name); setting both to different values is an error",
    },
    Variable {
        name: "FAROE_PRIVATE_HOST",
        default: "127.0.0.2",
        description: "host of the user server and of the command listener: an IP address or a host name",
    },
    Variable {
        name: "FAROE_COMMAND_PORT",
        default: "(unset: no command listener)",
        description: "port of the private command listener on FAROE_PRIVATE_HOST (POST /command {\"command\":\"reset\"}); 0 picks a free one",
    },
    Variable {
        name: "FAROE_ADMIN_ADDR",
        default: "(unset: no admin listener)",
        description: "address of the admin listener (GET /metrics, /health/live, /health/ready), e.g. 127.0.0.1:9777; port 0 picks a free one",
    },
    Variable {
        name: "FAROE_DB_PATH",
        default: "./db.sqlite",
        description: "SQLite file keeping signups, signins, sessions and rate limits",
    },
    super::STORAGE_VARIABLES[0],
    super::STORAGE_VARIABLES[1],
    super::STORAGE_VARIABLES[2],
    super::STORAGE_VARIABLES[3],
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
        description: "breached-password check for new passwords: hibp (k-anonymity range API), file:PATH (local corpus: one sorted SHA1HEX:COUNT file or a directory of XXXXX.txt range files) or off",
    },
    Variable {
        name: "FAROE_PWNED_PASSWORDS_URL",
        default: crate::pwned::DEFAULT_BASE_URL,
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
        description: "when the check fails (range API unreachable, corpus file unreadable or malformed): false accepts the password, true fails with internal_error",
    },
    Variable {
        name: "FAROE_PWNED_PASSWORDS_MIN_COUNT",
        default: "1",
        description: "a password counts as breached when listed at least this many times (count-0 lines never count)",
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
        name: "FAROE_HTTP_HEADER_TIMEOUT",
        default: "10s",
        description: "a new connection must send a complete request head within this, else it is closed",
    },
    Variable {
        name: "FAROE_HTTP_BODY_TIMEOUT",
        default: "10s",
        description: "a request body must arrive within this after its head, else 408",
    },
    Variable {
        name: "FAROE_HTTP_IDLE_TIMEOUT",
        default: "60s",
        description: "a keep-alive connection must send its next request head within this, else it is closed",
    },
    Variable {
        name: "FAROE_MAX_CONNECTIONS",
        default: "open-files limit less a reserve",
        description: "open client connections at most; past it new ones get 503 and are closed",
    },
    Variable {
        name: "FAROE_SHUTDOWN_GRACE",
        default: "10s",
        description: "after SIGTERM/SIGINT, how long requests in flight may finish before they are cut",
    },
    Variable {
        name: "FAROE_HASHING_QUEUE",
        default: "32 x FAROE_HASHING_CONCURRENCY",
        description: "password actions that may wait for a hashing slot; past it they get 503 with Retry-After",
    },
    Variable {
        name: "FAROE_LOG",
        default: "info",
        description: "log filter (tracing-subscriber EnvFilter syntax, e.g. debug or tiauth_faroe=debug)",
    },
    Variable {
        name: "FAROE_LOG_FORMAT",
        default: "text",
        description: "log lines as text or json (one object per line)",
    },
    Variable {
        name: "FAROE_REVOKE_SESSIONS_ON_PASSWORD_UPDATE",
        default: "false",
        description: "true: a completed password update signs out every session of the user, the current one too (a password reset always does)",
    },
    Variable {
        name: "FAROE_CLIENT_IP_SOURCE",
        default: "off",
        description: "per-client rate limits from the client's address: off, peer (the TCP peer) or x-forwarded-for (behind FAROE_TRUSTED_PROXIES)",
    },
    Variable {
        name: "FAROE_TRUSTED_PROXIES",
        default: "",
        description: "comma-separated addresses or CIDR networks of the proxies whose X-Forwarded-For is trusted",
    },
    Variable {
        name: "FAROE_RATE_LIMIT_CLIENT_ATTEMPTS",
        default: "30/10m",
        description: "with client addresses on: password, code and temporary-password attempts of one client across all users (CAPACITY/WINDOW)",
    },
    Variable {
        name: "FAROE_RATE_LIMIT_SUBJECT_ATTEMPTS",
        default: "50/1h",
        description: "with client addresses on: attempts on one user or address across all clients",
    },
    Variable {
        name: "FAROE_RATE_LIMIT_CLIENT_CREATIONS",
        default: "30/10m",
        description: "with client addresses on: each of create_signup, create_signin and create_user_password_reset per client",
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
    #[arg(long, value_name = "PATH", global = true)]
    pub env_file: Option<PathBuf>,

    /// Read commands (reset, help, exit) from stdin while serving
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub interactive: bool,

    /// Serve POST /reset, which deletes all stored state without authentication
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub enable_reset: bool,

    /// Serve POST /test/clock, which sets or advances the server's clock (frozen
    /// until told otherwise); for conformance runs only, loopback addresses only
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub enable_test_clock: bool,

    /// Port of the user server; overrides FAROE_PRIVATE_PORT (0 keeps it)
    #[arg(long, value_name = "N")]
    pub private_port: Option<u16>,

    /// Port of the user server; overrides FAROE_USER_SERVER_PORT and FAROE_PRIVATE_PORT (0 keeps them)
    #[arg(long, value_name = "N")]
    pub user_server_port: Option<u16>,

    /// Host of the user server and the command listener; overrides FAROE_PRIVATE_HOST
    #[arg(long, value_name = "HOST")]
    pub private_host: Option<String>,

    /// Port of the private command listener; overrides FAROE_COMMAND_PORT (0 picks a free one)
    #[arg(long, value_name = "N")]
    pub command_port: Option<u16>,

    /// Address of the admin listener (metrics, health); overrides FAROE_ADMIN_ADDR
    #[arg(long, value_name = "ADDRESS:PORT")]
    pub admin_addr: Option<String>,

    /// IP address to listen on; overrides FAROE_HOST
    #[arg(long, value_name = "ADDRESS")]
    pub host: Option<String>,

    /// Port to listen on; overrides FAROE_PORT
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// SQLite file; overrides FAROE_DB_PATH
    #[arg(long, value_name = "PATH", global = true)]
    pub db_path: Option<PathBuf>,

    /// Storage engine URL (sqlite:PATH, postgres://…, redis://…); overrides FAROE_STORAGE_URL
    #[arg(long, value_name = "URL")]
    pub storage_url: Option<String>,

    /// Print the resolved configuration and exit without serving
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL", hide_possible_values = true)]
    pub check_config: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do instead of serving.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Read a password from stdin and print `breached (N)` or `not found`, checked as
    /// FAROE_PWNED_PASSWORDS configures; exits with 1 when the check fails or is off
    PwnedCheck,
    /// Import the auth state (sessions, pending flows, rate limits) of an upstream
    /// tiauth database into the configured storage, then exit. Stop the upstream
    /// server first. Exit status: 0 when imported, 1 when refused or failed, 2 for
    /// invalid configuration or when the configured storage is itself an upstream
    /// database
    ImportUpstream(ImportUpstream),
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ImportUpstream {
    /// The upstream database file (upstream's FAROE_DB_PATH, db.sqlite by default);
    /// opened read-only, never changed
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,

    /// Import into a storage that already holds records, leaving those as they are;
    /// running the same import again then changes nothing
    #[arg(long)]
    pub merge: bool,
}

/// Long flag names that may also be written with a single dash.
const SINGLE_DASH_FLAGS: &[&str] = &[
    "env-file",
    "interactive",
    "enable-reset",
    "enable-test-clock",
    "private-port",
    "user-server-port",
    "private-host",
    "command-port",
    "admin-addr",
    "host",
    "port",
    "db-path",
    "storage-url",
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

/// The command line as `--help` shows it: the flags, then every variable.
fn command() -> clap::Command {
    Cli::command().after_help(variables_help())
}

impl Cli {
    /// Parses the command line, accepting single-dash long flags. Exits on `--help`,
    /// `--version` and usage errors (status 2), as clap does.
    pub fn parse_args<I, T>(args: I) -> Cli
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let matches = command().get_matches_from(normalize_args(args));
        match Cli::from_arg_matches(&matches) {
            Ok(cli) => cli,
            Err(error) => error.exit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The line of the rendered `--help` that starts with `name`.
    fn help_line(help: &str, name: &str) -> String {
        help.lines()
            .map(str::trim_start)
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("--help has no line for {name}:\n{help}"))
            .to_owned()
    }

    #[test]
    fn the_newer_generation_flags_parse_with_one_or_two_dashes() {
        let matches = Cli::command().get_matches_from(normalize_args([
            "tiauth",
            "-env-file",
            ".env.test",
            "-user-server-port=12790",
            "-command-port",
            "0",
            "--private-host",
            "users.internal",
        ]));
        let cli = Cli::from_arg_matches(&matches).expect("parses");
        assert_eq!(cli.env_file, Some(PathBuf::from(".env.test")));
        assert_eq!(cli.user_server_port, Some(12790));
        assert_eq!(cli.command_port, Some(0));
        assert_eq!(cli.private_host.as_deref(), Some("users.internal"));
        assert_eq!(cli.command, None);
    }

    #[test]
    fn import_upstream_is_a_subcommand_taking_the_storage_flags() {
        let matches = Cli::command().get_matches_from(normalize_args([
            "tiauth",
            "import-upstream",
            "--from",
            "db.sqlite.upstream",
            "--merge",
            "--db-path",
            "auth.sqlite",
            "--env-file",
            "prod.env",
        ]));
        let cli = Cli::from_arg_matches(&matches).expect("parses");
        assert_eq!(
            cli.command,
            Some(Command::ImportUpstream(ImportUpstream {
                from: PathBuf::from("db.sqlite.upstream"),
                merge: true,
            }))
        );
        assert_eq!(cli.db_path, Some(PathBuf::from("auth.sqlite")));
        assert_eq!(cli.env_file, Some(PathBuf::from("prod.env")));
        let missing_from =
            Cli::command().try_get_matches_from(["tiauth", "import-upstream", "--merge"]);
        assert!(missing_from.is_err());
    }

    #[test]
    fn help_shows_the_flags_variables_and_their_defaults() {
        let help = command().render_help().to_string();
        for (name, default) in [
            ("FAROE_PORT", "[default: 3777]"),
            ("FAROE_PRIVATE_PORT", "[default: 8079]"),
            ("FAROE_SESSION_EXPIRATION", "[default: 2160h]"),
            (
                "FAROE_PWNED_PASSWORDS_URL",
                "[default: https://api.pwnedpasswords.com]",
            ),
            ("FAROE_PWNED_PASSWORDS_TIMEOUT", "[default: 3s]"),
            ("FAROE_USER_SERVER_TIMEOUT", "[default: 5s]"),
        ] {
            let line = help_line(&help, name);
            assert!(line.ends_with(default), "{line:?} lacks {default}");
        }
        assert!(help_line(&help, "--env-file <PATH>").contains("a missing default file is fine"));
        assert!(help_line(&help, "--enable-reset").contains("POST /reset"));
        assert!(help_line(&help, "--admin-addr <ADDRESS:PORT>").contains("FAROE_ADMIN_ADDR"));
        assert!(help.contains("Exit status: 0 after a clean shutdown"));
    }
}
