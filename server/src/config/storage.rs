//! The storage settings: `FAROE_STORAGE_URL` (or `--storage-url`), namespace, pool size
//! and timeout. Unset, the auth state stays in the SQLite file at `FAROE_DB_PATH`.

use std::path::Path;
use std::time::Duration;

use super::{format_duration, parse_go_duration, ConfigError, Variable};
use crate::storage::open::{
    check_namespace, DEFAULT_NAMESPACE, DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT,
};
use crate::storage::{StorageSettings, StorageUrl};

pub const STORAGE_VARIABLES: [Variable; 4] = [
    Variable {
        name: "FAROE_STORAGE_URL",
        default: "sqlite at FAROE_DB_PATH",
        description: "storage engine: sqlite:PATH, postgres://user:password@host:port/db, redis://[:password@]host:port/db or rediss://…",
    },
    Variable {
        name: "FAROE_STORAGE_NAMESPACE",
        default: DEFAULT_NAMESPACE,
        description: "PostgreSQL schema / Redis key prefix, so deployments can share a server (letters, digits, _)",
    },
    Variable {
        name: "FAROE_STORAGE_POOL_SIZE",
        default: "1",
        description: "PostgreSQL connections per instance that carry the actions' queries, pipelined (raise it when one PostgreSQL backend process is the bottleneck)",
    },
    Variable {
        name: "FAROE_STORAGE_TIMEOUT",
        default: "2s",
        description: "longest a storage call may take; a slower one fails the action with internal_error",
    },
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `None`: SQLite at `FAROE_DB_PATH`.
    pub url: Option<StorageUrl>,
    pub namespace: String,
    pub pool_size: usize,
    pub timeout: Duration,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            url: None,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl StorageConfig {
    /// The engine settings, with `db_path` standing in for an unset URL.
    pub fn settings(&self, db_path: &Path) -> StorageSettings {
        StorageSettings {
            url: self
                .url
                .clone()
                .unwrap_or_else(|| StorageUrl::Sqlite(db_path.to_path_buf())),
            namespace: self.namespace.clone(),
            pool_size: self.pool_size,
            timeout: self.timeout,
        }
    }

    /// `--check-config` lines; the URL's password is masked.
    pub fn describe(&self, db_path: &Path) -> Vec<String> {
        let settings = self.settings(db_path);
        vec![
            format!("FAROE_STORAGE_URL={}", settings.url),
            format!("FAROE_STORAGE_NAMESPACE={}", self.namespace),
            format!("FAROE_STORAGE_POOL_SIZE={}", self.pool_size),
            format!("FAROE_STORAGE_TIMEOUT={}", format_duration(self.timeout)),
            format!("storage engine: {}", settings.url.engine()),
        ]
    }
}

fn invalid(name: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Reads the storage settings: `flag_url` (from `--storage-url`) beats the variables.
pub fn resolve_storage(
    flag_url: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<StorageConfig, ConfigError> {
    let defaults = StorageConfig::default();
    let url_source = match flag_url.filter(|url| !url.is_empty()) {
        Some(url) => Some(("--storage-url", url.to_owned())),
        None => lookup("FAROE_STORAGE_URL").map(|url| ("FAROE_STORAGE_URL", url)),
    };
    let url = match url_source {
        // The message shows the URL with its password masked.
        Some((name, value)) => Some(StorageUrl::parse(&value).map_err(|error| {
            invalid(name, &crate::storage::mask_password(&value), error.reason)
        })?),
        None => None,
    };
    let namespace = match lookup("FAROE_STORAGE_NAMESPACE") {
        Some(value) => {
            check_namespace(&value)
                .map_err(|reason| invalid("FAROE_STORAGE_NAMESPACE", &value, reason))?;
            value
        }
        None => defaults.namespace,
    };
    let pool_size = match lookup("FAROE_STORAGE_POOL_SIZE") {
        Some(value) => match value.parse::<usize>() {
            Ok(size) if (1..=1024).contains(&size) => size,
            _ => {
                return Err(invalid(
                    "FAROE_STORAGE_POOL_SIZE",
                    &value,
                    "expected a whole number from 1 to 1024",
                ))
            }
        },
        None => defaults.pool_size,
    };
    let timeout = match lookup("FAROE_STORAGE_TIMEOUT") {
        Some(value) => {
            let nanos = parse_go_duration(&value)
                .map_err(|reason| invalid("FAROE_STORAGE_TIMEOUT", &value, reason))?;
            match u64::try_from(nanos) {
                Ok(nanos) if nanos > 0 => Duration::from_nanos(nanos),
                _ => {
                    return Err(invalid(
                        "FAROE_STORAGE_TIMEOUT",
                        &value,
                        "must be greater than zero",
                    ))
                }
            }
        }
        None => defaults.timeout,
    };
    Ok(StorageConfig {
        url,
        namespace,
        pool_size,
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;

    fn resolve_with(
        flag: Option<&str>,
        pairs: &[(&str, &str)],
    ) -> Result<StorageConfig, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        resolve_storage(flag, &move |name: &str| env.get(name).cloned())
    }

    #[test]
    fn unset_means_sqlite_at_the_db_path() {
        let config = resolve_with(None, &[]).expect("valid");
        assert_eq!(config, StorageConfig::default());
        let settings = config.settings(Path::new("x.sqlite"));
        assert_eq!(settings.url, StorageUrl::Sqlite(PathBuf::from("x.sqlite")));
        assert_eq!(
            (
                settings.namespace.as_str(),
                settings.pool_size,
                settings.timeout
            ),
            ("tiauth", 1, Duration::from_secs(2))
        );
    }

    #[test]
    fn every_storage_variable_is_read_and_the_flag_wins() {
        let pairs = [
            ("FAROE_STORAGE_URL", "redis://127.0.0.1:6379/3"),
            ("FAROE_STORAGE_NAMESPACE", "Shop_2"),
            ("FAROE_STORAGE_POOL_SIZE", "4"),
            ("FAROE_STORAGE_TIMEOUT", "750ms"),
        ];
        let config = resolve_with(None, &pairs).expect("valid");
        assert_eq!(
            config.url,
            Some(StorageUrl::Redis("redis://127.0.0.1:6379/3".into()))
        );
        assert_eq!(config.namespace, "Shop_2");
        assert_eq!(config.pool_size, 4);
        assert_eq!(config.timeout, Duration::from_millis(750));
        let config = resolve_with(Some("postgres://db/auth"), &pairs).expect("valid");
        assert_eq!(
            config.url,
            Some(StorageUrl::Postgres("postgres://db/auth".into()))
        );
    }

    #[test]
    fn bad_values_name_the_variable_and_never_show_the_password() {
        for (name, value) in [
            ("FAROE_STORAGE_NAMESPACE", "a-b"),
            ("FAROE_STORAGE_NAMESPACE", "x".repeat(49).as_str()),
            ("FAROE_STORAGE_POOL_SIZE", "0"),
            ("FAROE_STORAGE_TIMEOUT", "0s"),
            ("FAROE_STORAGE_TIMEOUT", "soon"),
        ] {
            let message = resolve_with(None, &[(name, value)])
                .expect_err(value)
                .to_string();
            assert!(
                message.contains(name) && message.contains(value),
                "{message}"
            );
        }
        for url in [
            "mysql://root:hunter2@db/auth",
            "postgres://ann:hunter2@db:notaport/auth",
        ] {
            let error = resolve_with(None, &[("FAROE_STORAGE_URL", url)]).expect_err(url);
            assert_eq!(error.exit_code(), 2);
            let message = error.to_string();
            assert!(message.contains("FAROE_STORAGE_URL"), "{message}");
            assert!(message.contains(":***@"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        let message = resolve_with(Some("ftp://a:hunter2@b"), &[])
            .expect_err("refused")
            .to_string();
        assert!(message.contains("--storage-url") && !message.contains("hunter2"));
    }

    #[test]
    fn described_with_the_engine_and_a_masked_password() {
        let config = resolve_with(
            None,
            &[("FAROE_STORAGE_URL", "postgresql://ann:hunter2@db/auth")],
        )
        .expect("valid");
        let lines = config.describe(Path::new("unused"));
        assert!(lines.contains(&"FAROE_STORAGE_URL=postgresql://ann:***@db/auth".to_owned()));
        assert!(lines.contains(&"storage engine: postgres".to_owned()));
        assert!(!lines.join("\n").contains("hunter2"));
    }
}
