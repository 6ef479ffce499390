//! The env file: its line syntax and reading it from disk.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use super::{Cli, ConfigError};

/// The env file read when `--env-file` is not given.
pub const DEFAULT_ENV_FILE: &str = ".env";

/// Lines of an env file longer than this are an error.
const MAX_ENV_LINE_BYTES: usize = 64 * 1024;

/// What happened to the env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFileStatus {
    Loaded(PathBuf),
    /// The default `.env` does not exist; only the OS environment and defaults apply.
    DefaultMissing(PathBuf),
}

/// Parses env file contents: one `KEY=value` per line; blank lines, lines starting with
/// `#` and lines without `=` are skipped; key and value are trimmed; one pair of
/// matching surrounding quotes is removed from the value; a later key wins. Inline
/// `#` is part of the value and there is no escape processing or `export` handling.
pub fn parse_env_file(contents: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut values = HashMap::new();
    for (index, raw_line) in contents.split('\n').enumerate() {
        if raw_line.len() > MAX_ENV_LINE_BYTES {
            return Err((index + 1, "line longer than 64 KiB".to_owned()));
        }
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        values.insert(key.trim().to_owned(), unquote(value.trim()).to_owned());
    }
    Ok(values)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// Reads the env file `cli` names (or the default one).
pub fn read_env_file(cli: &Cli) -> Result<(HashMap<String, String>, EnvFileStatus), ConfigError> {
    let (path, explicit) = match &cli.env_file {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from(DEFAULT_ENV_FILE), false),
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return if explicit {
                Err(ConfigError::EnvFileMissing(path))
            } else {
                Ok((HashMap::new(), EnvFileStatus::DefaultMissing(path)))
            };
        }
        Err(source) => return Err(ConfigError::EnvFileUnreadable { path, source }),
    };
    let contents = String::from_utf8_lossy(&bytes);
    let values =
        parse_env_file(&contents).map_err(|(line, reason)| ConfigError::EnvFileSyntax {
            path: path.clone(),
            line,
            reason,
        })?;
    Ok((values, EnvFileStatus::Loaded(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_lines_follow_the_rules() {
        let contents = "\u{feff}FIRST=1\r\n\
            # a comment\n\
            \n\
            no equals sign\n\
            \t SPACED  =  value with spaces  \n\
            INLINE=b # c\n\
            DOUBLE=\"quoted\"\n\
            SINGLE='quoted'\n\
            MIXED=\"mixed'\n\
            LONE=\"\n\
            LONE_SINGLE='\n\
            TWICE=\"\"a\"\"\n\
            export EXPORTED=1\n\
            EQUALS=a=b=c\n\
            =empty key\n\
            DUP=first\n\
            DUP=second\n\
            EMPTY=\n\
            LAST=no newline";
        let values = parse_env_file(contents).expect("parses");
        let get = |key: &str| values.get(key).map(String::as_str);
        assert_eq!(get("\u{feff}FIRST"), Some("1"));
        assert_eq!(get("FIRST"), None);
        assert_eq!(get("SPACED"), Some("value with spaces"));
        assert_eq!(get("INLINE"), Some("b # c"));
        assert_eq!(get("DOUBLE"), Some("quoted"));
        assert_eq!(get("SINGLE"), Some("quoted"));
        assert_eq!(get("MIXED"), Some("\"mixed'"));
        assert_eq!(get("LONE"), Some("\""));
        assert_eq!(get("LONE_SINGLE"), Some("'"));
        assert_eq!(get("TWICE"), Some("\"a\""));
        assert_eq!(get("export EXPORTED"), Some("1"));
        assert_eq!(get("EXPORTED"), None);
        assert_eq!(get("EQUALS"), Some("a=b=c"));
        assert_eq!(get(""), Some("empty key"));
        assert_eq!(get("DUP"), Some("second"));
        assert_eq!(get("EMPTY"), Some(""));
        assert_eq!(get("LAST"), Some("no newline"));
        assert!(!values.contains_key("no equals sign"));
        assert!(!values.keys().any(|key| key.starts_with('#')));
    }

    #[test]
    fn env_file_rejects_overlong_lines() {
        let contents = format!("A=1\nB={}\n", "x".repeat(MAX_ENV_LINE_BYTES));
        assert_eq!(
            parse_env_file(&contents).map(|_| ()),
            Err((2, "line longer than 64 KiB".to_owned()))
        );
        let fits = format!("B={}", "x".repeat(MAX_ENV_LINE_BYTES - 2));
        assert!(parse_env_file(&fits).is_ok());
    }
}
