//! The `tiauth` binary against hostile clients: slowloris, silent and partial-body
//! connections, more connections than the cap under a low open-files limit, SIGTERM with
//! stalled and in-flight requests, and kill -9 during concurrent signups and signins
//! (on SQLite, and on PostgreSQL and Redis when their URLs are given).
//!
//! The server timeouts these tests are about are configured short; every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mock_backend::MockBackend;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::Mock;

use tiauth_faroe::storage::testing::{
    fresh_namespace, service_url, POSTGRES_URL_VARIABLE, REDIS_URL_VARIABLE,
};

use crate::helpers::{action_error, user_server_on};
use crate::instances::remove_namespace;
use crate::process::{temp_dir, tiauth, Running};

/// Longer than any configured timeout: a wait past it is a failure.
const BOUND: Duration = Duration::from_secs(15);

/// The binary on 127.0.0.1:0 with the breach check off and `env` on top.
fn server(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = tiauth(dir);
    command
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env("FAROE_DB_PATH", "db.sqlite")
        .env("FAROE_PWNED_PASSWORDS", "off")
        .env("FAROE_PRIVATE_PORT", "9")
        .envs(env.iter().copied());
    command
}

/// The binary under `prlimit --nofile=soft:hard`.
fn limited_server(dir: &Path, nofile: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={nofile}"))
        .arg(env!("CARGO_BIN_EXE_tiauth"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env_clear()
        .current_dir(dir)
        .env("FAROE_DB_PATH", "db.sqlite")
        .env("FAROE_PWNED_PASSWORDS", "off")
        .env("FAROE_PRIVATE_PORT", "9")
        .envs(env.iter().copied());
    command
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process's descriptors")
        .count()
}

fn connect(addr: &str) -> TcpStream {
    // A parsed address: resolving the text each time costs milliseconds.
    let addr: std::net::SocketAddr = addr.parse().expect("socket address");
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(BOUND)).expect("read timeout");
    stream
}

/// What the server sends until it closes the connection; panics past [`BOUND`].
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => break,
            Err(error) => panic!("the connection stayed open: {error}"),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// A slowloris client: one more header byte whenever the server stays silent for
/// `pace`, until the server closes the connection. Returns how long that took.
fn trickle_until_closed(addr: &str, pace: Duration) -> Duration {
    let started = Instant::now();
    let mut stream = connect(addr);
    stream.set_read_timeout(Some(pace)).expect("read timeout");
    stream.write_all(b"GET /alive HTTP/1.1\r\n").expect("write");
    let mut buffer = [0u8; 64];
    for byte in b"X-Slow: ".iter().cycle() {
        assert!(
            started.elapsed() < BOUND,
            "the slowloris connection stayed open"
        );
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(_) => panic!("the server answered a partial head"),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if stream.write_all(&[*byte]).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    started.elapsed()
}

/// The status of `GET /alive` on a fresh connection, `None` if the connection closed
/// without an answer.
fn alive_status(addr: &str) -> Option<u16> {
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /alive HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split(' ').nth(1)?.parse().ok()
}

/// Polls `/alive` until it answers 200; returns how long that took.
fn until_alive(addr: &str) -> Duration {
    let started = Instant::now();
    while alive_status(addr) != Some(200) {
        assert!(started.elapsed() < BOUND, "/alive never answered again");
    }
    started.elapsed()
}

#[test]
fn slowloris_silent_and_partial_body_connections_are_closed_and_descriptors_freed() {
    let timeout = Duration::from_millis(500);
    let dir = temp_dir();
    let mut server = Running::start(&mut server(
        dir.path(),
        &[
            ("FAROE_HTTP_HEADER_TIMEOUT", "500ms"),
            ("FAROE_HTTP_BODY_TIMEOUT", "500ms"),
        ],
    ));
    let addr = server.address();
    assert_eq!(alive_status(&addr), Some(200));
    let pid = server.child.id();
    let baseline = open_files(pid);

    let started = Instant::now();
    let mut silent: Vec<TcpStream> = (0..50).map(|_| connect(&addr)).collect();
    let mut partial_body = connect(&addr);
    partial_body
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{\"a")
        .expect("write");
    let slowloris = {
        let addr = addr.clone();
        std::thread::spawn(move || trickle_until_closed(&addr, Duration::from_millis(100)))
    };
    let deadline = Instant::now() + BOUND;
    while open_files(pid) < baseline + silent.len() {
        assert!(
            Instant::now() < deadline,
            "the connections were not accepted"
        );
    }

    for stream in &mut silent {
        assert_eq!(read_until_closed(stream), "");
    }
    let answer = read_until_closed(&mut partial_body);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let slow = slowloris.join().expect("slowloris thread");
    assert!(slow >= timeout, "closed after {slow:?}");
    // Generous margins: the machine running the tests may be busy.
    assert!(slow < timeout * 6, "closed only after {slow:?}");
    assert!(started.elapsed() < timeout * 10, "{:?}", started.elapsed());

    let deadline = Instant::now() + BOUND;
    while open_files(pid) > baseline {
        assert!(
            Instant::now() < deadline,
            "{} descriptors open, {baseline} before",
            open_files(pid)
        );
    }
    drop(silent);
}

#[test]
fn past_the_derived_connection_cap_connections_are_shed_and_alive_recovers() {
    let dir = temp_dir();
    // The soft limit is raised to the hard one (300) and the cap is 300 - 128.
    let mut server = Running::start(&mut limited_server(
        dir.path(),
        "150:300",
        &[("FAROE_HTTP_HEADER_TIMEOUT", "3s")],
    ));
    let line = server.wait_for("tiauth listening");
    assert!(line.contains("max_connections=172"), "{line}");
    let addr = server.address();
    assert_eq!(alive_status(&addr), Some(200));

    let opened = Instant::now();
    let mut held: Vec<TcpStream> = (0..200).map(|_| connect(&addr)).collect();
    // The last ones are past the cap: answered 503 and closed at once, not left waiting.
    let answer = read_until_closed(held.last_mut().expect("connections"));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("retry-after: 1"), "{answer:?}");
    assert!(
        opened.elapsed() < Duration::from_secs(3),
        "{:?}",
        opened.elapsed()
    );
    // Once the header timeout frees the held slots, a fresh client is served at once.
    let recovered = opened.elapsed() + until_alive(&addr);
    assert!(
        recovered < Duration::from_secs(3 + 1),
        "/alive answered only after {recovered:?}"
    );
    let shed_lines = server
        .lines_so_far()
        .iter()
        .filter(|line| line.contains("connection limit reached"))
        .count();
    assert_eq!(shed_lines, 1, "{:?}", server.lines_so_far());
    drop(held);
}

#[test]
fn out_of_descriptors_the_accept_loop_backs_off_and_recovers() {
    let dir = temp_dir();
    // A cap above what the open-files limit allows: accept itself fails.
    let mut server = Running::start(&mut limited_server(
        dir.path(),
        "64:64",
        &[
            ("FAROE_HTTP_HEADER_TIMEOUT", "500ms"),
            ("FAROE_MAX_CONNECTIONS", "1000"),
        ],
    ));
    let addr = server.address();
    let started = Instant::now();
    let held: Vec<TcpStream> = (0..100).map(|_| connect(&addr)).collect();
    server.wait_for("cannot accept connections");
    until_alive(&addr);
    let elapsed = started.elapsed();
    let error_lines = server
        .lines_so_far()
        .iter()
        .filter(|line| line.contains("cannot accept connections"))
        .count();
    // One line per 10 s interval, however many accepts failed.
    let allowed = 1 + usize::try_from(elapsed.as_secs() / 10).expect("small");
    assert!(
        (1..=allowed).contains(&error_lines),
        "{error_lines} lines in {elapsed:?}"
    );
    drop(held);
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([name, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_stalled_connections_and_lets_an_in_flight_signin_finish() {
    let delay = Duration::from_secs(3);
    let user_server = user_server_on(0).await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found").set_delay(delay))
        .mount(&user_server)
        .await;
    let dir = temp_dir();
    let port = user_server.address().port().to_string();
    let mut server = Running::start(&mut server(
        dir.path(),
        &[
            ("FAROE_PRIVATE_PORT", &port),
            ("FAROE_HTTP_HEADER_TIMEOUT", "60s"),
            ("FAROE_HTTP_BODY_TIMEOUT", "60s"),
            ("FAROE_SHUTDOWN_GRACE", "10s"),
        ],
    ));
    let addr = server.address();
    let mut stalled_head = connect(&addr);
    stalled_head
        .write_all(b"GET /alive HTTP/1.1\r\nHo")
        .expect("write");
    let mut stalled_body = connect(&addr);
    stalled_body
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{\"a")
        .expect("write");
    let signin = {
        let url = format!("http://{addr}/");
        tokio::spawn(async move {
            let body = json!({"action": "create_signin",
                "arguments": {"user_email_address": "a@example.com"}});
            let client = reqwest::Client::builder().no_proxy().build()?;
            let response = client.post(url).body(body.to_string()).send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.json::<Value>().await?))
        })
    };
    let deadline = Instant::now() + BOUND;
    while user_server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the signin never reached the user server"
        );
        tokio::task::yield_now().await;
    }

    let pid = server.child.id();
    let terminated = Instant::now();
    signal(pid, "-TERM");
    let closed = tokio::task::spawn_blocking(move || {
        let head = read_until_closed(&mut stalled_head);
        let body = read_until_closed(&mut stalled_body);
        (head, body, terminated.elapsed())
    })
    .await
    .expect("reader");
    assert_eq!(closed.0, "");
    assert!(
        closed.1.is_empty() || closed.1.starts_with("HTTP/1.1 503"),
        "{}",
        closed.1
    );
    assert!(
        closed.2 < delay,
        "stalled connections closed after {:?}",
        closed.2
    );

    let (status, answer) = signin.await.expect("task").expect("the signin is answered");
    assert_eq!(status, 200);
    assert_eq!(answer["error_code"], "user_not_found", "{answer}");
    let mut child = server;
    let status = tokio::task::spawn_blocking(move || {
        let status = child.child.wait().expect("exit status");
        (status, child.lines_so_far().to_vec())
    })
    .await
    .expect("waiter");
    assert_eq!(status.0.code(), Some(0), "{:?}", status.1);
    assert!(terminated.elapsed() < Duration::from_secs(10));
    assert!(
        !status.1.iter().any(|line| line.contains("requests_cut")),
        "{:?}",
        status.1
    );
}

