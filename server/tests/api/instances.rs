//! Three `tiauth` processes on one PostgreSQL (then Redis) namespace and one mock user
//! server behave as one server: flows spread over instances, rate limits that hold
//! under concurrent attacks across instances, `kill -9` of one instance under load,
//! and an engine outage (a proxy cut and restored) without restarts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mock_backend::{MockBackend, RunningMockBackend};
use serde_json::{json, Value};
use tiauth_faroe::storage::testing::{
    fresh_namespace, reroute, service_addr, service_url, TcpProxy, POSTGRES_URL_VARIABLE,
    REDIS_URL_VARIABLE,
};

const PASSWORD: &str = "correct horse battery";
/// The storage timeout of the instances; an outage must answer within it (plus slack).
const STORAGE_TIMEOUT: Duration = Duration::from_secs(1);

/// One `tiauth` process and its address.
struct Instance {
    child: Child,
    url: String,
}

impl Instance {
    fn start(storage_url: &str, namespace: &str, backend_port: u16, dir: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tiauth"))
            .env_clear()
            .current_dir(dir)
            .env("FAROE_STORAGE_URL", storage_url)
            .env("FAROE_STORAGE_NAMESPACE", namespace)
            .env("FAROE_STORAGE_TIMEOUT", "1s")
            .env("FAROE_HOST", "127.0.0.1")
            .env("FAROE_PORT", "0")
            .env("FAROE_PRIVATE_PORT", backend_port.to_string())
            .env("FAROE_PWNED_PASSWORDS", "off")
            .env("FAROE_HASHING_CONCURRENCY", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tiauth starts");
        let stderr = child.stderr.take().expect("stderr");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        // A bounded wait for the startup line.
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line: String = lines.recv_timeout(left).expect("tiauth startup line");
            if let Some(start) = line.find("listening on http://") {
                let rest = &line[start + "listening on ".len()..];
                break rest.split_whitespace().next().expect("url").to_owned();
            }
        };
        Instance { child, url }
    }

    fn kill_9(&mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    http: reqwest::Client,
    instances: Vec<Instance>,
    backend: RunningMockBackend,
}

impl Cluster {
    fn url(&self, n: usize) -> String {
        self.instances[n % self.instances.len()].url.clone()
    }

    async fn call(&self, n: usize, action: &str, arguments: Value) -> Value {
        call(&self.http, &self.url(n), action, arguments)
            .await
            .expect("an answer")
    }

    /// The `values` of a successful answer.
    async fn ok(&self, n: usize, action: &str, arguments: Value) -> Value {
        let answer = self.call(n, action, arguments).await;
        assert_eq!(answer["ok"], true, "{action} on instance {n}: {answer}");
        answer["values"].clone()
    }

    fn code(&self, email: &str) -> String {
        self.backend
            .take_token("signup_verification", email)
            .expect("a signup code")
    }

    /// A user signed up with each step on another instance; returns the session token.
    async fn sign_up(&self, email: &str) -> String {
        let signup = self
            .ok(0, "create_signup", json!({"email_address": email}))
            .await["signup_token"]
            .as_str()
            .expect("token")
            .to_owned();
        let code = self.code(email);
        self.ok(
            1,
            "verify_signup_email_address_verification_code",
            json!({"signup_token": signup, "email_address_verification_code": code}),
        )
        .await;
        self.ok(
            2,
            "set_signup_password",
            json!({"signup_token": signup, "password": PASSWORD}),
        )
        .await;
        let done = self
            .ok(0, "complete_signup", json!({"signup_token": signup}))
            .await;
        done["session_token"].as_str().expect("session").to_owned()
    }

    async fn create_signin(&self, n: usize, email: &str) -> String {
        self.ok(n, "create_signin", json!({"user_email_address": email}))
            .await["signin_token"]
            .as_str()
            .expect("signin token")
            .to_owned()
    }

    /// A signin with its steps on instances 1, 2 and 0.
    async fn sign_in(&self, email: &str) -> String {
        self.sign_in_on(email, [1, 2, 0]).await
    }

    async fn sign_in_on(&self, email: &str, on: [usize; 3]) -> String {
        let signin = self.create_signin(on[0], email).await;
        self.ok(
            on[1],
            "verify_signin_user_password",
            json!({"signin_token": signin, "password": PASSWORD}),
        )
        .await;
        let done = self
            .ok(on[2], "complete_signin", json!({"signin_token": signin}))
            .await;
        done["session_token"].as_str().expect("session").to_owned()
    }

