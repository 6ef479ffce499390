//! The corpus as one text file of `SHA1HEX:COUNT` lines sorted by hash, as the
//! downloadable corpus is distributed (upper-case hex and CRLF there; lower case and LF
//! are accepted too), searched by bisection without loading it.
//!
//! The search narrows byte offsets with positional reads (`pread`) on the file opened
//! once, rather than over a memory map. The workspace forbids `unsafe`, and mapping a
//! file is unsafe for a good reason: when the file is truncated or rewritten underneath,
//! touching the mapping kills the whole server with SIGBUS, where a read merely comes
//! back short and fails one check. SHA-1 hashes are spread evenly, so the first probes
//! are placed where the hash would stand in an even spread (interpolation): in ten
//! million lines a lookup costs about five reads of a hundred bytes and one of at most
//! 4 KiB, where bisection took seventeen. A file far from even falls back to
//! bisection after a few probes, which bounds its reads. The reads are served from the
//! kernel's page cache once warm; the server's own memory does not grow with the file,
//! since the file's pages live in the page cache, not in the process.
//!
//! The file's length is taken when it is opened: replace the file and restart the
//! server to use a new corpus (a replaced file keeps being read from the old copy until
//! then, as the open handle still names it).

use std::cmp::Ordering;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::line::{parse_line, HASH_LENGTH};
use super::{CorpusError, LookupFailure};

/// The longest line a corpus holds: 40 hex digits, a colon, a 20-digit count, CR, LF.
const LONGEST_LINE: usize = 64;
/// Ranges this small are read whole and scanned instead of bisected further.
const SCAN_BELOW: u64 = 4096;
/// Probes placed by interpolation before a lookup falls back to bisection.
const INTERPOLATED_PROBES: u32 = 4;
/// Lines checked at startup, spread evenly over the file.
const SAMPLES: u64 = 16;

/// A sorted corpus file, open for lookups.
#[derive(Debug)]
pub struct SortedFile {
    path: PathBuf,
    file: File,
    /// Where the last line ends; trailing blank lines and spaces are left out.
    end: u64,
}

/// One line, with where it starts and where the next one starts.
struct Line {
    start: u64,
    next: u64,
    text: Vec<u8>,
}

