//! `POST /test/clock` (with `--enable-test-clock`): sets or advances the server's
//! clock, so a conformance run can replay expiries and rate-limit refills against a
//! server process as it does in-process.
//!
//! | Body | Effect |
//! |---|---|
//! | `{}` | none; answers the time |
//! | `{"set": 1700000000}` | the clock reads this unix time (seconds) |
//! | `{"advance": 90}` | the clock moves this many seconds forward |
//!
//! The answer is 200 `{"now": <unix seconds>}`; a body of another shape is 400 with
//! `{"error": "…"}` and changes nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faroe::clock::{Clock, ManualClock, Timestamp};

/// The path of the route.
pub const PATH: &str = "/test/clock";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    set: Option<i64>,
    advance: Option<u64>,
}

/// `router`, with `POST /test/clock` answered before any of its routes.
pub fn serve_on(router: Router, clock: Arc<ManualClock>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(clock, intercept))
}

async fn intercept(
    State(clock): State<Arc<ManualClock>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || request.uri().path() != PATH {
        return next.run(request).await;
    }
    let Ok(body) = Bytes::from_request(request, &()).await else {
        return refuse("cannot read the request body");
    };
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    let change: Move = match serde_json::from_slice(body) {
        Ok(change) => change,
        Err(_) => {
            return refuse(r#"expected {}, {"set": <unix seconds>} or {"advance": <seconds>}"#)
        }
    };
    match (change.set, change.advance) {
        (Some(_), Some(_)) => return refuse("give either set or advance, not both"),
        (Some(seconds), None) => clock.set(Timestamp::from_unix_seconds(seconds)),
        (None, Some(seconds)) => clock.advance(std::time::Duration::from_secs(seconds)),
        (None, None) => return now(&clock),
    }
    tracing::info!(now = clock.now().unix_seconds(), "test clock moved");
    now(&clock)
}

fn now(clock: &ManualClock) -> Response {
    Json(json!({ "now": clock.now().unix_seconds() })).into_response()
}

fn refuse(reason: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": reason }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn post(router: &Router, path: &str, body: &str) -> (StatusCode, String) {
        let request = Request::post(path)
            .body(Body::from(body.to_owned()))
            .expect("request");
        let response = router.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn router(clock: Arc<ManualClock>) -> Router {
        serve_on(
            Router::new().fallback(|| async { StatusCode::NOT_FOUND }),
            clock,
        )
    }

    #[tokio::test]
    async fn sets_advances_and_reads_the_clock() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(5)));
        let router = router(clock.clone());
        assert_eq!(
            post(&router, PATH, "").await,
            (StatusCode::OK, r#"{"now":5}"#.into())
        );
        assert_eq!(
            post(&router, PATH, r#"{"set": 1700000000}"#).await,
            (StatusCode::OK, r#"{"now":1700000000}"#.into())
        );
        assert_eq!(
            post(&router, PATH, r#"{"advance": 90}"#).await,
            (StatusCode::OK, r#"{"now":1700000090}"#.into())
        );
        assert_eq!(clock.now().unix_seconds(), 1_700_000_090);
    }

    #[tokio::test]
    async fn other_bodies_are_refused_and_change_nothing() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(5)));
        let router = router(clock.clone());
        for body in [
            r#"{"set": 1, "advance": 2}"#,
            r#"{"advance": -3}"#,
            r#"{"later": 1}"#,
            "[]",
            "not json",
        ] {
            let (status, answer) = post(&router, PATH, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(answer.contains("error"), "{body}: {answer}");
        }
        assert_eq!(clock.now().unix_seconds(), 5);
        let (status, _) = post(&router, "/test/clock/", "{}").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "other paths go on to the router"
        );
    }
}
