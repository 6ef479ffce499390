//! The limits and timeouts that keep the public listener alive under hostile clients,
//! and the bound on password actions waiting for Argon2id.

use std::time::Duration;

use super::resolve::{invalid, positive_duration, variable};
use super::{format_duration, ConfigError};

/// Each password action waits for one hash; this many per hashing slot may queue.
pub const HASHING_QUEUE_PER_SLOT: usize = 32;

/// The connection cap where the open-files limit cannot be read.
pub const DEFAULT_MAX_CONNECTIONS: usize = 896;

/// Listener timeouts, the connection cap, the shutdown grace and the hashing queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A request head must be complete this long after a connection opens.
    pub header_timeout: Duration,
    /// A request body must be complete this long after its head.
    pub body_timeout: Duration,
    /// A keep-alive connection must send its next request head within this.
    pub idle_timeout: Duration,
    /// `None`: derived from the open-files limit at startup.
    pub max_connections: Option<usize>,
    /// How long requests in flight may run on after SIGTERM or SIGINT.
    pub shutdown_grace: Duration,
    /// `None`: [`HASHING_QUEUE_PER_SLOT`] × the hashing concurrency.
    pub hashing_queue: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: None,
            shutdown_grace: Duration::from_secs(10),
            hashing_queue: None,
        }
    }
}

impl Limits {
    /// How many password actions may wait beyond the `hashing_concurrency` hashing ones.
    pub fn hashing_queue(&self, hashing_concurrency: usize) -> usize {
        self.hashing_queue
            .unwrap_or(HASHING_QUEUE_PER_SLOT * hashing_concurrency)
    }

    /// `NAME=value` lines for `--check-config`; derived values print empty.
    pub(super) fn describe(&self) -> Vec<String> {
        let derived = |value: Option<usize>| value.map_or(String::new(), |n| n.to_string());
        vec![
            format!(
                "FAROE_HTTP_HEADER_TIMEOUT={}",
                format_duration(self.header_timeout)
            ),
            format!(
                "FAROE_HTTP_BODY_TIMEOUT={}",
                format_duration(self.body_timeout)
            ),
            format!(
                "FAROE_HTTP_IDLE_TIMEOUT={}",
                format_duration(self.idle_timeout)
            ),
            format!("FAROE_MAX_CONNECTIONS={}", derived(self.max_connections)),
            format!(
                "FAROE_SHUTDOWN_GRACE={}",
                format_duration(self.shutdown_grace)
            ),
            format!("FAROE_HASHING_QUEUE={}", derived(self.hashing_queue)),
        ]
    }
}

/// Resolves the limits from `lookup` (flag-less: environment, then env file).
pub(super) fn resolve_limits(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    Ok(Limits {
        header_timeout: variable(
            lookup,
            "FAROE_HTTP_HEADER_TIMEOUT",
            positive_duration,
            defaults.header_timeout,
        )?,
        body_timeout: variable(
            lookup,
            "FAROE_HTTP_BODY_TIMEOUT",
            positive_duration,
            defaults.body_timeout,
        )?,
        idle_timeout: variable(
            lookup,
            "FAROE_HTTP_IDLE_TIMEOUT",
            positive_duration,
            defaults.idle_timeout,
        )?,
        max_connections: variable(
            lookup,
            "FAROE_MAX_CONNECTIONS",
            |name, value| count(name, value, 1).map(Some),
            defaults.max_connections,
        )?,
        shutdown_grace: variable(
            lookup,
            "FAROE_SHUTDOWN_GRACE",
            non_negative_duration,
            defaults.shutdown_grace,
        )?,
        hashing_queue: variable(
            lookup,
            "FAROE_HASHING_QUEUE",
            |name, value| count(name, value, 0).map(Some),
            defaults.hashing_queue,
        )?,
    })
}

const MAX_COUNT: usize = 1_000_000;

fn count(name: &str, value: &str, min: usize) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(count) if (min..=MAX_COUNT).contains(&count) => Ok(count),
        _ => Err(invalid(
            name,
            value,
            format!("expected a whole number from {min} to {MAX_COUNT}"),
        )),
    }
}

/// `0` is allowed: requests in flight are cut at once.
fn non_negative_duration(name: &str, value: &str) -> Result<Duration, ConfigError> {
    if value == "0" {
        return Ok(Duration::ZERO);
    }
    positive_duration(name, value)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve_from(pairs: &[(&str, &str)]) -> Result<Limits, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        resolve_limits(&move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let limits = resolve_from(&[]).expect("valid");
        assert_eq!(limits.header_timeout, Duration::from_secs(10));
        assert_eq!(limits.body_timeout, Duration::from_secs(10));
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        assert_eq!(limits.shutdown_grace, Duration::from_secs(10));
        assert_eq!(limits.max_connections, None);
        assert_eq!(limits.hashing_queue(3), 96);
    }

    #[test]
    fn every_limit_is_read() {
        let limits = resolve_from(&[
            ("FAROE_HTTP_HEADER_TIMEOUT", "250ms"),
            ("FAROE_HTTP_BODY_TIMEOUT", "1.5s"),
            ("FAROE_HTTP_IDLE_TIMEOUT", "2m"),
            ("FAROE_MAX_CONNECTIONS", "40"),
            ("FAROE_SHUTDOWN_GRACE", "0"),
            ("FAROE_HASHING_QUEUE", "0"),
        ])
        .expect("valid");
        assert_eq!(limits.header_timeout, Duration::from_millis(250));
        assert_eq!(limits.body_timeout, Duration::from_millis(1500));
        assert_eq!(limits.idle_timeout, Duration::from_secs(120));
        assert_eq!(limits.max_connections, Some(40));
        assert_eq!(limits.shutdown_grace, Duration::ZERO);
        assert_eq!(limits.hashing_queue(3), 0);
    }

    #[test]
    fn invalid_limits_name_the_variable_and_the_value() {
        for (name, value) in [
            ("FAROE_HTTP_HEADER_TIMEOUT", "0"),
            ("FAROE_HTTP_BODY_TIMEOUT", "ten"),
            ("FAROE_HTTP_IDLE_TIMEOUT", "-1s"),
            ("FAROE_MAX_CONNECTIONS", "0"),
            ("FAROE_MAX_CONNECTIONS", "many"),
            ("FAROE_SHUTDOWN_GRACE", "-2s"),
            ("FAROE_HASHING_QUEUE", "-1"),
            ("FAROE_HASHING_QUEUE", "2000000"),
        ] {
            let message = resolve_from(&[(name, value)])
                .expect_err(&format!("{name}={value} was accepted"))
                .to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains(&format!("{value:?}")), "{message}");
        }
    }
}
