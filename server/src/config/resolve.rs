//! Resolving every setting from flag, OS environment, env file and default, with the
//! checks each value must pass.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{parse_go_duration, Cli, Config, ConfigError, PwnedPasswordsMode};

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
    let private_port = match cli.private_port.filter(|port| *port != 0) {
        Some(port) => port,
        None => variable(
            &lookup,
            "FAROE_PRIVATE_PORT",
            |name, value| parse_port(name, value, false),
            defaults.private_port,
        )?,
    };
    let db_path = match &cli.db_path {
        Some(path) if !path.as_os_str().is_empty() => path.clone(),
        _ => lookup("FAROE_DB_PATH").map_or(defaults.db_path, PathBuf::from),
    };
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
        limits,
        log_filter,
        enable_reset: cli.enable_reset,
        interactive: cli.interactive,
    })
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

fn parse_pwned_passwords_mode(name: &str, value: &str) -> Result<PwnedPasswordsMode, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "hibp" => Ok(PwnedPasswordsMode::Hibp),
        "off" => Ok(PwnedPasswordsMode::Off),
        _ => Err(invalid(name, value, "expected hibp or off")),
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
}