    async fn session_valid_everywhere(&self, session: &str) {
        for n in 0..self.instances.len() {
            self.ok(n, "get_session", json!({"session_token": session}))
                .await;
        }
    }

    /// Sends `count` requests at once, spread round-robin over the instances, and
    /// counts the answers by error code (`ok` for successes).
    async fn storm(
        &self,
        count: usize,
        request: impl Fn(usize) -> (&'static str, Value),
    ) -> std::collections::HashMap<String, usize> {
        let tasks: Vec<_> = (0..count)
            .map(|n| {
                let (action, arguments) = request(n);
                let (http, url) = (self.http.clone(), self.url(n));
                tokio::spawn(async move { call(&http, &url, action, arguments).await })
            })
            .collect();
        let mut outcomes = std::collections::HashMap::new();
        for task in tasks {
            let answer = task.await.expect("task").expect("an answer");
            let outcome = match answer["ok"].as_bool() {
                Some(true) => "ok".to_owned(),
                _ => answer["error_code"].as_str().unwrap_or("?").to_owned(),
            };
            *outcomes.entry(outcome).or_default() += 1;
        }
        outcomes
    }
}

async fn call(
    http: &reqwest::Client,
    url: &str,
    action: &str,
    arguments: Value,
) -> reqwest::Result<Value> {
    http.post(format!("{url}/"))
        .json(&json!({"action": action, "arguments": arguments}))
        .send()
        .await?
        .json()
        .await
}

fn at_most(outcomes: &std::collections::HashMap<String, usize>, code: &str, limit: usize) {
    use std::io::Write as _;
    // Shown even when the test passes: the figures are the point of the test.
    let _ = writeln!(
        std::io::stderr(),
        "40 concurrent, at most {limit} {code}: {outcomes:?}"
    );
    assert!(
        outcomes.get(code).copied().unwrap_or(0) <= limit,
        "more than {limit} {code}: {outcomes:?}"
    );
    assert!(
        !outcomes.contains_key("internal_error"),
        "internal_error under concurrency: {outcomes:?}"
    );
    assert_eq!(outcomes.values().sum::<usize>(), 40, "{outcomes:?}");
}

async fn three_instances_behave_as_one(variable: &str, engine: &str) {
    let Some(engine_url) = service_url(variable, &format!("three {engine} instances")) else {
        return;
    };
    let proxy = TcpProxy::start(service_addr(&engine_url))
        .await
        .expect("proxy");
    let storage_url = reroute(&engine_url, proxy.addr());
    let namespace = fresh_namespace();
    let backend = MockBackend::start("127.0.0.2:0".parse().expect("address"))
        .await
        .expect("mock user server");
    let dir = tempfile::tempdir().expect("dir");
    let port = backend.addr().port();
    let start = || Instance::start(&storage_url, &namespace, port, dir.path());
    let mut cluster = Cluster {
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
        instances: vec![start(), start(), start()],
        backend,
    };

    // 1. Flows whose steps land on different instances; sessions valid everywhere;
    // deleting all sessions on one instance is seen by the others at once.
    let first = cluster.sign_up("ann@example.com").await;
    cluster.session_valid_everywhere(&first).await;
    let second = cluster.sign_in("ann@example.com").await;
    cluster.session_valid_everywhere(&second).await;
    cluster
        .ok(1, "delete_all_sessions", json!({"session_token": second}))
        .await;
    for n in [0, 2] {
        for session in [&first, &second] {
            let answer = cluster
                .call(n, "get_session", json!({"session_token": session}))
                .await;
            assert_eq!(answer["error_code"], "invalid_session_token", "{answer}");
        }
    }

    // 2. Rate limits hold across instances under concurrency.
    let signin = cluster.create_signin(0, "ann@example.com").await;
    let wrong = cluster
        .storm(40, |_| {
            (
                "verify_signin_user_password",
                json!({"signin_token": signin, "password": "not the password"}),
            )
        })
        .await;
    at_most(&wrong, "incorrect_password", 5);

    cluster.sign_up("bob@example.com").await;
    let mut signins = Vec::new();
    for n in 0..40 {
        signins.push(cluster.create_signin(n, "bob@example.com").await);
    }
    let right = cluster
        .storm(40, |n| {
            (
                "verify_signin_user_password",
                json!({"signin_token": signins[n], "password": PASSWORD}),
            )
        })
        .await;
    at_most(&right, "ok", 5);

    let signup = cluster
        .ok(
            0,
            "create_signup",
            json!({"email_address": "cy@example.com"}),
        )
        .await["signup_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let codes = cluster
        .storm(40, |_| {
            (
                "verify_signup_email_address_verification_code",
                json!({"signup_token": signup, "email_address_verification_code": "00000000"}),
            )
        })
        .await;
    at_most(&codes, "incorrect_email_address_verification_code", 5);

    let signup = cluster
        .ok(
            1,
            "create_signup",
            json!({"email_address": "di@example.com"}),
        )
        .await["signup_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let resends = cluster
        .storm(40, |_| {
            (
                "send_signup_email_address_verification_code",
                json!({"signup_token": signup}),
            )
        })
        .await;
    at_most(&resends, "ok", 5);

    // 3. kill -9 of one instance under load over all three.
    let before = cluster.sign_up("eve@example.com").await;
    let load: Vec<_> = (0..3)
        .map(|n| {
            let (http, url, session) = (cluster.http.clone(), cluster.url(n), before.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for _ in 0..150 {
                    let answer = call(
                        &http,
                        &url,
                        "get_session",
                        json!({"session_token": session}),
                    )
                    .await;
                    answers.push(answer.map(|answer| answer["ok"] == true));
                    tokio::task::yield_now().await;
                }
                answers
            })
        })
        .collect();
    cluster.instances[2].kill_9();
    let during = cluster.sign_in_on("eve@example.com", [0, 1, 0]).await;
    for (n, task) in load.into_iter().enumerate() {
        let answers = task.await.expect("load task");
        if n == 2 {
            continue; // the killed instance: connection errors are expected
        }
        assert!(
            answers.iter().all(|answer| matches!(answer, Ok(true))),
            "instance {n} failed under load: {:?}",
            answers.iter().filter(|a| !matches!(a, Ok(true))).count()
        );
    }
    cluster.instances[2] = start();
    for session in [&before, &during] {
        cluster
            .ok(2, "get_session", json!({"session_token": session}))
            .await;
    }

    // 4. The engine becomes unreachable and comes back: internal_error within the
    // timeout meanwhile, /alive answering, full service afterwards without restarts.
    proxy.cut();
    for n in 0..3 {
        let started = Instant::now();
        let answer = cluster
            .call(n, "get_session", json!({"session_token": before}))
            .await;
        assert_eq!(answer["error_code"], "internal_error", "{answer}");
        assert!(
            started.elapsed() < STORAGE_TIMEOUT + Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        let alive = cluster
            .http
            .get(format!("{}/alive", cluster.url(n)))
            .send()
            .await
            .expect("alive answers");
        assert_eq!(alive.status(), 200);
    }
    proxy.restore();
    for n in 0..3 {
        // Reconnecting takes the engine's client a moment: poll, bounded.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let answer = cluster
                .call(n, "get_session", json!({"session_token": before}))
                .await;
            if answer["ok"] == true {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "instance {n} did not recover: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let after = cluster.sign_up("fay@example.com").await;
    cluster.session_valid_everywhere(&after).await;

    // Remove the namespace (the instances do not serve /reset).
    drop(cluster);
    remove_namespace(&engine_url, namespace).await;
}

/// Removes what the servers stored under `namespace` on the engine at `engine_url`.
pub(crate) async fn remove_namespace(engine_url: &str, namespace: String) {
    let settings = tiauth_faroe::storage::StorageSettings {
        namespace,
        ..tiauth_faroe::storage::StorageSettings::new(
            tiauth_faroe::storage::StorageUrl::parse(engine_url).expect("url"),
        )
    };
    if let tiauth_faroe::storage::StorageUrl::Postgres(_) = settings.url {
        let storage = tiauth_faroe::storage::PostgresStorage::open(&settings)
            .await
            .expect("open");
        storage.drop_namespace().await.expect("drop namespace");
    } else {
        let clock = std::sync::Arc::new(tiauth_faroe::faroe::clock::SystemClock);
        let storage = tiauth_faroe::storage::open(&settings, clock)
            .await
            .expect("open");
        storage.clear().await.expect("clear");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_on_postgres_behave_as_one_server() {
    three_instances_behave_as_one(POSTGRES_URL_VARIABLE, "PostgreSQL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_on_redis_behave_as_one_server() {
    three_instances_behave_as_one(REDIS_URL_VARIABLE, "Redis").await;
}
