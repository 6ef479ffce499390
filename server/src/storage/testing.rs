//! Test helpers for storage engines: where the test services are, fresh namespaces,
//! and a TCP proxy that can cut an engine off and restore it.

// Test support (the `test-util` feature): a failed expectation is the test failing.
#![allow(clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// The variable naming the PostgreSQL server tests may use.
pub const POSTGRES_URL_VARIABLE: &str = "TIAUTH_TEST_POSTGRES_URL";
/// The variable naming the Redis server tests may use.
pub const REDIS_URL_VARIABLE: &str = "TIAUTH_TEST_REDIS_URL";
/// Set to `1` to make a missing service a failure instead of a skip.
pub const REQUIRE_ENGINES_VARIABLE: &str = "TIAUTH_REQUIRE_ENGINES";

/// The URL in `variable`; when unset, prints a skip line naming `test` and returns
/// `None`, or panics when `TIAUTH_REQUIRE_ENGINES=1`.
pub fn service_url(variable: &str, test: &str) -> Option<String> {
    if let Some(url) = std::env::var(variable).ok().filter(|url| !url.is_empty()) {
        return Some(url);
    }
    let required = std::env::var(REQUIRE_ENGINES_VARIABLE).is_ok_and(|value| value == "1");
    assert!(
        !required,
        "{test}: {variable} is not set, and {REQUIRE_ENGINES_VARIABLE}=1 requires it"
    );
    // Straight to the process's stderr: the test harness would swallow `eprintln!`
    // of a passing test, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: set {variable} to run it against a live server"
    );
    None
}

/// A namespace no other run uses: parallel test binaries and other runs on the same
/// server never see each other's keys.
pub fn fresh_namespace() -> String {
    format!("t{}_{:08x}", std::process::id(), rand::random::<u32>())
}

/// The address a `postgres://` or `redis://` URL names (the engine's default port
/// when it names none).
pub fn service_addr(url: &str) -> SocketAddr {
    let parsed = reqwest::Url::parse(url).expect("a service URL");
    let port = parsed
        .port()
        .unwrap_or(if parsed.scheme().starts_with("redis") {
            6379
        } else {
            5432
        });
    let host = match parsed.host_str() {
        Some("localhost") | None => "127.0.0.1".to_owned(),
        Some(host) => host.trim_matches(['[', ']']).to_owned(),
    };
    SocketAddr::new(
        host.parse().expect("an IP address in the service URL"),
        port,
    )
}

/// `url` with its host and port replaced by `addr`.
pub fn reroute(url: &str, addr: SocketAddr) -> String {
    let mut parsed = reqwest::Url::parse(url).expect("a service URL");
    parsed.set_host(Some(&addr.ip().to_string())).expect("host");
    parsed.set_port(Some(addr.port())).expect("port");
    parsed.to_string()
}

/// Forwards TCP connections from a loopback port to `target` until cut.
pub struct TcpProxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> std::io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cut = Arc::new(AtomicBool::new(false));
        let links = Arc::new(Mutex::new(Vec::<AbortHandle>::new()));
        let accepting = tokio::spawn({
            let (cut, links) = (cut.clone(), links.clone());
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        // Refused as a dead server would: the connection closes at once.
                        drop(inbound);
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    if let Ok(mut links) = links.lock() {
                        links.retain(|link| !link.is_finished());
                        links.push(link.abort_handle());
                    }
                }
            }
        });
        Ok(TcpProxy {
            addr,
            cut,
            links,
            accepting,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every forwarded connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        if let Ok(mut links) = self.links.lock() {
            for link in links.drain(..) {
                link.abort();
            }
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}
