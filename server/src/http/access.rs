//! Every public request: counted by route and status, rejected bodies (400, 413)
//! counted apart, and one access-log line at `debug` with the method, path, status,
//! duration and sizes; never a body.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Body as _;

use crate::metrics::{seconds_since, status_label, HTTP_REJECTED_BODIES, HTTP_REQUESTS};

/// The target of the access log's lines.
pub const ACCESS_LOG_TARGET: &str = "tiauth_faroe::http::access";

/// The route of a request as a label: a fixed name, whatever the path.
fn route(method: &Method, path: &str) -> &'static str {
    if method == Method::OPTIONS {
        return "options";
    }
    match path {
        "/" => "action",
        "/alive" => "alive",
        "/reset" => "reset",
        "/test/clock" => "test_clock",
        _ => "other",
    }
}

pub async fn observe(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = route(&method, request.uri().path());
    let path = tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::DEBUG)
        .then(|| request.uri().path().to_owned());
    let request_bytes = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let label = status_label(status);
    metrics::counter!(HTTP_REQUESTS, "route" => route, "status" => label).increment(1);
    if status == 400 || status == 413 {
        metrics::counter!(HTTP_REJECTED_BODIES, "status" => label).increment(1);
    }
    if let Some(path) = path {
        tracing::debug!(
            target: ACCESS_LOG_TARGET,
            %method,
            path,
            status,
            duration_ms = seconds_since(start) * 1000.0,
            request_bytes,
            response_bytes = response.body().size_hint().exact(),
            "request"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_maps_to_a_fixed_route() {
        assert_eq!(route(&Method::POST, "/"), "action");
        assert_eq!(route(&Method::GET, "/alive"), "alive");
        assert_eq!(route(&Method::OPTIONS, "/anything"), "options");
        assert_eq!(route(&Method::GET, "/users/ann@example.com"), "other");
        assert_eq!(route(&Method::GET, "/metrics"), "other");
    }
}
