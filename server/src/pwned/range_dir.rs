//! The corpus as a directory of range files: `XXXXX.txt` for each five-digit hash
//! prefix, holding the `SUFFIX:COUNT` lines the range API answers for it (the layout the
//! official downloader writes). A missing range file lists nothing.
//!
//! Unlike an API answer, a local range file must be well-formed throughout: a line that
//! does not parse fails the lookup. The name of a range file is the hash prefix of the
//! password being checked, so errors meant for logs leave it out.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::line::{scan_range, PREFIX_LENGTH};
use super::{CorpusError, LookupFailure};

/// Real range files are a few tens of KiB; anything past this is not one.
const MAX_RANGE_BYTES: u64 = 1024 * 1024;

/// A directory of range files, open for lookups.
#[derive(Debug)]
pub struct RangeDir {
    dir: PathBuf,
}

impl RangeDir {
    /// Checks that `dir` holds range files and that the first one found parses.
    pub fn open(dir: &Path) -> Result<RangeDir, CorpusError> {
        let cannot_read = |error: io::Error| {
            CorpusError(format!(
                "cannot read the directory {}: {error}",
                dir.display()
            ))
        };
        let mut sample = None;
        for entry in std::fs::read_dir(dir).map_err(cannot_read)? {
            let path = entry.map_err(cannot_read)?.path();
            if is_range_file_name(&path) {
                sample = Some(path);
                break;
            }
        }
        let Some(sample) = sample else {
            return Err(CorpusError(format!(
                "{} holds no range files (XXXXX.txt, named by five hex digits); expected the \
                 layout of the official downloader",
                dir.display()
            )));
        };
        let body = read_range_file(&sample)
            .map_err(|error| CorpusError(format!("cannot read {}: {error}", sample.display())))?;
        check_range(&body, b"")
            .map_err(|problem| CorpusError(format!("{}: {problem}", sample.display())))?;
        Ok(RangeDir {
            dir: dir.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// How often `hash` (40 upper-case hex digits) is listed; 0 when it is not, or when
    /// its range file is missing.
    pub fn count(&self, hash: &[u8]) -> Result<u64, LookupFailure> {
        let (prefix, suffix) = hash.split_at(PREFIX_LENGTH);
        let prefix = String::from_utf8_lossy(prefix);
        // The downloader names files in upper case; accept lower case as well.
        let mut body = None;
        let mut failed = None;
        for name in [prefix.to_ascii_uppercase(), prefix.to_ascii_lowercase()] {
            let path = self.dir.join(format!("{name}.txt"));
            match read_range_file(&path) {
                Ok(read) => {
                    body = Some((path, read));
                    break;
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => {
                    failed = Some((path, error));
                    break;
                }
            }
        }
        let failure = |path: PathBuf, problem: String| LookupFailure {
            message: format!(
                "a range file in {} (its name, the hash prefix, left out): {problem}",
                self.dir.display()
            ),
            range_file: Some(path),
        };
        if let Some((path, error)) = failed {
            return Err(failure(path, format!("cannot read it: {error}")));
        }
        let Some((path, body)) = body else {
            return Ok(0);
        };
        check_range(&body, suffix).map_err(|problem| failure(path, problem))
    }
}

/// The count listed for `suffix` (0 when it is not), or what is wrong with the file.
fn check_range(body: &[u8], suffix: &[u8]) -> Result<u64, String> {
    let scan = scan_range(body, suffix);
    if let Some(offset) = scan.first_malformed {
        return Err(format!(
            "the line at byte offset {offset} is not SUFFIX:COUNT (35 hex digits, a colon, a count)"
        ));
    }
    match scan.count {
        Some(count) => Ok(count),
        None if scan.entries > 0 => Ok(0),
        None => Err("it holds no SUFFIX:COUNT line".to_owned()),
    }
}

fn read_range_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    File::open(path)?
        .take(MAX_RANGE_BYTES + 1)
        .read_to_end(&mut body)?;
    if body.len() as u64 > MAX_RANGE_BYTES {
        return Err(io::Error::other(format!(
            "larger than {MAX_RANGE_BYTES} bytes, which no range file is"
        )));
    }
    Ok(body)
}

fn is_range_file_name(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "txt")
        && path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .is_some_and(|stem| {
                stem.len() == PREFIX_LENGTH && stem.bytes().all(|byte| byte.is_ascii_hexdigit())
            })
}
