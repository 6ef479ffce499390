//! The password strength check against a breached-password range API (the Have I
//! Been Pwned k-anonymity model): only the first five hex digits of the password's
//! SHA-1 leave the server, and the answer lists every known hash suffix under them.
//!
//! When the service cannot answer (network error, timeout, an HTTP status other
//! than 200, or a body without a single `SUFFIX:COUNT` line), the check fails open
//! by default: the password is accepted and a warning is logged. With
//! `fail_closed` the check returns an error instead, which the protocol core
//! answers with `internal_error`. Logs and errors never carry the password, its
//! hash or the hash prefix.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use sha1::{Digest, Sha1};

use crate::faroe::passwords::{PasswordStrengthChecker, StrengthCheckError};

/// The public range API.
pub const DEFAULT_BASE_URL: &str = "https://api.pwnedpasswords.com";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Hex digits of the SHA-1 that are sent; the remaining 35 are looked up locally.
const PREFIX_LENGTH: usize = 5;
const SUFFIX_LENGTH: usize = 40 - PREFIX_LENGTH;
/// Real answers are a few tens of KiB; anything past this is not a range answer.
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PwnedPasswordsConfig {
    /// Scheme, host and optional path prefix; `/range/<prefix>` is appended.
    pub base_url: String,
    /// For the whole request, from connecting to the end of the body.
    pub timeout: Duration,
    /// Reject (with `internal_error`) instead of accepting when the check fails.
    pub fail_closed: bool,
}

