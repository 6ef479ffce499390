//! Every route and status code of the public surface, CORS, `/reset` and the body limit.

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tiauth_faroe::fault_storage::{FaultyStorage, StorageOp};
use tiauth_faroe::http::BODY_LIMIT_BYTES;
use tiauth_faroe::storage::StorageError;

use crate::helpers::{
    error_code, is_ok, mount_empty_user_server, spawn_app, spawn_app_with,
    spawn_app_with_overrides, TestApp,
};

const CORS_HEADERS: [&str; 3] = [
    "access-control-allow-origin",
    "access-control-allow-headers",
    "access-control-allow-methods",
];

async fn request(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.http
        .request(method, app.url(path))
        .send()
        .await
        .expect("request")
}

async fn assert_empty(response: reqwest::Response, status: StatusCode) -> HeaderMap {
    assert_eq!(response.status(), status);
    let headers = response.headers().clone();
    assert!(headers.get(CONTENT_TYPE).is_none(), "{headers:?}");
    assert_eq!(response.bytes().await.expect("body").len(), 0);
    headers
}

#[tokio::test]
async fn alive_answers_with_its_status() {
    let app = spawn_app().await;
    let response = request(&app, Method::GET, "/alive").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    assert_eq!(
        response.text().await.expect("body"),
        r#"{"status":"alive"}"#
    );
    // The query string is ignored.
    let response = request(&app, Method::GET, "/alive?x=1").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_action_answers_200_with_json() {
    let app = spawn_app().await;
    let response = app
        .post_raw(r#"{"action":"get_session","arguments":{"session_token":"nope"}}"#)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let answer: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(answer["ok"], json!(false));
    assert_eq!(error_code(&answer), Some("invalid_session_token"));
    assert_eq!(
        answer["action_invocation_id"].as_str().map(str::len),
        Some(24)
    );
    // No user-server call was needed.
    assert!(app.received("/invoke").await.is_empty());
}

#[tokio::test]
async fn rejected_envelopes_answer_400_with_an_empty_body() {
    let app = spawn_app().await;
    for body in [
        "",
        "x",
        "[]",
        "{}",
        r#"{"arguments":{}}"#,
        r#"{"action":1,"arguments":{}}"#,
        r#"{"action":"get_session"}"#,
        r#"{"action":"get_session","arguments":null}"#,
        r#"{"action":"nope","arguments":{}}"#,
        r#"{"action":"GET_SESSION","arguments":{"session_token":"x"}}"#,
        r#"{"action":"get_session","arguments":{}}"#,
        r#"{"action":"get_session","arguments":{"session_token":1}}"#,
        r#"{"action":"get_session","arguments":{"session_token":"x"},}"#,
        r#"{"action":"get_session","arguments":{"session_token":"x"}} x"#,
    ] {
        let response = app.post_raw(body).await;
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(response.headers()[CONTENT_LENGTH], "0", "{body}");
        assert_empty(response, StatusCode::BAD_REQUEST).await;
    }
    let response = app.post_raw(vec![0xff_u8, 0xfe]).await;
    assert_empty(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn options_answers_204_on_every_path() {
    let app = spawn_app().await;
    for path in ["/", "/alive", "/reset", "/anything/else"] {
        let response = request(&app, Method::OPTIONS, path).await;
        assert_empty(response, StatusCode::NO_CONTENT).await;
    }
}

#[tokio::test]
async fn everything_else_is_404_with_an_empty_body() {
    let app = spawn_app().await;
    let cases = [
        (Method::GET, "/"),
        (Method::HEAD, "/"),
        (Method::HEAD, "/alive"),
        (Method::PUT, "/"),
        (Method::DELETE, "/"),
        (Method::POST, "/alive"),
        (Method::POST, "/reset"),
        (Method::GET, "/reset"),
        (Method::POST, "/invoke"),
        (Method::POST, "//"),
        (Method::POST, "/alive/"),
        (Method::GET, "/nope"),
    ];
    for (method, path) in cases {
        let response = request(&app, method.clone(), path).await;
        assert_eq!(response.status(), 404, "{method} {path}");
        assert_eq!(response.headers()[CONTENT_LENGTH], "0", "{method} {path}");
        assert_empty(response, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn bodies_over_the_limit_answer_413() {
    let app = spawn_app().await;
    let mut body = r#"{"action":"get_session","arguments":{"session_token":"x"}}"#.to_owned();
    body.push_str(&" ".repeat(BODY_LIMIT_BYTES - body.len()));
    let response = app.post_raw(body.clone()).await;
    assert_eq!(
        response.status(),
        200,
        "a body of exactly the limit is read"
    );
    body.push(' ');
    let response = app.post_raw(body).await;
    assert_empty(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    // Without a Content-Length (chunked) the limit holds too.
    let status_line = post_chunked(&app, &[vec![b' '; BODY_LIMIT_BYTES], vec![b' '; 16]]).await;
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
}

/// Sends `POST /` with a chunked body over a raw connection; returns the status line.
async fn post_chunked(app: &TestApp, chunks: &[Vec<u8>]) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let mut request =
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer before reading everything; a failed write is fine then.
    let _ = stream.write_all(&request).await;
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .await
        .expect("status line");
    status_line
}

#[tokio::test]
async fn cors_headers_are_on_every_answer_when_an_origin_is_configured() {
    let app = spawn_app_with(|config| {
        config.cors_allow_origin = Some("https://app.example".to_owned());
    })
    .await;
    let mut responses = vec![
        request(&app, Method::GET, "/alive").await,
        app.post_raw(r#"{"action":"get_session","arguments":{"session_token":"x"}}"#)
            .await,
        app.post_raw("x").await,
        request(&app, Method::GET, "/nope").await,
        request(&app, Method::OPTIONS, "/").await,
        app.post_raw(vec![b' '; BODY_LIMIT_BYTES + 1]).await,
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 400, 404, 204, 413]);
    for response in responses.drain(..) {
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example"
        );
        assert_eq!(headers["access-control-allow-headers"], "Content-Type");
        assert_eq!(
            headers["access-control-allow-methods"],
            "GET, POST, OPTIONS"
        );
        assert!(headers.get("vary").is_none());
        assert!(headers.get("access-control-allow-credentials").is_none());
        assert!(headers.get("access-control-max-age").is_none());
    }
    // The configured value is sent whatever the request's Origin.
    let response = app
        .http
        .get(app.url("/alive"))
        .header("Origin", "https://other.example")
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
}

#[tokio::test]
async fn every_answer_forbids_caching_and_sniffing() {
    let app = spawn_app().await;
    let responses = vec![
        request(&app, Method::GET, "/alive").await,
        app.post_raw(r#"{"action":"create_signup","arguments":{"email_address":"x"}}"#)
            .await,
        app.post_raw("x").await,
        request(&app, Method::GET, "/nope").await,
        request(&app, Method::OPTIONS, "/").await,
        app.post_raw(vec![b' '; BODY_LIMIT_BYTES + 1]).await,
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 400, 404, 204, 413]);
    for response in responses {
        let headers = response.headers();
        assert_eq!(
            headers["cache-control"],
            "no-store",
            "{}",
            response.status()
        );
        assert_eq!(
            headers["x-content-type-options"],
            "nosniff",
            "{}",
            response.status()
        );
    }
}

#[tokio::test]
async fn no_cors_headers_without_an_origin() {
    let app = spawn_app().await;
    let responses = vec![
        request(&app, Method::GET, "/alive").await,
        app.post_raw(r#"{"action":"get_session","arguments":{"session_token":"x"}}"#)
            .await,
        app.post_raw("x").await,
        request(&app, Method::GET, "/nope").await,
        request(&app, Method::OPTIONS, "/").await,
    ];
    for response in responses {
        for name in CORS_HEADERS {
            assert!(response.headers().get(name).is_none(), "{name}");
        }
    }
}

async fn create_signup(app: &TestApp) -> String {
    let answer = app
        .invoke(
            "create_signup",
            json!({ "email_address": "bob@example.com" }),
        )
        .await;
    assert!(is_ok(&answer), "{answer}");
    answer["values"]["signup_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn signup_exists(app: &TestApp, token: &str) -> bool {
    let answer = app
        .invoke("get_signup", json!({ "signup_token": token }))
        .await;
    is_ok(&answer)
}

#[tokio::test]
async fn reset_clears_all_state_when_enabled() {
    let app = spawn_app_with(|config| config.enable_reset = true).await;
    mount_empty_user_server(&app.user_server).await;
    let token = create_signup(&app).await;
    assert!(signup_exists(&app, &token).await);
    let response = request(&app, Method::POST, "/reset").await;
    assert_eq!(response.headers()[CONTENT_LENGTH], "0");
    assert_empty(response, StatusCode::OK).await;
    assert!(!signup_exists(&app, &token).await);
    // Only POST resets.
    assert_eq!(request(&app, Method::GET, "/reset").await.status(), 404);
}

#[tokio::test]
async fn reset_is_404_without_the_flag_and_keeps_state() {
    let app = spawn_app().await;
    mount_empty_user_server(&app.user_server).await;
    let token = create_signup(&app).await;
    let response = request(&app, Method::POST, "/reset").await;
    assert_empty(response, StatusCode::NOT_FOUND).await;
    assert!(signup_exists(&app, &token).await);
}

#[tokio::test]
async fn the_server_stops_gracefully() {
    let app = spawn_app().await;
    assert_eq!(request(&app, Method::GET, "/alive").await.status(), 200);
    let addr = app.addr;
    app.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Announces each `/invoke` call, then answers `user_not_found` after a delay.
struct AnnouncingUserServer(tokio::sync::mpsc::UnboundedSender<()>);

impl wiremock::Respond for AnnouncingUserServer {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let _ = self.0.send(());
        crate::helpers::action_error("user_not_found")
            .set_delay(std::time::Duration::from_millis(200))
    }
}

#[tokio::test]
async fn requests_in_flight_finish_when_the_server_stops() {
    use wiremock::matchers::{method, path};
    let app = spawn_app().await;
    let (announce, mut announced) = tokio::sync::mpsc::unbounded_channel();
    wiremock::Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(AnnouncingUserServer(announce))
        .mount(&app.user_server)
        .await;
    wiremock::Mock::given(method("POST"))
        .and(path("/email"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&app.user_server)
        .await;
    let request = app
        .http
        .post(app.url("/"))
        .body(r#"{"action":"create_signup","arguments":{"email_address":"bob@example.com"}}"#)
        .send();
    let in_flight = tokio::spawn(request);
    announced
        .recv()
        .await
        .expect("the action reached the user server");
    let addr = app.addr;
    app.stop().await;
    let response = in_flight.await.expect("task").expect("an answer");
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.expect("JSON");
    assert!(is_ok(&answer), "{answer}");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_failed_reset_answers_500() {
    let storage = FaultyStorage::new();
    let read_only = StorageError::Failure("the disk is read-only".into());
    storage.fail(StorageOp::Clear, "", 0, read_only);
    let storage = std::sync::Arc::new(storage);
    let app = spawn_app_with_overrides(
        |config| config.enable_reset = true,
        tiauth_faroe::app::Overrides {
            storage: Some(storage),
            ..Default::default()
        },
    )
    .await;
    let response = request(&app, Method::POST, "/reset").await;
    assert_empty(response, StatusCode::INTERNAL_SERVER_ERROR).await;
}
