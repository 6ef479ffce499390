//! What the tests of the breached-password check share: a password with a known hash,
//! log capture, and corpora written to temporary folders.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// SHA-1 = ABF7A AD6438836DBE526AA231ABDE2D0EEF74D42.
pub const PASSWORD: &str = "correct horse battery staple";
pub const HASH: &str = "ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42";
pub const PREFIX: &str = "ABF7A";
pub const SUFFIX: &str = "AD6438836DBE526AA231ABDE2D0EEF74D42";

/// Log lines written while the guard lives on this thread.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    pub fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

/// Fails when `text` holds the password, its hash, the hash prefix or the suffix.
pub fn assert_no_secret(text: &str) {
    let lower = text.to_ascii_lowercase();
    for secret in [PASSWORD, HASH, PREFIX, SUFFIX] {
        assert!(
            !lower.contains(&secret.to_ascii_lowercase()),
            "{secret:?} leaked into {text:?}"
        );
    }
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write corpus");
    path
}