impl SortedFile {
    /// Opens `path` and checks that sample lines parse and come in ascending order.
    pub fn open(path: &Path) -> Result<SortedFile, CorpusError> {
        let file = File::open(path)
            .map_err(|error| CorpusError(format!("cannot open {}: {error}", path.display())))?;
        let length = file
            .metadata()
            .map_err(|error| CorpusError(format!("cannot read {}: {error}", path.display())))?
            .len();
        let mut sorted = SortedFile {
            path: path.to_owned(),
            file,
            end: length,
        };
        sorted.end = sorted
            .content_end()
            .map_err(|error| CorpusError(format!("cannot read {}: {error}", path.display())))?;
        if sorted.end == 0 {
            return Err(CorpusError(format!(
                "{} is empty: expected SHA1HEX:COUNT lines sorted by hash",
                path.display()
            )));
        }
        sorted
            .check_samples()
            .map_err(|failure| CorpusError(failure.message))?;
        Ok(sorted)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How often `hash` (40 upper-case hex digits) is listed; 0 when it is not.
    pub fn count(&self, hash: &[u8]) -> Result<u64, LookupFailure> {
        // `low` is always where a line starts; `high` too, or the end of the content.
        // Every line in between lies between the keys `low_key` and `high_key`.
        let (mut low, mut high) = (0, self.end);
        let (mut low_key, mut high_key) = (0, u64::MAX);
        let wanted = key_of(hash);
        let mut probes = 0;
        while high - low > SCAN_BELOW {
            // SHA-1 hashes are spread evenly, so where the hash would stand if the
            // range were uniform is close to where it stands: a few probes narrow
            // ten million lines down to one small read. Past a few probes (a corpus
            // far from uniform), plain bisection bounds the number of reads.
            let middle = if probes < INTERPOLATED_PROBES {
                interpolate(low, high, low_key, high_key, wanted)
            } else {
                low + (high - low) / 2
            };
            probes += 1;
            let line = match self.line_from(middle)? {
                Some(line) if line.start < high => line,
                // No line starts in the last two line lengths: no corpus line is that long.
                _ => return Err(self.malformed(middle)),
            };
            let (hex, count) = self.parse(&line)?;
            match compare(hex, hash) {
                Ordering::Less => (low, low_key) = (line.next, key_of(hex)),
                Ordering::Greater => (high, high_key) = (line.start, key_of(hex)),
                Ordering::Equal => return Ok(count),
            }
        }
        if low == high {
            return Ok(0);
        }
        let mut range = vec![0; usize::try_from(high - low).unwrap_or(usize::MAX)];
        self.read_exact_at(low, &mut range)?;
        let range = range.strip_suffix(b"\n").unwrap_or(&range);
        let mut start = low;
        for text in range.split(|&byte| byte == b'\n') {
            let Some((hex, count)) = parse_line(text, HASH_LENGTH) else {
                return Err(self.malformed(start));
            };
            match compare(hex, hash) {
                Ordering::Less => {}
                Ordering::Equal => return Ok(count),
                Ordering::Greater => break,
            }
            start += text.len() as u64 + 1;
        }
        Ok(0)
    }

    /// The first line that starts at or after `from` (which is before the end); `None`
    /// when `from` is inside the last line.
    fn line_from(&self, from: u64) -> Result<Option<Line>, LookupFailure> {
        // Reading from the byte before `from` tells whether a line starts right at it.
        let read_from = from.saturating_sub(1);
        let mut buffer = [0; 2 * LONGEST_LINE + 1];
        let wanted = buffer
            .len()
            .min(usize::try_from(self.end - read_from).unwrap_or(usize::MAX));
        let buffer = &mut buffer[..wanted];
        self.read_exact_at(read_from, buffer)?;
        let start_index = if from == 0 {
            0
        } else {
            match buffer.iter().position(|&byte| byte == b'\n') {
                Some(newline) => newline + 1,
                None if read_from + wanted as u64 == self.end => return Ok(None),
                None => return Err(self.malformed(from)),
            }
        };
        let start = read_from + start_index as u64;
        let rest = &buffer[start_index..];
        match rest.iter().position(|&byte| byte == b'\n') {
            Some(newline) => Ok(Some(Line {
                start,
                next: start + newline as u64 + 1,
                text: rest[..newline].to_vec(),
            })),
            // The last line, which has no newline within the content.
            None if read_from + wanted as u64 == self.end => Ok(Some(Line {
                start,
                next: self.end,
                text: rest.to_vec(),
            })),
            None => Err(self.malformed(start)),
        }
    }

    fn parse<'a>(&self, line: &'a Line) -> Result<(&'a [u8], u64), LookupFailure> {
        parse_line(&line.text, HASH_LENGTH).ok_or_else(|| self.malformed(line.start))
    }

    /// The last line of the content.
    fn last_line(&self) -> Result<Line, LookupFailure> {
        let read_from = self.end.saturating_sub(2 * LONGEST_LINE as u64);
        let mut buffer = vec![0; usize::try_from(self.end - read_from).unwrap_or(0)];
        self.read_exact_at(read_from, &mut buffer)?;
        let start_index = match buffer.iter().rposition(|&byte| byte == b'\n') {
            Some(newline) => newline + 1,
            None if read_from == 0 => 0,
            None => return Err(self.malformed(read_from)),
        };
        Ok(Line {
            start: read_from + start_index as u64,
            next: self.end,
            text: buffer[start_index..].to_vec(),
        })
    }

