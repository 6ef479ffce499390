//! Serving connections: a cap on how many are open, timeouts on request heads and idle
//! keep-alive, an accept loop that backs off on errors, and a shutdown that closes idle
//! and incomplete connections at once and gives requests in flight a grace period.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::connection_timer::ConnectionTimer;
use super::log_every::{LogEvery, LOG_INTERVAL};
use crate::metrics::GaugeGuard;

/// What a connection past the cap is sent before it is closed.
const SHED_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\
content-length: 0\r\nconnection: close\r\n\r\n";

/// The first pause after an accept error; it doubles up to [`MAX_ACCEPT_BACKOFF`].
const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// The listener settings.
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    /// The listener's name in metrics (`public`, `admin`).
    pub name: &'static str,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

/// Requests whose answer is not yet sent: on one connection and on all of them.
#[derive(Debug)]
struct InFlight {
    connection: Arc<AtomicUsize>,
    all: Arc<AtomicUsize>,
}

impl InFlight {
    fn enter(connection: &Arc<AtomicUsize>, all: &Arc<AtomicUsize>) -> Self {
        connection.fetch_add(1, Ordering::Relaxed);
        all.fetch_add(1, Ordering::Relaxed);
        InFlight {
            connection: connection.clone(),
            all: all.clone(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.connection.fetch_sub(1, Ordering::Relaxed);
        self.all.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then cancels `stopping`
/// and returns once every connection is closed, at most `shutdown_grace` later.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ListenerLimits,
    stopping: CancellationToken,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut connections = JoinSet::new();
    let shed_log = LogEvery::new(LOG_INTERVAL);
    let error_log = LogEvery::new(LOG_INTERVAL);
    let mut backoff = MIN_ACCEPT_BACKOFF;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = MIN_ACCEPT_BACKOFF;
                    match slots.clone().try_acquire_owned() {
                        Ok(slot) => {
                            connections.spawn(serve_connection(
                                stream,
                                peer,
                                slot,
                                router.clone(),
                                limits,
                                in_flight.clone(),
                                stopping.clone(),
                            ));
                        }
                        Err(_) => shed(&stream, &shed_log, limits.max_connections),
                    }
                }
                Err(error) if is_connection_error(&error) => {}
                Err(error) => {
                    if let Some(count) = error_log.due(Instant::now()) {
                        tracing::error!(
                            %error,
                            count,
                            "cannot accept connections; retrying with backoff"
                        );
                    }
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                }
            },
        }
    }
    drop(listener);
    stopping.cancel();
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        let cut = in_flight.load(Ordering::Relaxed);
        tracing::warn!(
            requests_cut = cut,
            "shutdown grace period over; closing the remaining connections"
        );
        connections.shutdown().await;
    }
}

/// Answers 503 without waiting to read anything and closes the connection.
fn shed(stream: &TcpStream, log: &LogEvery, max_connections: usize) {
    // A full send buffer only loses the courtesy answer; the close still happens.
    let _ = stream.try_write(SHED_ANSWER);
    if let Some(count) = log.due(Instant::now()) {
        tracing::warn!(
            max_connections,
            count,
            "connection limit reached; new connections are answered 503 and closed"
        );
    }
}

/// Errors that concern one connection only: the next accept may succeed at once.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    _slot: OwnedSemaphorePermit,
    router: Router,
    limits: ListenerLimits,
    in_flight: Arc<AtomicUsize>,
    stopping: CancellationToken,
) {
    let _open = GaugeGuard::raise(metrics::gauge!(
        crate::metrics::HTTP_OPEN_CONNECTIONS,
        "listener" => limits.name
    ));
    let busy = Arc::new(AtomicUsize::new(0));
    let service = {
        let busy = busy.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            // Held until hyper drops the answer's body, i.e. until it is sent.
            let guard = InFlight::enter(&busy, &in_flight);
            let router = router.clone();
            async move {
                let mut request = request.map(Body::new);
                // The peer's address reaches the routes for per-client rate limits.
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let response = router.oneshot(request).await?;
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    Body::new(body.map_frame(move |frame| {
                        let _sending = &guard;
                        frame
                    }))
                }))
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(ConnectionTimer::new(
            limits.header_timeout,
            limits.idle_timeout,
        ))
        .header_read_timeout(limits.header_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = stopping.cancelled() => {
            // Nothing under way (idle, or a head still arriving): close at once.
            if busy.load(Ordering::Relaxed) == 0 {
                return;
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
