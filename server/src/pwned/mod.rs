//! The breached-password check: is a new password listed in the Pwned Passwords corpus,
//! at least `min_count` times?
//!
//! Three places to look it up, with the same verdicts:
//! - the range API (`range_api`): only the first five hex digits of the password's
//!   SHA-1 leave the server, and the answer lists every known suffix under them;
//! - a local copy of the corpus, either one sorted file of `SHA1HEX:COUNT` lines
//!   (`sorted_file`) or a directory of range files `XXXXX.txt` holding what the API
//!   would answer for each prefix (`range_dir`). Nothing leaves the process, and lookups
//!   run on blocking threads, off the async workers.
//!
//! Lines with count 0 (the padding of API answers) never count. When the lookup fails
//! (the API unreachable, a corpus file unreadable or malformed), the check accepts the
//! password with a warning by default ("fail open"); with `fail_closed` it returns an
//! error, which the protocol core answers with `internal_error`. Logs and errors never
//! carry the password, its hash or the hash prefix.

pub mod check_command;
mod line;
mod range_api;
mod range_dir;
mod sorted_file;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use sha1::{Digest, Sha1};

use crate::faroe::passwords::{PasswordStrengthChecker, StrengthCheckError};

pub use range_api::{RangeApi, RangeApiConfig, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use range_dir::RangeDir;
pub use sorted_file::SortedFile;

/// Where listings are looked up.
#[derive(Debug, Clone)]
pub enum Corpus {
    RangeApi(RangeApi),
    SortedFile(Arc<SortedFile>),
    RangeDir(Arc<RangeDir>),
}

impl Corpus {
    /// The local corpus at `path`: a directory of range files, or else one sorted file.
    /// Checks that it is readable and that sample lines parse.
    pub fn open_local(path: &Path) -> Result<Corpus, CorpusError> {
        let metadata = std::fs::metadata(path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                CorpusError(format!("{} does not exist", path.display()))
            } else {
                CorpusError(format!("cannot read {}: {error}", path.display()))
            }
        })?;
        if metadata.is_dir() {
            Ok(Corpus::RangeDir(Arc::new(RangeDir::open(path)?)))
        } else {
            Ok(Corpus::SortedFile(Arc::new(SortedFile::open(path)?)))
        }
    }

    /// How often the SHA-1 `hash` (40 upper-case hex digits) is listed; 0 when it is not.
    async fn count(&self, hash: String) -> Result<u64, LookupFailure> {
        match self {
            Corpus::RangeApi(api) => api.count(&hash).await,
            Corpus::SortedFile(file) => {
                let file = Arc::clone(file);
                off_the_workers(move || file.count(hash.as_bytes())).await
            }
            Corpus::RangeDir(dir) => {
                let dir = Arc::clone(dir);
                off_the_workers(move || dir.count(hash.as_bytes())).await
            }
        }
    }
}

/// Runs a file lookup on a blocking thread: reads may wait on the disk.
async fn off_the_workers(
    lookup: impl FnOnce() -> Result<u64, LookupFailure> + Send + 'static,
) -> Result<u64, LookupFailure> {
    tokio::task::spawn_blocking(lookup)
        .await
        .map_err(|error| LookupFailure::new(format!("the lookup task failed: {error}")))?
}

impl fmt::Display for Corpus {
    /// What the startup line and warnings name: the API's base URL or the local path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corpus::RangeApi(api) => write!(f, "range API {}", api.base_url()),
            Corpus::SortedFile(file) => write!(f, "sorted file {}", file.path().display()),
            Corpus::RangeDir(dir) => write!(f, "range directory {}", dir.path().display()),
        }
    }
}

/// Why a local corpus cannot be used; the message names the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CorpusError(pub String);

/// Why a lookup gave no answer. The message never names the password, its hash or the
/// hash prefix, and may be logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LookupFailure {
    message: String,
    /// The range file that failed, for the operator's own terminal only: its name is
    /// the hash prefix.
    range_file: Option<PathBuf>,
}

impl LookupFailure {
    fn new(message: impl Into<String>) -> Self {
        LookupFailure {
            message: message.into(),
            range_file: None,
        }
    }

    /// The range file that failed, when one did. Its name is the password's hash
    /// prefix: show it to the operator who typed the password, never log it.
    pub fn range_file(&self) -> Option<&Path> {
        self.range_file.as_deref()
    }
}

/// What the check says about one password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Listed this many times, at least the minimum count.
    Breached(u64),
    /// Not listed, or fewer times than the minimum count.
    NotFound,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for the breached-password check: {0}")]
pub struct PwnedPasswordsBuildError(String);

/// Treats a password as weak when the corpus lists it at least `min_count` times.
#[derive(Debug, Clone)]
pub struct PwnedPasswords {
    corpus: Corpus,
    min_count: u64,
    fail_closed: bool,
}

impl PwnedPasswords {
    /// `min_count` below 1 counts as 1: a count of 0 is never a breach.
    pub fn new(corpus: Corpus, min_count: u64, fail_closed: bool) -> Self {
        PwnedPasswords {
            corpus,
            min_count: min_count.max(1),
            fail_closed,
        }
    }

    pub fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    /// Looks `password` up, without the fail-open rule.
    pub async fn check(&self, password: &str) -> Result<Verdict, LookupFailure> {
        let hash = hex::encode_upper(Sha1::digest(password.as_bytes()));
        let count = self.corpus.count(hash).await?;
        Ok(if count >= self.min_count {
            Verdict::Breached(count)
        } else {
            Verdict::NotFound
        })
    }
}

#[async_trait]
impl PasswordStrengthChecker for PwnedPasswords {
    async fn is_weak(&self, password: &str) -> Result<bool, StrengthCheckError> {
        let start = std::time::Instant::now();
        let checked = self.check(password).await;
        let result = match &checked {
            Ok(Verdict::NotFound) => "clean",
            Ok(_) => "breached",
            Err(_) => "unavailable",
        };
        metrics::counter!(crate::metrics::BREACHED_PASSWORD_CHECKS, "result" => result)
            .increment(1);
        metrics::histogram!(crate::metrics::BREACHED_PASSWORD_CHECK_DURATION)
            .record(crate::metrics::seconds_since(start));
        match checked {
            Ok(verdict) => Ok(verdict != Verdict::NotFound),
            Err(failure) if self.fail_closed => Err(StrengthCheckError(format!(
                "breached-password check failed: {failure}"
            ))),
            Err(failure) => {
                tracing::warn!(
                    cause = %failure,
                    corpus = %self.corpus,
                    "breached-password check failed; accepting the password (fail open)"
                );
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
