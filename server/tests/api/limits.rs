//! The listener's limits on the in-process app: framing refused before the body is
//! read (413, 501, 431), bodies and idle connections timed out, the hashing queue.
//!
//! Time-based server timeouts are what these tests are about: they are configured
//! short and every wait is bounded.

use std::time::{Duration, Instant};

use serde_json::json;
use tiauth_faroe::http::RETRY_AFTER_SECONDS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wiremock::matchers::{method, path};
use wiremock::Mock;

use crate::helpers::{action_error, error_code, spawn_app_with, TestApp};

/// Longer than any configured timeout here: a wait past it is a failure.
const BOUND: Duration = Duration::from_secs(10);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.addr).await.expect("connect")
}

/// Everything the server sends until it closes the connection (or [`BOUND`] passes).
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(BOUND, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection was not closed within {BOUND:?}"
    );
    String::from_utf8_lossy(&received).into_owned()
}

fn status_of(answer: &str) -> &str {
    answer.split(' ').nth(1).unwrap_or("")
}

#[tokio::test]
async fn a_declared_oversize_body_gets_413_at_once() {
    let app = spawn_app_with(|config| config.limits.body_timeout = BOUND * 2).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000000\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until_closed(&mut stream).await;
    assert_eq!(status_of(&answer), "413", "{answer}");
}

#[tokio::test]
async fn transfer_codings_other_than_plain_chunked_get_501() {
    let app = spawn_app_with(|_| {}).await;
    for coding in ["gzip, chunked", "chunked, chunked", "x-custom,chunked"] {
        let mut stream = connect(&app).await;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: {coding}\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let answer = read_until_closed(&mut stream).await;
        assert_eq!(status_of(&answer), "501", "{coding}: {answer}");
    }
}

#[tokio::test]
async fn a_head_with_more_than_100_headers_gets_431() {
    let app = spawn_app_with(|_| {}).await;
    let mut request = String::from("GET /alive HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    for n in 0..98 {
        request.push_str(&format!("X-Filler-{n}: y\r\n"));
    }
    let mut stream = connect(&app).await;
    stream
        .write_all(format!("{request}\r\n").as_bytes())
        .await
        .expect("write");
    assert_eq!(status_of(&read_until_closed(&mut stream).await), "200");
    request.push_str("X-One-Too-Many: y\r\n");
    let mut stream = connect(&app).await;
    stream
        .write_all(format!("{request}\r\n").as_bytes())
        .await
        .expect("write");
    assert_eq!(status_of(&read_until_closed(&mut stream).await), "431");
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_after_the_body_timeout() {
    let timeout = Duration::from_millis(300);
    let app = spawn_app_with(|config| config.limits.body_timeout = timeout).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{\"a")
        .await
        .expect("write");
    let answer = read_until_closed(&mut stream).await;
    assert_eq!(status_of(&answer), "408", "{answer}");
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let header_timeout = Duration::from_millis(200);
    let idle_timeout = Duration::from_millis(1200);
    let app = spawn_app_with(|config| {
        config.limits.header_timeout = header_timeout;
        config.limits.idle_timeout = idle_timeout;
    })
    .await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /alive HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    let mut buffer = [0u8; 1024];
    let n = stream.read(&mut buffer).await.expect("answer");
    let answered = Instant::now();
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
    // Kept open past the header timeout (the idle timeout applies now), then closed.
    let rest = read_until_closed(&mut stream).await;
    assert_eq!(rest, "");
    let idle = answered.elapsed();
    assert!(
        idle >= idle_timeout - Duration::from_millis(50),
        "closed after {idle:?}"
    );
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let header_timeout = Duration::from_millis(300);
    let app = spawn_app_with(|config| {
        config.limits.header_timeout = header_timeout;
        config.limits.idle_timeout = BOUND * 2;
    })
    .await;
    let started = Instant::now();
    let mut silent = connect(&app).await;
    let mut partial = connect(&app).await;
    partial
        .write_all(b"GET /alive HTTP/1.1\r\nHo")
        .await
        .expect("write");
    assert_eq!(read_until_closed(&mut silent).await, "");
    assert_eq!(read_until_closed(&mut partial).await, "");
    assert!(
        started.elapsed() >= header_timeout,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn password_actions_past_the_hashing_queue_get_503_with_retry_after() {
    let app = spawn_app_with(|config| {
        config.hashing_concurrency = 1;
        config.limits.hashing_queue = Some(0);
    })
    .await;
    // The user server answers after a while: the first password action holds the one
    // place meanwhile.
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found").set_delay(Duration::from_millis(1500)))
        .mount(&app.user_server)
        .await;
    let reset = json!({"action": "create_user_password_reset",
        "arguments": {"user_email_address": "a@example.com"}});
    let holder = {
        let http = app.http.clone();
        let url = app.url("/");
        let body = reset.to_string();
        tokio::spawn(async move { http.post(url).body(body).send().await })
    };
    let deadline = Instant::now() + BOUND;
    while app.received("/invoke").await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first reset never reached the user server"
        );
        tokio::task::yield_now().await;
    }
    let overflow = app
        .post_raw(
            json!({"action": "verify_signin_user_password",
                "arguments": {"signin_token": "x", "password": "y"}})
            .to_string(),
        )
        .await;
    assert_eq!(overflow.status(), 503);
    assert_eq!(overflow.headers()["retry-after"], RETRY_AFTER_SECONDS);
    // Other actions are not queued behind hashing.
    let session = app
        .invoke("get_session", json!({"session_token": "nope"}))
        .await;
    assert_eq!(error_code(&session), Some("invalid_session_token"));
    let first = holder.await.expect("task").expect("answer");
    assert_eq!(first.status(), 200);
    let again = app
        .invoke(
            "verify_signin_user_password",
            json!({"signin_token": "x", "password": "y"}),
        )
        .await;
    assert_eq!(error_code(&again), Some("invalid_signin_token"));
}
