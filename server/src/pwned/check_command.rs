//! `tiauth pwned-check`: lets an operator test the configured breached-password check
//! with a password of their choice, read from stdin so that it stays out of the shell
//! history and the process list.

use std::io::{Read, Write};

use super::Verdict;
use crate::app::pwned_passwords;
use crate::config::Config;

/// [`run`] on the process's stdin, stdout and stderr.
pub fn run_on_stdio(config: &Config) -> u8 {
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    run(config, stdin.lock(), &mut stdout.lock(), &mut stderr.lock())
}

/// Reads the password from `input` (one trailing line end is dropped), looks it up as
/// `config` says and prints `breached (N)` or `not found` to `out`. Returns the exit
/// status: 0 when checked, 1 when the check failed or is off, 2 for no password.
pub fn run(
    config: &Config,
    mut input: impl Read,
    out: &mut impl Write,
    err: &mut impl Write,
) -> u8 {
    let mut text = String::new();
    if let Err(error) = input.read_to_string(&mut text) {
        let _ = writeln!(err, "tiauth: cannot read the password from stdin: {error}");
        return 2;
    }
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        let _ = writeln!(
            err,
            "tiauth: no password on stdin (e.g. `tiauth pwned-check < file`)"
        );
        return 2;
    }
    let checker = match pwned_passwords(config) {
        Ok(Some(checker)) => checker,
        Ok(None) => {
            let _ = writeln!(
                err,
                "tiauth: the breached-password check is off (FAROE_PWNED_PASSWORDS=off)"
            );
            return 1;
        }
        Err(error) => {
            let _ = writeln!(err, "tiauth: {error}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(err, "tiauth: cannot start the async runtime: {error}");
            return 1;
        }
    };
    match runtime.block_on(checker.check(password)) {
        Ok(Verdict::Breached(count)) => {
            let _ = writeln!(out, "breached ({count})");
            0
        }
        Ok(Verdict::NotFound) => {
            let _ = writeln!(out, "not found");
            0
        }
        Err(failure) => {
            // The operator typed the password: naming its range file here is fine.
            let file = failure
                .range_file()
                .map(|path| format!(" ({})", path.display()))
                .unwrap_or_default();
            let _ = writeln!(
                err,
                "tiauth: the check against the {} failed: {failure}{file}",
                checker.corpus()
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PwnedPasswordsMode;
    use crate::pwned::testing::{write, HASH, PASSWORD, PREFIX, SUFFIX};

    /// Runs the command on `input`: (status, stdout, stderr).
    fn check(config: &Config, input: &str) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = run(config, input.as_bytes(), &mut out, &mut err);
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
        (status, text(out), text(err))
    }

    fn file_mode(path: &std::path::Path) -> Config {
        Config {
            pwned_passwords: PwnedPasswordsMode::File(path.to_owned()),
            // Unreachable: file mode must not need it.
            pwned_passwords_url: "http://127.0.0.2:9".to_owned(),
            ..Config::default()
        }
    }

    #[test]
    fn a_listed_password_is_breached_and_another_is_not_found() {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = write(
            dir.path(),
            "c.txt",
            &format!("0000000000000000000000000000000000000000:1\r\n{HASH}:42\r\n"),
        );
        let config = file_mode(&corpus);
        for input in [
            PASSWORD,
            &format!("{PASSWORD}\n"),
            &format!("{PASSWORD}\r\n"),
        ] {
            assert_eq!(
                check(&config, input),
                (0, "breached (42)\n".into(), String::new())
            );
        }
        let (status, out, err) = check(&config, &format!("{PASSWORD} "));
        assert_eq!((status, out.as_str(), err.as_str()), (0, "not found\n", ""));
        let config = Config {
            pwned_passwords_min_count: 43,
            ..file_mode(&corpus)
        };
        assert_eq!(check(&config, PASSWORD).1, "not found\n");
    }

    #[test]
    fn no_password_or_no_check_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = write(dir.path(), "c.txt", &format!("{HASH}:42\n"));
        let (status, out, err) = check(&file_mode(&corpus), "\n");
        assert_eq!((status, out.as_str()), (2, ""));
        assert!(err.contains("no password on stdin"), "{err}");

        let off = Config {
            pwned_passwords: PwnedPasswordsMode::Off,
            ..Config::default()
        };
        let (status, out, err) = check(&off, PASSWORD);
        assert_eq!((status, out.as_str()), (1, ""));
        assert!(err.contains("FAROE_PWNED_PASSWORDS=off"), "{err}");
    }

    #[test]
    fn a_failing_lookup_is_reported_with_its_range_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "00000.txt", &format!("{SUFFIX}:1\n"));
        let broken = write(dir.path(), &format!("{PREFIX}.txt"), "garbage\n");
        let (status, out, err) = check(&file_mode(dir.path()), PASSWORD);
        assert_eq!((status, out.as_str()), (1, ""));
        assert!(err.contains("byte offset 0"), "{err}");
        assert!(err.contains(&broken.display().to_string()), "{err}");
    }
}
