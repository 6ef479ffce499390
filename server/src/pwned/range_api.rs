//! The breached-password range API (the Have I Been Pwned k-anonymity model): the
//! first five hex digits of the password's SHA-1 are sent, and the answer lists every
//! known suffix under them with its count.
//!
//! No usable answer (network error, timeout, an HTTP status other than 200, or a body
//! without a single `SUFFIX:COUNT` line) is a lookup failure. Lines that do not parse
//! are skipped: the answer comes from elsewhere, and one odd line should not hide the
//! others. Errors never carry the request URL, which holds the hash prefix.

use std::time::Duration;

use reqwest::StatusCode;

use super::line::{scan_range, PREFIX_LENGTH};
use super::{LookupFailure, PwnedPasswordsBuildError};
use crate::faroe::error::error_chain;

/// The public range API.
pub const DEFAULT_BASE_URL: &str = "https://api.pwnedpasswords.com";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Real answers are a few tens of KiB; anything past this is not a range answer.
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeApiConfig {
    /// Scheme, host and optional path prefix; `/range/<prefix>` is appended.
    pub base_url: String,
    /// For the whole request, from connecting to the end of the body.
    pub timeout: Duration,
}

impl Default for RangeApiConfig {
    fn default() -> Self {
        RangeApiConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A client of the range API.
#[derive(Debug, Clone)]
pub struct RangeApi {
    client: reqwest::Client,
    base_url: String,
    timeout: Duration,
}

impl RangeApi {
    /// With an HTTP client of its own.
    pub fn new(config: RangeApiConfig) -> Result<Self, PwnedPasswordsBuildError> {
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
    pub fn with_client(client: reqwest::Client, config: RangeApiConfig) -> Self {
        RangeApi {
            client,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            timeout: config.timeout,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How often the SHA-1 `hash` (40 upper-case hex digits) is listed.
    pub(super) async fn count(&self, hash: &str) -> Result<u64, LookupFailure> {
        let (prefix, suffix) = hash.split_at(PREFIX_LENGTH);
        self.lookup(&prefix.to_ascii_lowercase(), suffix)
            .await
            .map_err(|failure| LookupFailure::new(failure.to_string()))
    }

    /// Asks for the range of `prefix` and returns the count listed for `suffix`.
    async fn lookup(&self, prefix: &str, suffix: &str) -> Result<u64, RangeFailure> {
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
        let scan = scan_range(&body, suffix.as_bytes());
        match scan.count {
            Some(count) => Ok(count),
            None if scan.entries > 0 => Ok(0),
            None => Err(RangeFailure::Unparsable),
        }
    }
}

/// Why the range API gave no usable answer. None of these name the request URL,
/// which carries the hash prefix.
#[derive(Debug, thiserror::Error)]
enum RangeFailure {
    #[error("range API: no answer within {0:?}")]
    Timeout(Duration),
    #[error("range API request failed: {0}")]
    Request(String),
    #[error("range API answered HTTP status {0}")]
    Status(StatusCode),
    #[error("range API answer larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("range API answer has no SUFFIX:COUNT line")]
    Unparsable,
}

impl RangeFailure {
    fn from_request(error: reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() {
            return RangeFailure::Timeout(timeout);
        }
        // reqwest puts the URL in its message; drop it, keep the causes.
        RangeFailure::Request(error_chain(&error.without_url()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faroe::passwords::{PasswordStrengthChecker, StrengthCheckError};
    use crate::pwned::testing::{assert_no_secret, Logs, PASSWORD, PREFIX, SUFFIX};
    use crate::pwned::{Corpus, PwnedPasswords};

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const OTHER_SUFFIX: &str = "00D4F6E8FA6EECAD2A3AA415EEC418D38EC";

    fn checker(server: &MockServer, timeout: Duration, fail_closed: bool) -> PwnedPasswords {
        let api = RangeApi::new(RangeApiConfig {
            base_url: format!("{}/", server.uri()),
            timeout,
        })
        .expect("client");
        PwnedPasswords::new(Corpus::RangeApi(api), 1, fail_closed)
    }

    async fn serve(response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/range/{}", PREFIX.to_lowercase())))
            .respond_with(response)
            .mount(&server)
            .await;
        server
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
        let config = RangeApiConfig::default();
        assert_eq!(config.base_url, "https://api.pwnedpasswords.com");
        assert_eq!(config.timeout, Duration::from_secs(3));
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
        let checker = |fail_closed| {
            let api = RangeApi::new(RangeApiConfig {
                base_url: format!("http://{address}"),
                timeout: Duration::from_secs(2),
            })
            .expect("client");
            PwnedPasswords::new(Corpus::RangeApi(api), 1, fail_closed)
        };
        let (logs, _guard) = Logs::capture();
        let open = checker(false);
        assert_eq!(open.is_weak(PASSWORD).await, Ok(false));
        let text = logs.text();
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains("request failed"), "{text}");
        assert_no_secret(&text);
        let closed = checker(true);
        match closed.is_weak(PASSWORD).await {
            Err(StrengthCheckError(message)) => assert_no_secret(&message),
            other => panic!("expected an error, got {other:?}"),
        }
        hang_up.abort();
    }
}
