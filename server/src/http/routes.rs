//! The routes and what each request must pass before an action runs: a plain
//! `Transfer-Encoding`, a declared length within the limit, a body within its timeout,
//! and for password actions a place in the hashing queue.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tokio_util::sync::CancellationToken;

use super::access::Observation;
use super::hashing_queue::HashingQueue;
use crate::client_address::ClientAddressSource;
use crate::faroe::client_limits::with_client;
use crate::faroe::endpoint::ActionRequest;
use crate::faroe::Faroe;
use crate::storage::Storage;

/// Requests with larger bodies are answered 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// What overloaded clients are asked to wait before retrying, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "1";

/// What the routes need.
#[derive(Clone)]
pub struct HttpState {
    pub faroe: Arc<Faroe>,
    pub storage: Arc<dyn Storage>,
    pub enable_reset: bool,
    /// The whole body must arrive within this after the head: 408 otherwise.
    pub body_timeout: Duration,
    pub hashing_queue: HashingQueue,
    /// Cancelled at shutdown: bodies still arriving are not waited for.
    pub shutdown: CancellationToken,
    /// Where a request's client address comes from, for per-client rate limits.
    pub client_ip_source: ClientAddressSource,
    /// The origin CORS answers allow, when configured.
    pub cors_allow_origin: Option<HeaderValue>,
    /// Whether requests are counted and access-logged (metrics or the access log on).
    pub observed: bool,
}

/// The router of the public server. Everything happens in one handler over shared
/// state: each middleware layer would cost a boxed, cloned service per request.
pub fn router(state: HttpState) -> Router {
    Router::new().fallback(dispatch).with_state(Arc::new(state))
}

/// Headers every answer carries: answers of `POST /` hold tokens, so no cache may keep
/// them and no browser may guess another content type; plus CORS when configured.
fn with_cors(mut response: Response, origin: Option<&HeaderValue>) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
    }
    response
}

fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}

/// An answer after which the connection is closed: the request may be partly unread.
fn closing(status: StatusCode) -> Response {
    let mut response = empty(status);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn overloaded() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        )],
        Body::empty(),
    )
        .into_response()
}

fn json(body: impl Into<Body>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}

/// One handler for every request.
async fn dispatch(State(state): State<Arc<HttpState>>, request: Request) -> Response {
    let observation = state.observed.then(|| Observation::start(&request));
    let response = with_cors(
        route(&state, request).await,
        state.cors_allow_origin.as_ref(),
    );
    if let Some(observation) = observation {
        observation.finish(&response);
    }
    response
}

/// Routing is an exact match on method and path, as the protocol defines it (no path
/// normalisation, query ignored).
async fn route(state: &HttpState, request: Request) -> Response {
    if let Some(refused) = refuse_framing(request.headers()) {
        return refused;
    }
    let method = request.method().clone();
    if method == Method::OPTIONS {
        return empty(StatusCode::NO_CONTENT);
    }
    match (method, request.uri().path()) {
        (Method::POST, "/") => invoke(state, request).await,
        (Method::GET, "/alive") => json(r#"{"status":"alive"}"#),
        (Method::POST, "/reset") if state.enable_reset => reset(state).await,
        _ => empty(StatusCode::NOT_FOUND),
    }
}

/// Refuses what cannot be read safely, before any of the body is: a transfer coding
/// other than plain `chunked` (RFC 9112: 501) and a declared length over the limit (413).
fn refuse_framing(headers: &HeaderMap) -> Option<Response> {
    let mut codings = headers.get_all(header::TRANSFER_ENCODING).iter();
    if let Some(first) = codings.next() {
        let plain_chunked = first
            .to_str()
            .is_ok_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
        if !plain_chunked || codings.next().is_some() {
            return Some(closing(StatusCode::NOT_IMPLEMENTED));
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > BODY_LIMIT_BYTES as u64 => {
            Some(closing(StatusCode::PAYLOAD_TOO_LARGE))
        }
        _ => None,
    }
}

async fn invoke(state: &HttpState, request: Request) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .and_then(|ConnectInfo(peer)| state.client_ip_source.client_of(*peer, request.headers()));
    let limited = Limited::new(request.into_body(), BODY_LIMIT_BYTES);
    let read = tokio::time::timeout(state.body_timeout, limited.collect());
    let body = tokio::select! {
        read = read => match read {
            Ok(Ok(body)) => body.to_bytes(),
            Ok(Err(error)) if error.is::<LengthLimitError>() => {
                return closing(StatusCode::PAYLOAD_TOO_LARGE)
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "cannot read the request body");
                return closing(StatusCode::BAD_REQUEST);
            }
            Err(_) => {
                tracing::debug!("request body timed out");
                return closing(StatusCode::REQUEST_TIMEOUT);
            }
        },
        () = state.shutdown.cancelled() => return closing(StatusCode::SERVICE_UNAVAILABLE),
    };
    let request = match ActionRequest::parse(&body) {
        Ok(request) => request,
        Err(_) => {
            // The reason may quote request values (passwords among them): not logged.
            tracing::debug!(body_bytes = body.len(), "rejected action invocation");
            return empty(StatusCode::BAD_REQUEST);
        }
    };
    let Ok(_place) = state.hashing_queue.admit(request.action()) else {
        tracing::warn!("hashing queue full: password action answered 503");
        return overloaded();
    };
    // Boxed: the action's future takes a few kilobytes, and every future holding it
    // inline (up to the handler's, which is moved into a box of its own) would be
    // that much larger and copied whole on each move.
    let action = Box::pin(with_client(client, state.faroe.run(request)));
    json(action.await)
}

async fn reset(state: &HttpState) -> Response {
    match state.storage.clear().await {
        Ok(()) => {
            tracing::info!("storage cleared by POST /reset");
            empty(StatusCode::OK)
        }
        Err(error) => {
            tracing::error!(%error, "POST /reset could not clear the storage");
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}
