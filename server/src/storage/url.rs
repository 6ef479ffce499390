//! `FAROE_STORAGE_URL`: which engine holds the auth state, and where.

use std::fmt;
use std::path::PathBuf;

/// A parsed storage URL. Its `Display` masks the password.
#[derive(Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// `sqlite:PATH`, or a bare path.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, a standard libpq connection URL.
    Postgres(String),
    /// `redis://…` or `rediss://…` (TLS), with the database number as the path.
    Redis(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct StorageUrlError {
    pub reason: String,
}

fn error(reason: impl Into<String>) -> StorageUrlError {
    StorageUrlError {
        reason: reason.into(),
    }
}

impl StorageUrl {
    pub fn parse(value: &str) -> Result<StorageUrl, StorageUrlError> {
        let scheme = value
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .filter(|scheme| {
                scheme.len() > 1
                    && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            });
        match scheme.map(str::to_ascii_lowercase).as_deref() {
            None => Ok(StorageUrl::Sqlite(PathBuf::from(value))),
            Some("sqlite") => {
                let path = &value["sqlite:".len()..];
                let path = path.strip_prefix("//").unwrap_or(path);
                if path.is_empty() {
                    return Err(error("sqlite: needs a file path, e.g. sqlite:./db.sqlite"));
                }
                Ok(StorageUrl::Sqlite(PathBuf::from(path)))
            }
            Some("postgres" | "postgresql") => {
                super::postgres_tls::PostgresTarget::parse(value)
                    .map_err(|e| error(format!("not a PostgreSQL connection URL ({e})")))?;
                Ok(StorageUrl::Postgres(value.to_owned()))
            }
            Some("redis" | "rediss") => {
                ::redis::Client::open(value).map_err(|e| {
                    error(format!(
                        "not a Redis URL ({})",
                        e.detail().unwrap_or("unparsable")
                    ))
                })?;
                Ok(StorageUrl::Redis(value.to_owned()))
            }
            Some(other) => Err(error(format!(
                "unknown scheme {other:?}; expected sqlite:, postgres://, postgresql://, \
                 redis:// or rediss://"
            ))),
        }
    }

    /// The engine's name, for the startup line and `--check-config`.
    pub fn engine(&self) -> &'static str {
        match self {
            StorageUrl::Sqlite(_) => "sqlite",
            StorageUrl::Postgres(_) => "postgres",
            StorageUrl::Redis(_) => "redis",
        }
    }
}

/// `value` with the password (in the user info, or a `password=` parameter) replaced
/// by `***`, for messages and logs.
pub fn mask_password(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

impl fmt::Display for StorageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StorageUrl::Postgres(url) | StorageUrl::Redis(url) => f.write_str(&mask_password(url)),
        }
    }
}

/// Debug output masks the password as well (configurations get debug-printed).
impl fmt::Debug for StorageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_selects_its_engine() {
        let cases = [
            ("sqlite:./db.sqlite", "sqlite"),
            ("sqlite:///var/lib/tiauth.db", "sqlite"),
            ("./plain/path.sqlite", "sqlite"),
            ("/abs/path.db", "sqlite"),
            ("postgres://postgres@127.0.0.1:5432/test", "postgres"),
            (
                "postgresql://u:p@db.example:6543/auth?sslmode=disable",
                "postgres",
            ),
            (
                "postgres://db.example/auth?sslmode=verify-full&sslrootcert=/etc/ca.pem",
                "postgres",
            ),
            ("redis://127.0.0.1:6379/0", "redis"),
            ("rediss://:secret@cache.example:6380/2", "redis"),
        ];
        for (value, engine) in cases {
            let url = StorageUrl::parse(value).expect(value);
            assert_eq!(url.engine(), engine, "{value}");
        }
        assert_eq!(
            StorageUrl::parse("sqlite:///var/lib/tiauth.db").expect("valid"),
            StorageUrl::Sqlite(PathBuf::from("/var/lib/tiauth.db"))
        );
        assert_eq!(
            StorageUrl::parse("sqlite:db.sqlite").expect("valid"),
            StorageUrl::Sqlite(PathBuf::from("db.sqlite"))
        );
    }

    #[test]
    fn unknown_schemes_and_broken_urls_are_refused() {
        for value in [
            "mysql://root@localhost/db",
            "postgres://u:p@host:notaport/db",
            "redis://h:99999999/0",
            "postgres://db/auth?sslmode=allow",
            "sqlite:",
        ] {
            assert!(StorageUrl::parse(value).is_err(), "{value} was accepted");
        }
        let message = StorageUrl::parse("mongodb://x")
            .expect_err("refused")
            .reason;
        assert!(message.contains("mongodb"), "{message}");
    }

    #[test]
    fn passwords_are_masked() {
        let cases = [
            (
                "postgres://ann:hunter2@db:5432/auth?sslmode=prefer",
                "postgres://ann:***@db:5432/auth?sslmode=prefer",
            ),
            (
                "postgresql://db/auth?user=ann&password=hunter2",
                "postgresql://db/auth?user=ann&password=***",
            ),
            ("redis://:hunter2@cache:6379/1", "redis://:***@cache:6379/1"),
            ("redis://cache:6379/1", "redis://cache:6379/1"),
            ("postgres://ann@db/auth", "postgres://ann@db/auth"),
            ("postgres://a:b:c@d@db/x", "postgres://a:***@db/x"),
        ];
        for (value, masked) in cases {
            assert_eq!(mask_password(value), masked);
            let url = StorageUrl::parse(value).expect(value);
            assert_eq!(url.to_string(), masked);
            assert!(!format!("{url:?}").contains("hunter2"));
        }
    }
}
