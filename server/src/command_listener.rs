//! The private command listener (`FAROE_COMMAND_PORT`): management commands for the
//! programs that run this server, on `FAROE_PRIVATE_HOST`, apart from the public port.
//!
//! | Request | Answer |
//! |---|---|
//! | `POST /command` `{"command":"reset"}` | 200 `{"success":true,"message":"Storage cleared"}` after clearing all auth state |
//! | `POST /command` with a body that is not a JSON object | 400 `{"error":"invalid json"}` |
//! | `POST /command` with another command | 400 `{"error":"unknown command: <name>"}` |
//! | `POST /command` `{"command":"reset"}` when clearing fails | 500 `{"error":"<reason>"}` |
//! | anything else | 404, empty |

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::storage::Storage;

/// Command bodies are tiny; larger ones are answered 413.
const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// The router of the command listener.
pub fn router(storage: Arc<dyn Storage>) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state(storage)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
}

/// Binds `address` (`host:port`; a host name is resolved, port 0 picks a free port).
pub async fn bind(address: &str) -> io::Result<TcpListener> {
    TcpListener::bind(address).await
}

/// Serves the command listener on `listener` until the returned task is aborted.
pub fn spawn(listener: TcpListener, storage: Arc<dyn Storage>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router(storage)).await {
            tracing::error!(%error, "the command listener stopped");
        }
    })
}

/// Logs where the listener is, the picked port included.
pub fn log_listening(addr: SocketAddr) {
    tracing::info!(listen = %addr, "command listener on http://{addr}/command");
}

fn answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    answer(status, &json!({ "error": message }))
}

async fn dispatch(State(storage): State<Arc<dyn Storage>>, request: Request) -> Response {
    if request.method() != Method::POST || request.uri().path() != "/command" {
        return (StatusCode::NOT_FOUND, Body::empty()).into_response();
    }
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return (rejection.status(), Body::empty()).into_response(),
    };
    let command = match command_name(&body) {
        Some(command) => command,
        None => return error(StatusCode::BAD_REQUEST, "invalid json"),
    };
    match command.as_str() {
        "reset" => match storage.clear().await {
            Ok(()) => {
                tracing::info!("storage cleared by the reset command");
                answer(
                    StatusCode::OK,
                    &json!({ "success": true, "message": "Storage cleared" }),
                )
            }
            Err(failure) => {
                tracing::error!(error = %failure, "the reset command could not clear the storage");
                error(StatusCode::INTERNAL_SERVER_ERROR, &failure.to_string())
            }
        },
        other => error(
            StatusCode::BAD_REQUEST,
            &format!("unknown command: {other}"),
        ),
    }
}

/// The `command` of a JSON object body (`""` when absent or null, as upstream reads
/// it); `None` when the body is not JSON, not an object, or `command` is no string.
fn command_name(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Null => Some(String::new()),
        Value::Object(fields) => match fields.get("command") {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(command)) => Some(command.clone()),
            Some(_) => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use async_trait::async_trait;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use crate::faroe::clock::Timestamp;
    use crate::storage::{Entry, MemoryStorage, StorageError};

    async fn send(
        storage: Arc<dyn Storage>,
        method: Method,
        path: &str,
        body: &str,
    ) -> (u16, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.to_owned()))
            .expect("request");
        let response = router(storage).oneshot(request).await.expect("response");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn later() -> Timestamp {
        Timestamp::from_unix_seconds(4_000_000_000)
    }

    #[tokio::test]
    async fn reset_clears_all_auth_state() {
        let storage = Arc::new(MemoryStorage::new());
        storage.add("aaah.one", b"x", later()).await.expect("add");
        storage.add("aaaq.user", b"y", later()).await.expect("add");
        let (status, body) = send(
            storage.clone(),
            Method::POST,
            "/command",
            r#"{"command": "reset"}"#,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body, r#"{"success":true,"message":"Storage cleared"}"#);
        assert!(storage.keys().is_empty(), "{:?}", storage.keys());
    }

    #[tokio::test]
    async fn bad_bodies_and_unknown_commands_are_400_and_change_nothing() {
        let storage = Arc::new(MemoryStorage::new());
        storage.add("aaah.kept", b"x", later()).await.expect("add");
        let cases = [
            ("reset", r#"{"error":"invalid json"}"#),
            ("", r#"{"error":"invalid json"}"#),
            (r#"["reset"]"#, r#"{"error":"invalid json"}"#),
            (r#"{"command": 1}"#, r#"{"error":"invalid json"}"#),
            (r#"{"command": "reset""#, r#"{"error":"invalid json"}"#),
            (
                r#"{"command": "clear"}"#,
                r#"{"error":"unknown command: clear"}"#,
            ),
            (
                r#"{"command": "RESET"}"#,
                r#"{"error":"unknown command: RESET"}"#,
            ),
            (r#"{}"#, r#"{"error":"unknown command: "}"#),
            (
                r#"{"command": "say \"hi\""}"#,
                r#"{"error":"unknown command: say \"hi\""}"#,
            ),
        ];
        for (request, expected) in cases {
            let (status, body) = send(storage.clone(), Method::POST, "/command", request).await;
            assert_eq!((status, body.as_str()), (400, expected), "{request}");
        }
        assert_eq!(storage.keys(), vec!["aaah.kept".to_owned()]);
    }

    #[tokio::test]
    async fn other_paths_and_methods_are_404() {
        let storage = Arc::new(MemoryStorage::new());
        storage.add("aaah.kept", b"x", later()).await.expect("add");
        let reset = r#"{"command":"reset"}"#;
        for (method, path) in [
            (Method::GET, "/command"),
            (Method::PUT, "/command"),
            (Method::POST, "/"),
            (Method::POST, "/reset"),
            (Method::POST, "/command/"),
            (Method::GET, "/alive"),
        ] {
            let (status, body) = send(storage.clone(), method.clone(), path, reset).await;
            assert_eq!((status, body.as_str()), (404, ""), "{method} {path}");
        }
        assert_eq!(storage.keys().len(), 1);
    }

    /// Storage whose `clear` fails.
    struct Unclearable;

    #[async_trait]
    impl Storage for Unclearable {
        async fn get(&self, _: &str) -> Result<Entry, StorageError> {
            Err(StorageError::NotFound)
        }
        async fn add(&self, _: &str, _: &[u8], _: Timestamp) -> Result<(), StorageError> {
            Ok(())
        }
        async fn update(
            &self,
            _: &str,
            _: &[u8],
            _: Timestamp,
            _: i64,
        ) -> Result<(), StorageError> {
            Ok(())
        }
        async fn delete(&self, _: &str) -> Result<(), StorageError> {
            Ok(())
        }
        async fn delete_if_counter(&self, _: &str, _: i64) -> Result<(), StorageError> {
            Ok(())
        }
        async fn clear(&self) -> Result<(), StorageError> {
            Err(StorageError::Failure("disk I/O error".into()))
        }
        async fn purge_expired(&self, _: Timestamp) -> Result<u64, StorageError> {
            Ok(0)
        }
    }

    #[tokio::test]
    async fn a_storage_failure_is_500_with_the_reason() {
        let (status, body) = send(
            Arc::new(Unclearable),
            Method::POST,
            "/command",
            r#"{"command":"reset"}"#,
        )
        .await;
        assert_eq!(status, 500);
        assert_eq!(body, r#"{"error":"storage failure: disk I/O error"}"#);
    }
}