const PASSWORD: &str = "a long enough password";

async fn action(client: &reqwest::Client, url: &str, name: &str, arguments: Value) -> Value {
    let body = json!({"action": name, "arguments": arguments}).to_string();
    let response = client.post(url).body(body).send().await;
    match response {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

fn ok_value(answer: &Value, key: &str) -> Option<String> {
    (answer["ok"] == json!(true))
        .then(|| answer["values"][key].as_str().map(str::to_owned))
        .flatten()
}

/// Signs `email` up, then in again and again; every session token the server
/// acknowledges goes into `acknowledged`. Stops at the first failure (the kill).
async fn sign_up_and_in(
    client: reqwest::Client,
    url: String,
    backend: Arc<mock_backend::RunningMockBackend>,
    email: String,
    acknowledged: Arc<Mutex<Vec<String>>>,
) {
    let created = action(
        &client,
        &url,
        "create_signup",
        json!({"email_address": email}),
    )
    .await;
    let Some(signup) = ok_value(&created, "signup_token") else {
        return;
    };
    let Some(code) = backend.take_token("signup_verification", &email) else {
        return;
    };
    let steps = [
        (
            "verify_signup_email_address_verification_code",
            json!({"signup_token": signup, "email_address_verification_code": code}),
        ),
        (
            "set_signup_password",
            json!({"signup_token": signup, "password": PASSWORD}),
        ),
    ];
    for (name, arguments) in steps {
        if action(&client, &url, name, arguments).await["ok"] != json!(true) {
            return;
        }
    }
    let completed = action(
        &client,
        &url,
        "complete_signup",
        json!({"signup_token": signup}),
    )
    .await;
    let Some(session) = ok_value(&completed, "session_token") else {
        return;
    };
    acknowledged.lock().expect("lock").push(session);
    loop {
        let created = action(
            &client,
            &url,
            "create_signin",
            json!({"user_email_address": email}),
        )
        .await;
        let Some(signin) = ok_value(&created, "signin_token") else {
            return;
        };
        let verified = action(
            &client,
            &url,
            "verify_signin_user_password",
            json!({"signin_token": signin, "password": PASSWORD}),
        )
        .await;
        if verified["ok"] != json!(true) {
            return;
        }
        let completed = action(
            &client,
            &url,
            "complete_signin",
            json!({"signin_token": signin}),
        )
        .await;
        let Some(session) = ok_value(&completed, "session_token") else {
            return;
        };
        acknowledged.lock().expect("lock").push(session);
    }
}

/// Where the killed server keeps its state: the SQLite file in its folder, or a
/// networked engine under a namespace of this run's own.
enum Engine {
    Sqlite,
    Networked { url: String, namespace: String },
}

impl Engine {
    /// The networked engine `variable` names, with a fresh namespace; `None` (after a
    /// printed skip line) when the variable is unset.
    fn networked(variable: &str, name: &str) -> Option<Engine> {
        let test = format!("kill -9 under load on {name}");
        let url = service_url(variable, &test)?;
        Some(Engine::Networked {
            url,
            namespace: fresh_namespace(),
        })
    }

    fn env(&self) -> Vec<(&str, &str)> {
        match self {
            Engine::Sqlite => Vec::new(),
            Engine::Networked { url, namespace } => vec![
                ("FAROE_STORAGE_URL", url.as_str()),
                ("FAROE_STORAGE_NAMESPACE", namespace.as_str()),
            ],
        }
    }

    /// What the engine itself says about the state the kill left: SQLite's own
    /// integrity check; a networked engine's server survives its client's death.
    fn check_integrity(&self, dir: &Path) {
        if let Engine::Sqlite = self {
            let integrity: String = rusqlite::Connection::open(dir.join("db.sqlite"))
                .expect("open the database")
                .query_row("PRAGMA integrity_check", [], |row| row.get(0))
                .expect("integrity check");
            assert_eq!(integrity, "ok");
        }
    }

    async fn clean_up(self) {
        if let Engine::Networked { url, namespace } = self {
            remove_namespace(&url, namespace).await;
        }
    }
}

/// Signs users up and in on four workers, kills the server with SIGKILL once 12
/// sessions are acknowledged, restarts it on the same state and checks every
/// acknowledged session there.
async fn after_kill_9_under_load(engine: Engine) {
    let backend = Arc::new(
        MockBackend::start(([127, 0, 0, 2], 0).into())
            .await
            .expect("user server"),
    );
    let dir = temp_dir();
    let port = backend.addr().port().to_string();
    let mut env = vec![
        ("FAROE_PRIVATE_PORT", port.as_str()),
        ("FAROE_HASHING_CONCURRENCY", "2"),
    ];
    env.extend(engine.env());
    let mut first = Running::start(&mut server(dir.path(), &env));
    let url = format!("http://{}/", first.address());
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..4)
        .map(|n| {
            tokio::spawn(sign_up_and_in(
                client.clone(),
                url.clone(),
                backend.clone(),
                format!("user{n}@example.com"),
                acknowledged.clone(),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().expect("lock").len() < 12 {
        assert!(Instant::now() < deadline, "too few sessions were created");
        tokio::task::yield_now().await;
    }
    signal(first.child.id(), "-KILL");
    for worker in workers {
        worker.await.expect("worker");
    }
    let _ = first.child.wait();
    let sessions = acknowledged.lock().expect("lock").clone();

    engine.check_integrity(dir.path());

    let mut second = Running::start(&mut server(dir.path(), &env));
    let url = format!("http://{}/", second.address());
    for session in &sessions {
        let answer = action(
            &client,
            &url,
            "get_session",
            json!({"session_token": session}),
        )
        .await;
        assert_eq!(answer["ok"], json!(true), "{answer}");
    }
    assert!(sessions.len() >= 12);
    assert_eq!(second.terminate().code(), Some(0));
    engine.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_under_load_every_acknowledged_session_is_valid() {
    after_kill_9_under_load(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_under_load_on_postgres_every_acknowledged_session_is_valid() {
    if let Some(engine) = Engine::networked(POSTGRES_URL_VARIABLE, "PostgreSQL") {
        after_kill_9_under_load(engine).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_under_load_on_redis_every_acknowledged_session_is_valid() {
    if let Some(engine) = Engine::networked(REDIS_URL_VARIABLE, "Redis") {
        after_kill_9_under_load(engine).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_shutdown_grace_requests_in_flight_are_cut_and_counted() {
    let user_server = user_server_on(0).await;
    Mock::given(method("POST"))
        .and(path("/invoke"))
        .respond_with(action_error("user_not_found").set_delay(BOUND * 2))
        .mount(&user_server)
        .await;
    let dir = temp_dir();
    let port = user_server.address().port().to_string();
    let mut server = Running::start(&mut server(
        dir.path(),
        &[
            ("FAROE_PRIVATE_PORT", &port),
            ("FAROE_USER_SERVER_TIMEOUT", "60s"),
            ("FAROE_SHUTDOWN_GRACE", "500ms"),
        ],
    ));
    let url = format!("http://{}/", server.address());
    let signin = tokio::spawn(async move {
        let body = json!({"action": "create_signin",
            "arguments": {"user_email_address": "a@example.com"}});
        let client = reqwest::Client::builder().no_proxy().build()?;
        client.post(url).body(body.to_string()).send().await
    });
    let deadline = Instant::now() + BOUND;
    while user_server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the signin never reached the user server"
        );
        tokio::task::yield_now().await;
    }
    let terminated = Instant::now();
    signal(server.child.id(), "-TERM");
    let (status, lines) = tokio::task::spawn_blocking(move || {
        let status = server.child.wait().expect("exit status");
        (status, server.lines_so_far().to_vec())
    })
    .await
    .expect("waiter");
    let stopped = terminated.elapsed();
    assert_eq!(status.code(), Some(0), "{lines:?}");
    assert!(stopped >= Duration::from_millis(500), "{stopped:?}");
    assert!(stopped < Duration::from_secs(5), "{stopped:?}");
    assert!(
        lines.iter().any(|line| line.contains("requests_cut=1")),
        "{lines:?}"
    );
    assert!(
        signin.await.expect("task").is_err(),
        "the cut signin was answered"
    );
}