impl Default for PwnedPasswordsConfig {
    fn default() -> Self {
        PwnedPasswordsConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            fail_closed: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for the pwned-password check: {0}")]
pub struct PwnedPasswordsBuildError(String);

/// Treats a password as weak when it appears in the breached-password corpus.
#[derive(Debug, Clone)]
pub struct PwnedPasswords {
    client: reqwest::Client,
    base_url: String,
    timeout: Duration,
    fail_closed: bool,
}

impl PwnedPasswords {
    /// With an HTTP client of its own.
    pub fn new(config: PwnedPasswordsConfig) -> Result<Self, PwnedPasswordsBuildError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("tiauth-faroe/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            // The range API answers directly; a redirect (perhaps to plain http) is
            // a failure of the check, never followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| PwnedPasswordsBuildError(error.to_string()))?;
        Ok(Self::with_client(client, config))
    }

    /// Sharing an existing client; the configured timeout is set on each request.
    pub fn with_client(client: reqwest::Client, config: PwnedPasswordsConfig) -> Self {
        PwnedPasswords {
            client,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            timeout: config.timeout,
            fail_closed: config.fail_closed,
        }
    }

    /// Asks for the range of `prefix` and looks for `suffix` in it.
    async fn lookup(&self, prefix: &str, suffix: &str) -> Result<bool, RangeFailure> {
        let url = format!("{}/range/{prefix}", self.base_url);
        let mut response = self
            .client
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|error| RangeFailure::from_request(error, self.timeout))?;
        if response.status() != StatusCode::OK {
            return Err(RangeFailure::Status(response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| RangeFailure::from_request(error, self.timeout))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(RangeFailure::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        range_contains(&String::from_utf8_lossy(&body), suffix)
    }
}

#[async_trait]
impl PasswordStrengthChecker for PwnedPasswords {
    async fn is_weak(&self, password: &str) -> Result<bool, StrengthCheckError> {
        let hash = hex::encode(Sha1::digest(password.as_bytes()));
        let (prefix, suffix) = hash.split_at(PREFIX_LENGTH);
        match self.lookup(prefix, suffix).await {
            Ok(weak) => Ok(weak),
            Err(failure) if self.fail_closed => Err(StrengthCheckError(format!(
                "pwned-password range check failed: {failure}"
            ))),
            Err(failure) => {
                tracing::warn!(
                    cause = %failure,
                    base_url = %self.base_url,
                    "pwned-password range check failed; accepting the password (fail open)"
                );
                Ok(false)
            }
        }
    }
}

/// Why the range API gave no usable answer. None of these name the request URL,
/// which carries the hash prefix.
#[derive(Debug, thiserror::Error)]
enum RangeFailure {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0}")]
    Request(String),
    #[error("answered HTTP status {0}")]
    Status(StatusCode),
    #[error("response body larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("response body has no SUFFIX:COUNT line")]
    Unparsable,
}

impl RangeFailure {
    fn from_request(error: reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() {
            return RangeFailure::Timeout(timeout);
        }
        // reqwest puts the URL in its message; drop it, keep the causes.
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        RangeFailure::Request(message)
    }
}

/// Whether `suffix` is listed with a positive count. Lines not of the form
/// `<35 hex digits>:<count>` are skipped; a body with none at all is an error.
fn range_contains(body: &str, suffix: &str) -> Result<bool, RangeFailure> {
    let mut any_entry = false;
    for line in body.lines() {
        let Some((line_suffix, count)) = parse_range_line(line) else {
            continue;
        };
        any_entry = true;
        if count > 0 && line_suffix.eq_ignore_ascii_case(suffix) {
            return Ok(true);
        }
    }
    if any_entry {
        Ok(false)
    } else {
        Err(RangeFailure::Unparsable)
    }
}

fn parse_range_line(line: &str) -> Option<(&str, u64)> {
    let (suffix, count) = line.trim().split_once(':')?;
    if suffix.len() != SUFFIX_LENGTH || !suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((suffix, count.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// SHA-1 = ABF7A AD6438836DBE526AA231ABDE2D0EEF74D42.
    const PASSWORD: &str = "correct horse battery staple";
    const PREFIX: &str = "abf7a";
    const SUFFIX: &str = "AD6438836DBE526AA231ABDE2D0EEF74D42";
    const OTHER_SUFFIX: &str = "00D4F6E8FA6EECAD2A3AA415EEC418D38EC";

    fn checker(server: &MockServer, timeout: Duration, fail_closed: bool) -> PwnedPasswords {
        PwnedPasswords::new(PwnedPasswordsConfig {
            base_url: format!("{}/", server.uri()),
            timeout,
            fail_closed,
        })
        .expect("client")
    }

    async fn serve(response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/range/{PREFIX}")))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    /// Log lines written while the guard lives on this thread.
    #[derive(Clone, Default)]
    struct Logs(Arc<Mutex<Vec<u8>>>);

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
        fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
            let logs = Logs::default();
            let writer = logs.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::DEBUG)
                .finish();
            (logs, tracing::subscriber::set_default(subscriber))
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
        }
    }

    fn assert_no_secret(text: &str) {
        let lower = text.to_ascii_lowercase();
        for secret in [PASSWORD, PREFIX, &SUFFIX.to_ascii_lowercase()] {
            assert!(!lower.contains(secret), "{secret:?} leaked into {text:?}");
        }
    }

    /// Runs the check against a failing service, fail-open and fail-closed; the
    /// fail-open warning must name `cause`.
    async fn assert_failure_handling(server: &MockServer, timeout: Duration, cause: &str) {
        let (logs, _guard) = Logs::capture();
        let open = checker(server, timeout, false);
        assert_eq!(open.is_weak(PASSWORD).await, Ok(false));
        let text = logs.text();
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains("fail open"), "{text}");
        assert!(text.contains(cause), "{text}");
        assert_no_secret(&text);

        let closed = checker(server, timeout, true);
        match closed.is_weak(PASSWORD).await {
            Err(StrengthCheckError(message)) => {
                assert!(message.contains(cause), "{message}");
                assert_no_secret(&message);
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_match_the_contract() {
        let config = PwnedPasswordsConfig::default();
        assert_eq!(config.base_url, "https://api.pwnedpasswords.com");
        assert_eq!(config.timeout, Duration::from_secs(3));
        assert!(!config.fail_closed);
    }

    #[tokio::test]
    async fn a_listed_suffix_is_weak_and_the_request_sends_only_the_prefix() {
        let body = format!("{OTHER_SUFFIX}:3\r\n{}:42\r\n", SUFFIX.to_ascii_lowercase());
        let server = serve(ResponseTemplate::new(200).set_body_string(body)).await;
        let checker = checker(&server, Duration::from_secs(2), false);
        assert_eq!(checker.is_weak(PASSWORD).await, Ok(true));
        let requests = server.received_requests().await.expect("recorded");
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].url.path(), "/range/abf7a");
        assert_eq!(requests[0].url.query(), None);
    }

    #[tokio::test]
    async fn an_unlisted_suffix_is_not_weak() {
        let body = format!("{OTHER_SUFFIX}:3\n0018A45C4D1DEF81644B54AB7F969B88D65:1");
        let server = serve(ResponseTemplate::new(200).set_body_string(body)).await;
        let checker = checker(&server, Duration::from_secs(2), false);
        assert_eq!(checker.is_weak(PASSWORD).await, Ok(false));
    }

    #[tokio::test]
    async fn a_padding_entry_with_count_zero_is_not_weak() {
        let body = format!("{OTHER_SUFFIX}:3\n{SUFFIX}:0\n");
        let server = serve(ResponseTemplate::new(200).set_body_string(body)).await;
        let checker = checker(&server, Duration::from_secs(2), false);
        assert_eq!(checker.is_weak(PASSWORD).await, Ok(false));
    }

    #[tokio::test]
    async fn malformed_lines_are_skipped() {
        let body = format!("short\n:\n{SUFFIX}\nZZ{}:9\n\n{SUFFIX}:7\n", &SUFFIX[2..]);
        let server = serve(ResponseTemplate::new(200).set_body_string(body)).await;
        let checker = checker(&server, Duration::from_secs(2), true);
        assert_eq!(checker.is_weak(PASSWORD).await, Ok(true));
    }

    #[tokio::test]
    async fn a_timeout_accepts_with_a_warning_or_fails_closed() {
        let server = serve(
            ResponseTemplate::new(200)
                .set_body_string(format!("{SUFFIX}:1"))
                .set_delay(Duration::from_secs(2)),
        )
        .await;
        assert_failure_handling(&server, Duration::from_millis(200), "no answer within").await;
    }

    #[tokio::test]
    async fn a_server_error_accepts_with_a_warning_or_fails_closed() {
        let server = serve(ResponseTemplate::new(500)).await;
        assert_failure_handling(&server, Duration::from_secs(2), "500").await;
    }

    #[tokio::test]
    async fn a_body_of_garbage_accepts_with_a_warning_or_fails_closed() {
        let server =
            serve(ResponseTemplate::new(200).set_body_string("a\nbc:1\r\n\r\n<html>")).await;
        assert_failure_handling(&server, Duration::from_secs(2), "no SUFFIX:COUNT line").await;
    }

    #[tokio::test]
    async fn a_dropped_connection_accepts_with_a_warning_or_fails_closed() {
        // A service that hangs up on every connection without answering.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let hang_up = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                drop(stream);
            }
        });
        let config = |fail_closed| PwnedPasswordsConfig {
            base_url: format!("http://{address}"),
            timeout: Duration::from_secs(2),
            fail_closed,
        };
        let (logs, _guard) = Logs::capture();
        let open = PwnedPasswords::new(config(false)).expect("client");
        assert_eq!(open.is_weak(PASSWORD).await, Ok(false));
        let text = logs.text();
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains("request failed"), "{text}");
        assert_no_secret(&text);
        let closed = PwnedPasswords::new(config(true)).expect("client");
        match closed.is_weak(PASSWORD).await {
            Err(StrengthCheckError(message)) => assert_no_secret(&message),
            other => panic!("expected an error, got {other:?}"),
        }
        hang_up.abort();
    }

    #[test]
    fn range_lines_parse_defensively() {
        assert_eq!(
            parse_range_line(&format!("{SUFFIX}:12\r")),
            Some((SUFFIX, 12))
        );
        assert_eq!(parse_range_line(""), None);
        assert_eq!(parse_range_line("x"), None);
        assert_eq!(parse_range_line(&format!("{SUFFIX}:")), None);
        assert_eq!(parse_range_line(&format!("{SUFFIX}:-1")), None);
        assert_eq!(parse_range_line(&format!("{SUFFIX}0:1")), None);
        assert_eq!(parse_range_line("é".repeat(40).as_str()), None);
        assert!(matches!(
            range_contains("", SUFFIX),
            Err(RangeFailure::Unparsable)
        ));
    }
}
