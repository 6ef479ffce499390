//! `tiauth import-upstream`: moving the state of an upstream tiauth server (its
//! `db.sqlite`) into this server's storage, so signed-in users stay signed in and
//! pending flows can be finished.
//!
//! Upstream keeps one `key_value` table whose values are records in faroe's binary
//! sequence format (rate-limit buckets: 9 raw bytes) with token secrets in plain text.
//! Each live record is decoded, its secret hashed as this server stores secrets, and
//! written in this server's record format under the same key, with the expiry hint this
//! server would give it. Storage counters start afresh (only their changes matter);
//! the counters and timestamps inside records are kept. The source is opened read-only.

mod records;
mod sequence;
mod source;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::{open_storage, StartError};
use crate::config::Config;
use crate::faroe::clock::{Clock, SystemClock, Timestamp};
use crate::faroe::SessionConfig;
use crate::storage::{Storage, StorageError, StorageUrl};

/// Why one upstream record cannot be imported. Never quotes the record's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown key prefix")]
    UnknownPrefix,
    #[error("the length of item {index} is not a valid varint")]
    BadLength { index: usize },
    #[error("item {index} runs past the end of the record (truncated)")]
    Truncated { index: usize },
    #[error("item {index} is missing (truncated)")]
    MissingItem { index: usize },
    #[error("item {index} is not UTF-8 text")]
    NotUtf8 { index: usize },
    #[error("item {index} is not a boolean")]
    NotABool { index: usize },
    #[error("item {index} is too long for its integer type")]
    IntegerTooLong { index: usize },
    #[error("item {index} is not a stored token secret")]
    BadSecret { index: usize },
    #[error("the record's id differs from its key")]
    IdMismatch,
    #[error("a rate-limit bucket of {0} bytes, not 9")]
    BucketLength(usize),
    #[error("cannot encode the record: {0}")]
    Encode(String),
}

/// The kinds of records, in the order the summary lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Session,
    Signup,
    Signin,
    EmailAddressUpdate,
    PasswordUpdate,
    PasswordReset,
    Deletion,
    RateLimitBucket,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Session,
        Kind::Signup,
        Kind::Signin,
        Kind::EmailAddressUpdate,
        Kind::PasswordUpdate,
        Kind::PasswordReset,
        Kind::Deletion,
        Kind::RateLimitBucket,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Session => "sessions",
            Kind::Signup => "signups",
            Kind::Signin => "signins",
            Kind::EmailAddressUpdate => "e-mail address updates",
            Kind::PasswordUpdate => "password updates",
            Kind::PasswordReset => "password resets",
            Kind::Deletion => "deletions",
            Kind::RateLimitBucket => "rate-limit buckets",
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub source: PathBuf,
    /// Rows in the upstream table.
    pub read: usize,
    pub imported: BTreeMap<Kind, usize>,
    /// Live records whose key the destination already held (left as they are).
    pub already_present: usize,
    pub expired: usize,
    /// Keys of the records that could not be decoded, and why.
    pub rejected: Vec<(String, DecodeError)>,
}

impl Summary {
    pub fn imported_total(&self) -> usize {
        self.imported.values().sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "read {} records from the upstream database {}",
            self.read,
            self.source.display()
        )?;
        let by_kind: Vec<String> = Kind::ALL
            .iter()
            .map(|kind| {
                let count = self.imported.get(kind).copied().unwrap_or(0);
                format!("{} {count}", kind.label())
            })
            .collect();
        writeln!(
            f,
            "imported {} ({})",
            self.imported_total(),
            by_kind.join(", ")
        )?;
        writeln!(
            f,
            "already in the destination, left as they are: {}",
            self.already_present
        )?;
        writeln!(f, "skipped as expired: {}", self.expired)?;
        write!(f, "rejected as undecodable: {}", self.rejected.len())?;
        for (key, reason) in &self.rejected {
            write!(f, "\n  {key}: {reason}")?;
        }
        Ok(())
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Write into a destination that already holds records, leaving those as they are.
    pub merge: bool,
    /// Records past their lifetime at this instant are skipped.
    pub now: Timestamp,
    /// The session lifetimes the server will apply.
    pub sessions: SessionConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot import {}: {reason}", .path.display())]
    Source { path: PathBuf, reason: String },
    #[error(
        "the destination storage is not empty ({reason}); nothing was imported. \
         Run again with --merge to add the upstream records and leave the ones present as they are"
    )]
    DestinationNotEmpty { reason: String },
    #[error("storage failure while importing {key}: {error}")]
    Storage { key: String, error: StorageError },
    #[error(transparent)]
    Destination(StartError),
}