    /// Reads the first line, the last one and lines at evenly spread offsets between,
    /// and checks that they parse and ascend: a truncated download or the corpus
    /// ordered by prevalence shows up here.
    fn check_samples(&self) -> Result<(), LookupFailure> {
        let mut lines = Vec::new();
        for sample in 0..SAMPLES {
            lines.extend(self.line_from(self.end * sample / SAMPLES)?);
        }
        lines.push(self.last_line()?);
        let mut previous: Option<(u64, Vec<u8>)> = None;
        for line in &lines {
            let (hex, _) = self.parse(line)?;
            let hex = hex.to_ascii_uppercase();
            if let Some((offset, before)) = &previous {
                if hex < *before {
                    return Err(LookupFailure::new(format!(
                        "{} is not sorted by hash (the line at byte offset {} comes after the \
                         one at byte offset {offset}); use the corpus ordered by hash, not the \
                         one ordered by prevalence",
                        self.path.display(),
                        line.start
                    )));
                }
            }
            previous = Some((line.start, hex));
        }
        Ok(())
    }

    /// Where the content ends once trailing whitespace (a final newline, blank lines)
    /// is left out.
    fn content_end(&self) -> io::Result<u64> {
        let mut end = self.file.metadata()?.len();
        let mut buffer = [0; 256];
        while end > 0 {
            let from = end.saturating_sub(buffer.len() as u64);
            let chunk = &mut buffer[..usize::try_from(end - from).unwrap_or(0)];
            read_at(&self.file, from, chunk)?;
            match chunk.iter().rposition(|byte| !byte.is_ascii_whitespace()) {
                Some(last) => return Ok(from + last as u64 + 1),
                None => end = from,
            }
        }
        Ok(0)
    }

    fn read_exact_at(&self, offset: u64, buffer: &mut [u8]) -> Result<(), LookupFailure> {
        match read_at(&self.file, offset, buffer) {
            Ok(read) if read == buffer.len() => Ok(()),
            Ok(_) => Err(LookupFailure::new(format!(
                "{} became shorter after it was opened; restart the server after replacing it",
                self.path.display()
            ))),
            Err(error) => Err(LookupFailure::new(format!(
                "cannot read {}: {error}",
                self.path.display()
            ))),
        }
    }

    fn malformed(&self, offset: u64) -> LookupFailure {
        LookupFailure::new(format!(
            "{}: the line at byte offset {offset} is not SHA1HEX:COUNT \
             (40 hex digits, a colon, a count)",
            self.path.display()
        ))
    }
}

/// The first 16 hex digits (of any case) as a number, for interpolation.
fn key_of(hex: &[u8]) -> u64 {
    hex.iter().take(16).fold(0, |key, &digit| {
        let value = char::from(digit).to_digit(16).unwrap_or(0);
        key << 4 | u64::from(value)
    })
}

/// Where in `low..high` (more than `SCAN_BELOW` bytes) a line with key `wanted`
/// would start if the keys between `low_key` and `high_key` were spread evenly;
/// kept two line lengths before `high`, so that a line starts between it and `high`.
fn interpolate(low: u64, high: u64, low_key: u64, high_key: u64, wanted: u64) -> u64 {
    let span = u128::from(high_key.saturating_sub(low_key)).max(1);
    let into = u128::from(wanted.saturating_sub(low_key)).min(span);
    let offset = into * u128::from(high - low) / span;
    let last = high - 2 * LONGEST_LINE as u64;
    low.saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
        .min(last)
}

/// Orders hex digits of any case against upper-case ones: as numbers.
fn compare(hex: &[u8], upper: &[u8]) -> Ordering {
    hex.iter()
        .map(u8::to_ascii_uppercase)
        .cmp(upper.iter().copied())
}

/// Reads from `offset` until `buffer` is full or the file ends; returns the bytes read.
fn read_at(file: &File, offset: u64, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match positional_read(file, &mut buffer[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

#[cfg(unix)]
fn positional_read(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn positional_read(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}
