//! The public HTTP surface.
//!
//! | Request | Answer |
//! |---|---|
//! | `OPTIONS` on any path | 204, empty |
//! | `POST /` | 200 with the action's JSON, or 400 empty for a rejected envelope; 413 past the body limit |
//! | `GET /alive` | 200 `{"status":"alive"}` |
//! | `POST /reset` (only with `--enable-reset`) | 200 empty after clearing all storage; 500 if that fails |
//! | anything else | 404, empty |
//!
//! Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`;
//! with an origin configured, also the same three CORS headers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::client_address::ClientAddressSource;
use crate::faroe::client_limits::with_client;
use crate::faroe::Faroe;
use crate::storage::Storage;

/// Requests with larger bodies are answered 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// What the routes need.
#[derive(Clone)]
pub struct HttpState {
    pub faroe: Arc<Faroe>,
    pub storage: Arc<dyn Storage>,
    pub enable_reset: bool,
    /// Where a request's client address comes from, for per-client rate limits.
    pub client_ip_source: Arc<ClientAddressSource>,
}

/// The router of the public server.
pub fn router(state: HttpState, cors_allow_origin: Option<HeaderValue>) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::map_response(move |response: Response| {
            let origin = cors_allow_origin.clone();
            async move { with_cors(response, origin) }
        }))
}

/// Headers every answer carries: answers of `POST /` hold tokens, so no cache may keep
/// them and no browser may guess another content type; plus CORS when configured.
fn with_cors(mut response: Response, origin: Option<HeaderValue>) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
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

/// One handler for every request: routing is an exact match on method and path, as
/// the protocol defines it (no path normalisation, query ignored).
async fn dispatch(State(state): State<HttpState>, request: Request) -> Response {
    let method = request.method().clone();
    if method == Method::OPTIONS {
        return empty(StatusCode::NO_CONTENT);
    }
    match (method, request.uri().path()) {
        (Method::POST, "/") => invoke(&state, request).await,
        (Method::GET, "/alive") => json(r#"{"status":"alive"}"#),
        (Method::POST, "/reset") if state.enable_reset => reset(&state).await,
        _ => empty(StatusCode::NOT_FOUND),
    }
}

async fn invoke(state: &HttpState, request: Request) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .and_then(|ConnectInfo(peer)| state.client_ip_source.client_of(*peer, request.headers()));
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return empty(StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(rejection) => {
            tracing::debug!(error = %rejection.body_text(), "cannot read the request body");
            return empty(StatusCode::BAD_REQUEST);
        }
    };
    match with_client(client, state.faroe.invoke(&body)).await {
        Ok(result) => json(result),
        Err(_) => {
            // The reason may quote request values (passwords among them): not logged.
            tracing::debug!(body_bytes = body.len(), "rejected action invocation");
            empty(StatusCode::BAD_REQUEST)
        }
    }
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
