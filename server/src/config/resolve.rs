//! Resolving every setting from flag, OS environment, env file and default, with the
//! checks each value must pass.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::{parse_go_duration, Cli, Config, ConfigError, PwnedPasswordsMode};
use crate::client_address::ClientAddressSource;
use crate::faroe::client_limits::ClientLimits;
use crate::faroe::rate_limit::Limit;

pub(super) fn invalid(name: &str, value: &str, reason: impl Into<String>) -> ConfigError {
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
        None => variable(&lookup, "FAROE_HOST", parse_host, defaults.host)?,
    };
    let port = match cli.port {
        Some(port) => port,
        None => variable(
            &lookup,
            "FAROE_PORT",
            |name, value| parse_port(name, value, true),
            defaults.port,
        )?,
    };
    let private_port = resolve_private_port(cli, &lookup)?.unwrap_or(defaults.private_port);
    let private_host = match cli.private_host.as_deref().filter(|host| !host.is_empty()) {
        Some(value) => parse_private_host("--private-host", value)?,
        None => variable(
            &lookup,
            "FAROE_PRIVATE_HOST",
            parse_private_host,
            defaults.private_host,
        )?,
    };
    let command_port = match cli.command_port {
        Some(port) => Some(port),
        None => variable(
            &lookup,
            "FAROE_COMMAND_PORT",
            |name, value| parse_port(name, value, true).map(Some),
            defaults.command_port,
        )?,
    };
    let admin_addr = match cli.admin_addr.as_deref().filter(|addr| !addr.is_empty()) {
        Some(value) => Some(parse_socket_addr("--admin-addr", value)?),
        None => variable(
            &lookup,
            "FAROE_ADMIN_ADDR",
            |name, value| parse_socket_addr(name, value).map(Some),
            defaults.admin_addr,
        )?,
    };
    let db_path = match &cli.db_path {
        Some(path) if !path.as_os_str().is_empty() => path.clone(),
        _ => lookup("FAROE_DB_PATH").map_or(defaults.db_path, PathBuf::from),
    };
    let storage = super::storage::resolve_storage(cli.storage_url.as_deref(), &lookup)?;
    let session_expiration = variable(
        &lookup,
        "FAROE_SESSION_EXPIRATION",
        optional_duration,
        defaults.session_expiration,
    )?;
    let session_user_cache = variable(
        &lookup,
        "FAROE_SESSION_USER_CACHE",
        optional_duration,
        defaults.session_user_cache,
    )?;
    let cors_allow_origin = variable(
        &lookup,
        "FAROE_CORS_ALLOW_ORIGIN",
        parse_header_value,
        defaults.cors_allow_origin,
    )?;
    let pwned_passwords = variable(
        &lookup,
        "FAROE_PWNED_PASSWORDS",
        parse_pwned_passwords_mode,
        defaults.pwned_passwords,
    )?;
    let pwned_passwords_url = variable(
        &lookup,
        "FAROE_PWNED_PASSWORDS_URL",
        parse_base_url,
        defaults.pwned_passwords_url,
    )?;
    let pwned_passwords_timeout = variable(
        &lookup,
        "FAROE_PWNED_PASSWORDS_TIMEOUT",
        positive_duration,
        defaults.pwned_passwords_timeout,
    )?;
    let pwned_passwords_fail_closed = variable(
        &lookup,
        "FAROE_PWNED_PASSWORDS_FAIL_CLOSED",
        parse_bool,
        defaults.pwned_passwords_fail_closed,
    )?;
    let pwned_passwords_min_count = variable(
        &lookup,
        "FAROE_PWNED_PASSWORDS_MIN_COUNT",
        parse_min_count,
        defaults.pwned_passwords_min_count,
    )?;
    let hashing_concurrency = variable(
        &lookup,
        "FAROE_HASHING_CONCURRENCY",
        parse_hashing_concurrency,
        defaults.hashing_concurrency,
    )?;
    let user_server_timeout = variable(
        &lookup,
        "FAROE_USER_SERVER_TIMEOUT",
        positive_duration,
        defaults.user_server_timeout,
    )?;
    let limits = super::limits::resolve_limits(&lookup)?;
    let log_filter = variable(&lookup, "FAROE_LOG", parse_log_filter, defaults.log_filter)?;
    let log_format = variable(
        &lookup,
        "FAROE_LOG_FORMAT",
        |name, value| {
            crate::logging::LogFormat::parse(value)
                .ok_or_else(|| invalid(name, value, "expected text or json"))
        },
        defaults.log_format,
    )?;
    // Whoever reaches the test clock can expire every session and refill every
    // rate limit: never offered beyond this machine.
    if cli.enable_test_clock && !host.is_loopback() {
        return Err(invalid(
            "--enable-test-clock with host",
            &host.to_string(),
            "the test clock is served only on a loopback address (--host 127.0.0.1)",
        ));
    }
    let revoke_sessions_on_password_update = variable(
        &lookup,
        "FAROE_REVOKE_SESSIONS_ON_PASSWORD_UPDATE",
        parse_bool,
        defaults.revoke_sessions_on_password_update,
    )?;
    let trusted_proxies = lookup("FAROE_TRUSTED_PROXIES").unwrap_or_default();
    let client_ip_source = variable(
        &lookup,
        "FAROE_CLIENT_IP_SOURCE",
        |name, value| {
            ClientAddressSource::parse(&value.to_ascii_lowercase(), &trusted_proxies)
                .map_err(|reason| invalid(name, value, reason))
        },
        defaults.client_ip_source,
    )?;
    let client_limits = ClientLimits {
        attempts_per_client: variable(
            &lookup,
            "FAROE_RATE_LIMIT_CLIENT_ATTEMPTS",
            parse_limit,
            defaults.client_limits.attempts_per_client,
        )?,
        attempts_per_subject: variable(
            &lookup,
            "FAROE_RATE_LIMIT_SUBJECT_ATTEMPTS",
            parse_limit,
            defaults.client_limits.attempts_per_subject,
        )?,
        creations_per_client: variable(
            &lookup,
            "FAROE_RATE_LIMIT_CLIENT_CREATIONS",
            parse_limit,
            defaults.client_limits.creations_per_client,
        )?,
    };

    Ok(Config {
        host,
        port,
        private_port,
        private_host,
        command_port,
        admin_addr,
        db_path,
        storage,
        session_expiration,
        session_user_cache,
        cors_allow_origin,
        pwned_passwords,
        pwned_passwords_url,
        pwned_passwords_timeout,
        pwned_passwords_fail_closed,
        pwned_passwords_min_count,
        hashing_concurrency,
        user_server_timeout,
        limits,
        log_filter,
        log_format,
        enable_reset: cli.enable_reset,
        enable_test_clock: cli.enable_test_clock,
        interactive: cli.interactive,
        revoke_sessions_on_password_update,
        client_ip_source,
        client_limits,
    })
}