impl ImportError {
    /// 2 when the configured storage is itself an upstream database (as at startup),
    /// 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            ImportError::Destination(error) => error.exit_code(),
            _ => 1,
        }
    }
}

/// One record ready to be written.
struct Pending {
    key: String,
    converted: records::Converted,
}

/// An upstream database read and converted, not yet written anywhere.
pub struct Plan {
    summary: Summary,
    pending: Vec<Pending>,
}

/// Reads and converts the upstream database at `source`; writes nothing.
pub fn read(source: &Path, options: &ImportOptions) -> Result<Plan, ImportError> {
    let rows = source::read(source).map_err(|reason| ImportError::Source {
        path: source.to_path_buf(),
        reason,
    })?;
    let mut summary = Summary {
        source: source.to_path_buf(),
        read: rows.len(),
        ..Summary::default()
    };
    let mut pending = Vec::new();
    for row in rows {
        match records::convert(&row.key, &row.value, options.now, &options.sessions) {
            Ok(converted) if converted.expired => summary.expired += 1,
            Ok(converted) => pending.push(Pending {
                key: row.key,
                converted,
            }),
            Err(reason) => summary.rejected.push((row.key, reason)),
        }
    }
    Ok(Plan { summary, pending })
}

impl Plan {
    /// Writes the live records into `destination`.
    ///
    /// Without `merge`, a destination holding any key the import would write is
    /// refused before anything is written, and so is any non-empty one when the caller
    /// could count its rows (`destination_rows`). With `merge`, keys already present
    /// are left as they are, so running the same import again changes nothing.
    pub async fn write(
        self,
        destination: &dyn Storage,
        destination_rows: Option<u64>,
        merge: bool,
    ) -> Result<Summary, ImportError> {
        let Plan {
            mut summary,
            pending,
        } = self;
        if !merge {
            if let Some(rows) = destination_rows.filter(|rows| *rows > 0) {
                return Err(ImportError::DestinationNotEmpty {
                    reason: format!("it holds {rows} records"),
                });
            }
            // Without a row count, look for every key the import would write.
            let unknown = if destination_rows.is_some() {
                &[][..]
            } else {
                &pending[..]
            };
            for record in unknown {
                match destination.get(&record.key).await {
                    Err(StorageError::NotFound) => {}
                    Ok(_) => {
                        return Err(ImportError::DestinationNotEmpty {
                            reason: format!("it already holds {}", record.key),
                        })
                    }
                    Err(error) => {
                        return Err(ImportError::Storage {
                            key: record.key.clone(),
                            error,
                        })
                    }
                }
            }
        }
        for record in pending {
            let converted = record.converted;
            match destination
                .add(&record.key, &converted.value, converted.expires_at)
                .await
            {
                Ok(()) => *summary.imported.entry(converted.kind).or_default() += 1,
                Err(StorageError::AlreadyExists) => summary.already_present += 1,
                Err(error) => {
                    return Err(ImportError::Storage {
                        key: record.key,
                        error,
                    })
                }
            }
        }
        Ok(summary)
    }
}

/// Imports the upstream database at `source` into `destination`: [`read`], then
/// [`Plan::write`].
pub async fn import(
    source: &Path,
    destination: &dyn Storage,
    destination_rows: Option<u64>,
    options: &ImportOptions,
) -> Result<Summary, ImportError> {
    read(source, options)?
        .write(destination, destination_rows, options.merge)
        .await
}

/// `tiauth import-upstream`: imports `source` into the storage `config` names, with
/// the session lifetimes it sets.
pub async fn run(config: &Config, source: &Path, merge: bool) -> Result<Summary, ImportError> {
    let options = ImportOptions {
        merge,
        now: SystemClock.now(),
        sessions: SessionConfig {
            expiration: config.session_expiration,
            ..SessionConfig::default()
        },
    };
    // The source first: a file that cannot be imported leaves the destination alone.
    let plan = read(source, &options)?;
    let destination = open_storage(config, Arc::new(SystemClock))
        .await
        .map_err(ImportError::Destination)?;
    // Only a SQLite destination can be counted without the storage trait; another
    // engine is refused when a key the import would write exists already.
    let rows = match config.storage_settings().url {
        StorageUrl::Sqlite(path) => source::count_rows(&path),
        _ => None,
    };
    plan.write(destination.as_ref(), rows, merge).await
}
