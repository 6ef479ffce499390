//! Every public request: counted by route and status, rejected bodies (400, 413)
//! counted apart, and one access-log line at `debug` with the method, path, status,
//! duration and sizes; never a body.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, Method};
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
        _ => "other",
    }
}

/// One request being observed: what is known of it before the answer.
pub struct Observation {
    start: Instant,
    method: Method,
    route: &'static str,
    /// Only when the access log is on: the path is copied for it.
    path: Option<String>,
    request_bytes: Option<u64>,
}

impl Observation {
    pub fn start(request: &Request) -> Observation {
        let method = request.method().clone();
        Observation {
            start: Instant::now(),
            route: route(&method, request.uri().path()),
            method,
            path: tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::DEBUG)
                .then(|| request.uri().path().to_owned()),
            request_bytes: request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok()),
        }
    }

    /// Counts the answer and writes its access-log line.
    pub fn finish(self, response: &Response) {
        let status = response.status().as_u16();
        let label = status_label(status);
        metrics::counter!(HTTP_REQUESTS, "route" => self.route, "status" => label).increment(1);
        if status == 400 || status == 413 {
            metrics::counter!(HTTP_REJECTED_BODIES, "status" => label).increment(1);
        }
        if let Some(path) = self.path {
            tracing::debug!(
                target: ACCESS_LOG_TARGET,
                method = %self.method,
                path,
                status,
                duration_ms = seconds_since(self.start) * 1000.0,
                request_bytes = self.request_bytes,
                response_bytes = response.body().size_hint().exact(),
                "request"
            );
        }
    }
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