/// The user server's port under either generation's name: the flags first, then the
/// variables. Both names of one level set to different values is an error.
fn resolve_private_port(
    cli: &Cli,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<u16>, ConfigError> {
    // As upstream, a flag given as 0 leaves the setting to the variables.
    let flags = (
        cli.private_port.filter(|port| *port != 0),
        cli.user_server_port.filter(|port| *port != 0),
    );
    let variables = (
        variable(lookup, "FAROE_PRIVATE_PORT", user_server_port, None)?,
        variable(lookup, "FAROE_USER_SERVER_PORT", user_server_port, None)?,
    );
    for ((first, first_value), (second, second_value)) in [
        (("--private-port", flags.0), ("--user-server-port", flags.1)),
        (
            ("FAROE_PRIVATE_PORT", variables.0),
            ("FAROE_USER_SERVER_PORT", variables.1),
        ),
    ] {
        match (first_value, second_value) {
            (Some(a), Some(b)) if a != b => {
                return Err(ConfigError::Conflict {
                    first: first.to_owned(),
                    first_value: a.to_string(),
                    second: second.to_owned(),
                    second_value: b.to_string(),
                })
            }
            (Some(port), _) | (None, Some(port)) => return Ok(Some(port)),
            (None, None) => {}
        }
    }
    Ok(None)
}

fn user_server_port(name: &str, value: &str) -> Result<Option<u16>, ConfigError> {
    parse_port(name, value, false).map(Some)
}

/// An IP address or a host name (letters, digits and hyphens in dot-separated labels).
fn parse_private_host(name: &str, value: &str) -> Result<String, ConfigError> {
    if value.parse::<IpAddr>().is_ok() {
        return Ok(value.to_owned());
    }
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let name_part = value.strip_suffix('.').unwrap_or(value);
    if value.len() <= 253 && name_part.split('.').all(label_ok) {
        Ok(value.to_owned())
    } else {
        Err(invalid(
            name,
            value,
            "expected an IP address or a host name such as 127.0.0.2 or users.internal",
        ))
    }
}

/// `parse(name, value)` when the variable `name` is set, else `default`.
pub(super) fn variable<T>(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &str,
    parse: impl FnOnce(&str, &str) -> Result<T, ConfigError>,
    default: T,
) -> Result<T, ConfigError> {
    match lookup(name) {
        Some(value) => parse(name, &value),
        None => Ok(default),
    }
}

fn parse_header_value(name: &str, value: &str) -> Result<Option<String>, ConfigError> {
    if axum::http::HeaderValue::from_str(value).is_err() {
        return Err(invalid(name, value, "not usable as an HTTP header value"));
    }
    Ok(Some(value.to_owned()))
}

/// `hibp`, `off`, or `file:PATH` naming a local corpus that opens and parses.
fn parse_pwned_passwords_mode(name: &str, value: &str) -> Result<PwnedPasswordsMode, ConfigError> {
    let file = value
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("file:"));
    if let Some(scheme) = file {
        let path = PathBuf::from(&value[scheme.len()..]);
        if path.as_os_str().is_empty() {
            return Err(invalid(name, value, "file: needs the path of the corpus"));
        }
        crate::pwned::Corpus::open_local(&path).map_err(|error| invalid(name, value, error.0))?;
        return Ok(PwnedPasswordsMode::File(path));
    }
    match value.to_ascii_lowercase().as_str() {
        "hibp" => Ok(PwnedPasswordsMode::Hibp),
        "off" => Ok(PwnedPasswordsMode::Off),
        _ => Err(invalid(name, value, "expected hibp, file:PATH or off")),
    }
}

fn parse_min_count(name: &str, value: &str) -> Result<u64, ConfigError> {
    match value.parse::<u64>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(invalid(
            name,
            value,
            "expected a whole number of at least 1",
        )),
    }
}

fn parse_hashing_concurrency(name: &str, value: &str) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(count) if (1..=1024).contains(&count) => Ok(count),
        _ => Err(invalid(
            name,
            value,
            "expected a whole number from 1 to 1024",
        )),
    }
}

fn parse_log_filter(name: &str, value: &str) -> Result<String, ConfigError> {
    if let Err(error) = tracing_subscriber::EnvFilter::try_new(value) {
        return Err(invalid(name, value, error.to_string()));
    }
    Ok(value.to_owned())
}

fn parse_socket_addr(name: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        invalid(
            name,
            value,
            "expected an IP address and port such as 127.0.0.1:9777 or [::1]:9777",
        )
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

/// `CAPACITY/WINDOW` (`50/1h`): a bucket of CAPACITY tokens that an empty bucket
/// takes WINDOW to fill again, one token every WINDOW/CAPACITY (whole seconds).
fn parse_limit(name: &str, value: &str) -> Result<Limit, ConfigError> {
    let form = "expected CAPACITY/WINDOW such as 50/1h";
    let (capacity, window) = value
        .split_once('/')
        .ok_or_else(|| invalid(name, value, form))?;
    let capacity = match capacity.trim().parse::<u32>() {
        Ok(capacity) if (1..=1_000_000).contains(&capacity) => capacity,
        _ => {
            return Err(invalid(
                name,
                value,
                "the capacity must be a whole number from 1 to 1000000",
            ))
        }
    };
    let window = positive_duration(name, window.trim())?;
    let seconds = window.as_secs() / u64::from(capacity);
    if seconds == 0 {
        return Err(invalid(
            name,
            value,
            "refills faster than one token a second: lengthen the window",
        ));
    }
    Ok(Limit {
        capacity,
        refill_every: Duration::from_secs(seconds),
    })
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

pub(super) fn positive_duration(name: &str, value: &str) -> Result<Duration, ConfigError> {
    let nanos = parse_go_duration(value).map_err(|reason| invalid(name, value, reason))?;
    match u64::try_from(nanos) {
        Ok(nanos) if nanos > 0 => Ok(Duration::from_nanos(nanos)),
        _ => Err(invalid(name, value, "must be greater than zero")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_admin_listener_and_log_format_come_from_flag_environment_or_file() {
        let config = resolve_with(&Cli::default(), &[], &[]).expect("valid");
        assert_eq!(config.admin_addr, None);
        assert_eq!(config.log_format, crate::logging::LogFormat::Text);
        let config = resolve_with(
            &Cli::default(),
            &[("FAROE_LOG_FORMAT", "JSON")],
            &[("FAROE_ADMIN_ADDR", "[::1]:0")],
        )
        .expect("valid");
        assert_eq!(config.admin_addr, Some("[::1]:0".parse().expect("address")));
        assert_eq!(config.log_format, crate::logging::LogFormat::Json);
        let cli = Cli {
            admin_addr: Some("127.0.0.1:9777".to_owned()),
            ..Cli::default()
        };
        let config =
            resolve_with(&cli, &[("FAROE_ADMIN_ADDR", "127.0.0.1:1")], &[]).expect("valid");
        assert_eq!(
            config.admin_addr,
            Some("127.0.0.1:9777".parse().expect("address"))
        );
    }

    #[test]
    fn the_test_clock_is_refused_beyond_loopback() {
        let with_host = |host: &str| Cli {
            enable_test_clock: true,
            host: Some(host.to_owned()),
            ..Cli::default()
        };
        for loopback in ["127.0.0.1", "::1"] {
            let config = resolve_with(&with_host(loopback), &[], &[]).expect("loopback is fine");
            assert!(config.enable_test_clock);
        }
        for other in ["0.0.0.0", "192.168.1.2"] {
            let error = resolve_with(&with_host(other), &[], &[]).expect_err(other);
            assert_eq!(error.exit_code(), 2);
            assert!(error.to_string().contains("--enable-test-clock"), "{error}");
        }
        let default_host = Cli {
            enable_test_clock: true,
            ..Cli::default()
        };
        assert!(
            resolve_with(&default_host, &[], &[]).is_err(),
            "0.0.0.0 by default"
        );
        assert!(
            !resolve_with(&Cli::default(), &[], &[])
                .expect("valid")
                .enable_test_clock
        );
    }

    #[test]
    fn a_local_corpus_is_opened_and_checked_when_the_configuration_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("pwned.txt");
        std::fs::write(&corpus, "ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42:3\r\n").expect("write");
        let value = format!("file:{}", corpus.display());
        let config = resolve_with(
            &Cli::default(),
            &[
                ("FAROE_PWNED_PASSWORDS", &value),
                ("FAROE_PWNED_PASSWORDS_MIN_COUNT", "10"),
            ],
            &[],
        )
        .expect("valid");
        assert_eq!(config.pwned_passwords, PwnedPasswordsMode::File(corpus));
        assert_eq!(config.pwned_passwords_min_count, 10);
        let described = config.describe();
        assert!(described.contains(&format!("FAROE_PWNED_PASSWORDS={value}\n")));
        assert!(described.contains("FAROE_PWNED_PASSWORDS_MIN_COUNT=10\n"));

        std::fs::write(dir.path().join("empty.txt"), "").expect("write");
        let no_ranges = dir.path().join("ranges");
        std::fs::create_dir(&no_ranges).expect("mkdir");
        let cases = [
            ("file:".to_owned(), "needs the path"),
            (
                format!("file:{}", dir.path().join("absent.txt").display()),
                "absent.txt does not exist",
            ),
            (
                format!("file:{}", dir.path().join("empty.txt").display()),
                "empty.txt is empty",
            ),
            (
                format!("FILE:{}", no_ranges.display()),
                "holds no range files",
            ),
        ];
        for (value, reason) in cases {
            let error = resolve_with(&Cli::default(), &[("FAROE_PWNED_PASSWORDS", &value)], &[])
                .expect_err(&value);
            let message = error.to_string();
            assert!(message.contains("FAROE_PWNED_PASSWORDS"), "{message}");
            assert!(message.contains(&format!("{value:?}")), "{message}");
            assert!(message.contains(reason), "{message}");
            assert_eq!(error.exit_code(), 2);
        }
    }

    #[test]
    fn both_generations_name_the_user_server_port() {
        let newer = resolve_with(&Cli::default(), &[], &[("FAROE_USER_SERVER_PORT", "12790")])
            .expect("valid");
        assert_eq!(newer.private_port, 12790);
        assert_eq!(newer.user_server_url(), "http://127.0.0.2:12790");
        let older =
            resolve_with(&Cli::default(), &[("FAROE_PRIVATE_PORT", "9000")], &[]).expect("valid");
        assert_eq!(older.private_port, 9000);
        // Both names with one value are fine, wherever each comes from.
        let both = resolve_with(
            &Cli::default(),
            &[("FAROE_PRIVATE_PORT", "9000")],
            &[("FAROE_USER_SERVER_PORT", "9000")],
        )
        .expect("valid");
        assert_eq!(both.private_port, 9000);
        // A flag of either name beats both variables; 0 leaves it to them.
        for cli in [
            Cli {
                user_server_port: Some(7000),
                ..Cli::default()
            },
            Cli {
                private_port: Some(7000),
                user_server_port: Some(0),
                ..Cli::default()
            },
        ] {
            let config = resolve_with(
                &cli,
                &[("FAROE_PRIVATE_PORT", "9000")],
                &[("FAROE_USER_SERVER_PORT", "9001")],
            );
            // The variables disagree, but the flag decides, so they are not consulted.
            assert_eq!(config.expect("valid").private_port, 7000);
        }
        let zero_flag = Cli {
            user_server_port: Some(0),
            ..Cli::default()
        };
        let config =
            resolve_with(&zero_flag, &[], &[("FAROE_USER_SERVER_PORT", "9001")]).expect("valid");
        assert_eq!(config.private_port, 9001);
    }

    #[test]
    fn two_names_of_the_port_with_different_values_are_an_error_naming_both() {
        let message = resolve_with(
            &Cli::default(),
            &[("FAROE_PRIVATE_PORT", "9000")],
            &[("FAROE_USER_SERVER_PORT", "12790")],
        )
        .expect_err("conflict")
        .to_string();
        for part in [
            "FAROE_PRIVATE_PORT",
            "FAROE_USER_SERVER_PORT",
            "9000",
            "12790",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        let cli = Cli {
            private_port: Some(1),
            user_server_port: Some(2),
            ..Cli::default()
        };
        let error = resolve_with(&cli, &[], &[]).expect_err("conflict");
        assert_eq!(error.exit_code(), 2);
        let message = error.to_string();
        assert!(
            message.contains("--private-port") && message.contains("--user-server-port"),
            "{message}"
        );
    }

    #[test]
    fn the_private_host_and_command_port_are_read() {
        let config = resolve_with(&Cli::default(), &[], &[]).expect("valid");
        assert_eq!(config.private_host, "127.0.0.2");
        assert_eq!(config.command_port, None);
        assert_eq!(config.command_address(), None);

        let config = resolve_with(
            &Cli::default(),
            &[("FAROE_PRIVATE_HOST", "users.internal")],
            &[
                ("FAROE_COMMAND_PORT", "12771"),
                ("FAROE_USER_SERVER_PORT", "12790"),
            ],
        )
        .expect("valid");
        assert_eq!(config.user_server_url(), "http://users.internal:12790");
        assert_eq!(
            config.command_address().as_deref(),
            Some("users.internal:12771")
        );

        let cli = Cli {
            private_host: Some("::1".to_owned()),
            command_port: Some(0),
            ..Cli::default()
        };
        let config = resolve_with(
            &cli,
            &[
                ("FAROE_PRIVATE_HOST", "10.0.0.9"),
                ("FAROE_COMMAND_PORT", "12771"),
            ],
            &[],
        )
        .expect("valid");
        assert_eq!(config.user_server_url(), "http://[::1]:8079");
        assert_eq!(config.command_address().as_deref(), Some("[::1]:0"));

        for host in ["localhost", "127.0.0.1", "auth-users", "users.example.com."] {
            let config =
                resolve_with(&Cli::default(), &[("FAROE_PRIVATE_HOST", host)], &[]).expect(host);
            assert_eq!(config.private_host, host);
        }
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
            ("FAROE_PWNED_PASSWORDS_MIN_COUNT", "0"),
            ("FAROE_PWNED_PASSWORDS_MIN_COUNT", "-3"),
            ("FAROE_HASHING_CONCURRENCY", "0"),
            ("FAROE_USER_SERVER_TIMEOUT", "-5s"),
            ("FAROE_LOG", "[[["),
            ("FAROE_CORS_ALLOW_ORIGIN", "a\u{7f}b"),
            ("FAROE_USER_SERVER_PORT", "0"),
            ("FAROE_USER_SERVER_PORT", "x"),
            ("FAROE_COMMAND_PORT", "70000"),
            ("FAROE_COMMAND_PORT", "reset"),
            ("FAROE_PRIVATE_HOST", "http://127.0.0.2"),
            ("FAROE_PRIVATE_HOST", "127.0.0.2:8079"),
            ("FAROE_PRIVATE_HOST", "two words"),
            ("FAROE_PRIVATE_HOST", "-dash.example"),
            ("FAROE_ADMIN_ADDR", "127.0.0.1"),
            ("FAROE_ADMIN_ADDR", "localhost:9777"),
            ("FAROE_LOG_FORMAT", "yaml"),
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
}
