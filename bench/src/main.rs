//! `bench`: starts the Tiauth Faroe server and the mock user server on loopback
//! ports, drives each scenario at a fixed concurrency for a fixed time, and prints
//! throughput, latency, CPU and memory per scenario, each as a ratio to its ceiling,
//! with the first targets that hold. See `bench/README.md`.

mod api;
mod bulk;
mod load;
mod metrics_ab;
mod processes;
mod procstat;
mod pwned;
mod report;

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Parser;
use serde::Serialize;
use tiauth_faroe::faroe::credentials::{format_token, generate_id, generate_secret};
use tiauth_faroe::faroe::passwords::PasswordHasher;

use crate::api::{get_session_body, Api, PASSWORD};
use crate::load::{run_closed_loop, run_paced, LoadOutcome};
use crate::processes::{Binaries, Running, ServerSettings};
use crate::procstat::{cpu_percent_of_one_core, Measurement, ProcessProbe};
use crate::report::{Row, TargetCheck};

const SCENARIOS: &[&str] = &[
    report::ALIVE,
    report::SESSION_CACHE_OFF,
    report::SESSION_CACHE_ON,
    report::SESSION_UNKNOWN,
    report::ARGON2_RAW,
    report::SIGNUP,
    report::SIGNIN,
    "scale",
    "pwned_file",
    metrics_ab::SCENARIO,
];

/// Users the signin storm cycles through. Each may sign in five times a minute
/// (the password rate limit), so a few hundred carry a ten-second storm.
const SIGNIN_USERS: usize = 300;
/// How often the `alive` probe asks during the signin storm.
const PROBE_EVERY: Duration = Duration::from_millis(20);

#[derive(Debug, Parser)]
#[command(about = "Load generator and first figures for the Tiauth Faroe server")]
struct Options {
    /// About 3 s per scenario and at most 100 k stored sessions (default: 10 s and up to 1 M)
    #[arg(long)]
    quick: bool,
    /// Also write the figures to this JSON file
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Run only these scenarios (their ceilings are added): alive, session_cache_off,
    /// session_cache_on, session_unknown, argon2_raw, signup, signin, scale, pwned_file,
    /// metrics_ab
    #[arg(long, value_name = "SCENARIO,...", value_delimiter = ',')]
    only: Vec<String>,
    /// Client tasks, each with one request in flight
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// FAROE_HASHING_CONCURRENCY of the server, and the limit of the raw Argon2id
    /// ceiling [default: the server's default, the number of CPUs]
    #[arg(long, value_name = "N")]
    hashing_concurrency: Option<usize>,
    /// Seconds per scenario (overrides the --quick default)
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,
    /// Storage engines to measure; each network engine gets rows of its own
    /// (get_session cache off and on, unknown token, signin) compared with SQLite's
    #[arg(
        long,
        value_name = "ENGINE,...",
        value_delimiter = ',',
        default_value = "sqlite"
    )]
    storage: Vec<String>,
    /// tiauth instances per network engine, requests spread round robin
    #[arg(long, value_name = "N", default_value_t = 1)]
    instances: usize,
    /// PostgreSQL for `--storage postgres`
    #[arg(
        long,
        value_name = "URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// Redis for `--storage redis`
    #[arg(long, value_name = "URL", default_value = "redis://127.0.0.1:6379/0")]
    redis_url: String,
    /// Lines of the generated breached-password corpus (about 45 bytes each) for the
    /// pwned_file scenario [default: 10000000; 1000000 with --quick]
    #[arg(long, value_name = "N")]
    pwned_lines: Option<u64>,
}

/// The scenarios to run: the ones asked for and the ceilings they are compared to.
fn selected_scenarios(only: &[String]) -> anyhow::Result<BTreeSet<&'static str>> {
    if only.is_empty() {
        return Ok(SCENARIOS.iter().copied().collect());
    }
    let mut chosen = BTreeSet::new();
    for name in only {
        let name = name.trim();
        let known = SCENARIOS
            .iter()
            .find(|known| **known == name)
            .with_context(|| {
                format!("unknown scenario {name:?}; known: {}", SCENARIOS.join(", "))
            })?;
        chosen.insert(*known);
    }
    let against_alive = [
        report::SESSION_CACHE_OFF,
        report::SESSION_CACHE_ON,
        report::SESSION_UNKNOWN,
        "scale",
    ];
    if against_alive.iter().any(|name| chosen.contains(name)) {
        chosen.insert(report::ALIVE);
    }
    if chosen.contains(report::SIGNUP) || chosen.contains(report::SIGNIN) {
        chosen.insert(report::ARGON2_RAW);
    }
    Ok(chosen)
}

/// Everything the scenarios share.
struct Bench {
    client: reqwest::Client,
    binaries: Binaries,
    workdir: tempfile::TempDir,
    env_file: PathBuf,
    user_server: Running,
    concurrency: usize,
    /// `FAROE_HASHING_CONCURRENCY` when given; the server's default otherwise.
    explicit_hashing_concurrency: Option<usize>,
    hashing_concurrency: usize,
    duration: Duration,
    warm_up: Duration,
    ticks_per_second: u64,
    next_email: AtomicU64,
    next_database: AtomicU64,
}

impl Bench {
    fn api(&self, server: &Running) -> Api {
        Api {
            client: self.client.clone(),
            server_url: server.url.clone(),
            user_server_url: self.user_server.url.clone(),
        }
    }

    fn fresh_email(&self, purpose: &str) -> String {
        let n = self.next_email.fetch_add(1, Ordering::Relaxed);
        format!("{purpose}-{n}@example.com")
    }

    fn fresh_database(&self) -> PathBuf {
        let n = self.next_database.fetch_add(1, Ordering::Relaxed);
        self.workdir.path().join(format!("tiauth-{n}.sqlite"))
    }

    async fn start_server(&self, database: PathBuf, user_cache: &str) -> anyhow::Result<Running> {
        self.start_server_checking(database, user_cache, "off")
            .await
    }

    /// A server whose `FAROE_PWNED_PASSWORDS` is `pwned_passwords`.
    async fn start_server_checking(
        &self,
        database: PathBuf,
        user_cache: &str,
        pwned_passwords: &str,
    ) -> anyhow::Result<Running> {
        let settings = ServerSettings {
            database,
            env_file: self.env_file.clone(),
            user_server_port: self.user_server.port,
            session_user_cache: user_cache.to_owned(),
            hashing_concurrency: self.explicit_hashing_concurrency,
            storage: None,
            pwned_passwords: pwned_passwords.to_owned(),
        };
        processes::start_server(&self.binaries, &settings, &self.client).await
    }

    /// `count` servers sharing one network engine namespace.
    async fn start_instances(
        &self,
        count: usize,
        url: &str,
        namespace: &str,
        user_cache: &str,
    ) -> anyhow::Result<Vec<Running>> {
        let mut servers = Vec::with_capacity(count);
        for _ in 0..count {
            let settings = ServerSettings {
                database: self.fresh_database(),
                env_file: self.env_file.clone(),
                user_server_port: self.user_server.port,
                session_user_cache: user_cache.to_owned(),
                hashing_concurrency: self.explicit_hashing_concurrency,
                storage: Some((url.to_owned(), namespace.to_owned())),
                pwned_passwords: "off".to_owned(),
            };
            servers.push(processes::start_server(&self.binaries, &settings, &self.client).await?);
        }
        Ok(servers)
    }

    /// Runs `load` while measuring CPU and peak memory of `pid` (and the user
    /// server's CPU), and makes the scenario's row.
    async fn measure<Fut>(&self, name: &str, ceiling: Option<&str>, pid: u32, load: Fut) -> Row
    where
        Fut: Future<Output = LoadOutcome>,
    {
        let (row, ()) = self
            .measure_beside(name, ceiling, pid, async { (load.await, ()) })
            .await;
        row
    }

    /// As [`Bench::measure`], for a load that also yields something else.
    async fn measure_beside<Fut, T>(
        &self,
        name: &str,
        ceiling: Option<&str>,
        pid: u32,
        load: Fut,
    ) -> (Row, T)
    where
        Fut: Future<Output = (LoadOutcome, T)>,
    {
        eprintln!("bench: {name} for {:.0?}", self.duration);
        let under_test = Measurement::start(ProcessProbe::new(pid));
        let user_server = Measurement::start(ProcessProbe::new(self.user_server.pid));
        let generator = Measurement::start(ProcessProbe::new(std::process::id()));
        let started = Instant::now();
        let (outcome, beside) = load.await;
        let wall = started.elapsed();
        let (ticks, peak_kib) = under_test.finish();
        let (user_server_ticks, _) = user_server.finish();
        let (generator_ticks, _) = generator.finish();
        let mut row = Row::from_outcome(name, ceiling, &outcome);
        row.cpu_percent = ticks.map(|t| cpu_percent_of_one_core(t, self.ticks_per_second, wall));
        row.user_server_cpu_percent =
            user_server_ticks.map(|t| cpu_percent_of_one_core(t, self.ticks_per_second, wall));
        row.generator_cpu_percent =
            generator_ticks.map(|t| cpu_percent_of_one_core(t, self.ticks_per_second, wall));
        row.peak_memory_mib = peak_kib.map(|kib| kib as f64 / 1024.0);
        (row, beside)
    }

    /// A warm-up (connections opened, caches filled) and then the measured run of a
    /// closed-loop scenario against `server`.
    async fn closed_loop<F, Fut>(
        &self,
        name: &str,
        ceiling: Option<&str>,
        server: &Running,
        operation: F,
    ) -> Row
    where
        F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let operation = Arc::new(operation);
        run_closed_loop(self.concurrency, self.warm_up, Arc::clone(&operation)).await;
        self.measure(
            name,
            ceiling,
            server.pid,
            run_closed_loop(self.concurrency, self.duration, operation),
        )
        .await
    }

    /// Session tokens made through the public API: one user signs up, then signs in
    /// again three times (within the password rate limit of five a minute). Workers
    /// share them round robin; each costs one Argon2id hash to make.
    async fn prepare_sessions(&self, server: &Running) -> anyhow::Result<Vec<String>> {
        const SESSIONS: usize = 4;
        let api = self.api(server);
        let email = self.fresh_email("session-user");
        let mut tokens = vec![api.sign_up(&email, PASSWORD).await?];
        while tokens.len() < SESSIONS.min(self.concurrency) {
            tokens.push(api.sign_in(&email, PASSWORD).await?);
        }
        Ok(tokens)
    }
}

/// Checks an answer's status and the start (and, for `ending`, the end) of its body.
async fn check_answer(
    sent: reqwest::Result<reqwest::Response>,
    starting: &'static [u8],
    ending: &'static [u8],
) -> Result<(), String> {
    let response = sent.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    if status.is_success() && body.starts_with(starting) && body.ends_with(ending) {
        Ok(())
    } else {
        let shown = &body[..body.len().min(200)];
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(shown)))
    }
}

const ALIVE_ANSWER: &[u8] = b"{\"status\":\"alive\"}";
const OK_ANSWER: &[u8] = b"{\"ok\":true";
const NOT_OK_ANSWER: &[u8] = b"{\"ok\":false";
const INVALID_SESSION_TOKEN: &[u8] = b"\"error_code\":\"invalid_session_token\"}";

fn alive_operation(
    client: &reqwest::Client,
    server: &Running,
) -> impl Fn(usize, u64) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
       + Send
       + Sync
       + 'static {
    let client = client.clone();
    let url = format!("{}/alive", server.url);
    move |_, _| {
        let sent = client.get(&url).send();
        Box::pin(async move { check_answer(sent.await, ALIVE_ANSWER, b"").await })
    }
}

/// `get_session` with one pre-serialised body per worker, each answer checked.
fn get_session_operation(
    client: &reqwest::Client,
    server: &Running,
    bodies: Vec<Bytes>,
    valid: bool,
) -> impl Fn(usize, u64) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
       + Send
       + Sync
       + 'static {
    let client = client.clone();
    let url = format!("{}/", server.url);
    let (starting, ending) = if valid {
        (OK_ANSWER, &b""[..])
    } else {
        (NOT_OK_ANSWER, INVALID_SESSION_TOKEN)
    };
    move |worker, _| {
        let body = bodies[worker % bodies.len()].clone();
        let sent = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send();
        Box::pin(async move { check_answer(sent.await, starting, ending).await })
    }
}

#[derive(Debug, Serialize)]
struct Report {
    quick: bool,
    concurrency: usize,
    seconds_per_scenario: f64,
    cpus: usize,
    hashing_concurrency: usize,
    load_average_before: Option<String>,
    load_average_after: Option<String>,
    rows: Vec<Row>,
    targets: Vec<TargetCheck>,
}

async fn run(options: Options) -> anyhow::Result<()> {
    let chosen = selected_scenarios(&options.only)?;
    if options.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let seconds = options
        .seconds
        .unwrap_or(if options.quick { 3.0 } else { 10.0 });
    if !(seconds > 0.0 && seconds.is_finite()) {
        bail!("--seconds must be a positive number");
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The server's default hashing concurrency is the number of CPUs.
    let explicit_hashing_concurrency = options.hashing_concurrency;
    let hashing_concurrency = explicit_hashing_concurrency.unwrap_or(cpus);
    if hashing_concurrency == 0 {
        bail!("--hashing-concurrency must be at least 1");
    }

    let mut engines = Vec::new();
    for engine in &options.storage {
        match engine.trim() {
            "sqlite" => {}
            "postgres" => engines.push(("postgres", options.postgres_url.clone())),
            "redis" => engines.push(("redis", options.redis_url.clone())),
            other => bail!("unknown storage engine {other:?}; known: sqlite, postgres, redis"),
        }
    }
    if options.instances == 0 {
        bail!("--instances must be at least 1");
    }

    let binaries = tokio::task::spawn_blocking(processes::build_release_binaries).await??;
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .no_proxy()
        .pool_max_idle_per_host(usize::MAX)
        .build()?;
    let workdir = tempfile::tempdir()?;
    let env_file = workdir.path().join("empty.env");
    std::fs::write(&env_file, "")?;
    let user_server = processes::start_user_server(&binaries, &client).await?;
    let bench = Bench {
        client,
        binaries,
        workdir,
        env_file,
        user_server,
        concurrency: options.concurrency,
        explicit_hashing_concurrency,
        hashing_concurrency,
        duration: Duration::from_secs_f64(seconds),
        warm_up: Duration::from_secs_f64((seconds / 10.0).clamp(0.2, 1.0)),
        ticks_per_second: procstat::ticks_per_second(),
        next_email: AtomicU64::new(0),
        next_database: AtomicU64::new(0),
    };

    let load_before = procstat::load_average();
    let mut rows = Vec::new();
    run_default_server(&bench, &chosen, &mut rows).await?;
    if chosen.contains(report::SESSION_CACHE_ON) {
        rows.push(run_cache_on(&bench).await?);
    }
    for (engine, url) in &engines {
        run_engine(&bench, engine, url, options.instances, &mut rows).await?;
    }
    if chosen.contains("scale") {
        let sizes: &[u64] = if options.quick {
            &[1_000, 100_000]
        } else {
            &[1_000, 100_000, 1_000_000]
        };
        run_scale(&bench, sizes, &mut rows).await?;
    }
    if chosen.contains(metrics_ab::SCENARIO) {
        metrics_ab::run(&bench, &mut rows).await?;
    }
    if chosen.contains("pwned_file") {
        let default_lines = if options.quick { 1_000_000 } else { 10_000_000 };
        pwned::run(
            &bench,
            options.pwned_lines.unwrap_or(default_lines),
            &mut rows,
        )
        .await?;
    }

    let load_after = procstat::load_average();
    report::fill_ratios(&mut rows);
    let targets = report::evaluate_targets(&rows, hashing_concurrency);
    println!(
        "\nTiauth Faroe benchmark: {cpus} CPUs, concurrency {}, {seconds} s per scenario{}\n",
        options.concurrency,
        if options.quick { " (--quick)" } else { "" }
    );
    println!(
        "Load average (1 min) before the scenarios: {}, after: {} (other work on the machine skews the figures)\n",
        load_before.as_deref().unwrap_or("?"),
        load_after.as_deref().unwrap_or("?"),
    );
    print!("{}", report::render(&rows, &targets));
    if let Some(path) = &options.json {
        let report = Report {
            quick: options.quick,
            concurrency: options.concurrency,
            seconds_per_scenario: seconds,
            cpus,
            hashing_concurrency,
            load_average_before: load_before,
            load_average_after: load_after,
            rows,
            targets,
        };
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nJSON written to {}", path.display());
    }
    Ok(())
}

/// `get_session` (valid or unknown tokens) spread round robin over `servers`.
fn get_session_spread(
    client: &reqwest::Client,
    servers: &[Running],
    bodies: Vec<Bytes>,
    valid: bool,
) -> impl Fn(usize, u64) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
       + Send
       + Sync
       + 'static {
    let operations: Vec<_> = servers
        .iter()
        .map(|server| get_session_operation(client, server, bodies.clone(), valid))
        .collect();
    move |worker, iteration| {
        operations[(worker + iteration as usize) % operations.len()](worker, iteration)
    }
}

/// The rows of one network engine, each compared with SQLite's row of the same
/// scenario (signin with raw Argon2id): `<scenario>@<engine>`.
async fn run_engine(
    bench: &Bench,
    engine: &str,
    url: &str,
    instances: usize,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let namespace = format!("bench_{:08x}", rand::random::<u32>());
    let client = &bench.client;
    let name = |scenario: &str| format!("{scenario}@{engine}");
    let servers = bench
        .start_instances(instances, url, &namespace, "0")
        .await?;
    let pid = servers[0].pid;

    let tokens = bench.prepare_sessions(&servers[0]).await?;
    let bodies: Vec<Bytes> = tokens.iter().map(|token| get_session_body(token)).collect();
    let operation = Arc::new(get_session_spread(client, &servers, bodies, true));
    run_closed_loop(bench.concurrency, bench.warm_up, Arc::clone(&operation)).await;
    let row = bench
        .measure(
            &name(report::SESSION_CACHE_OFF),
            Some(report::SESSION_CACHE_OFF),
            pid,
            run_closed_loop(bench.concurrency, bench.duration, operation),
        )
        .await;
    rows.push(row);

    let bodies = (0..bench.concurrency)
        .map(|_| get_session_body(&format_token(&generate_id(), &generate_secret())))
        .collect();
    let operation = Arc::new(get_session_spread(client, &servers, bodies, false));
    run_closed_loop(bench.concurrency, bench.warm_up, Arc::clone(&operation)).await;
    let row = bench
        .measure(
            &name(report::SESSION_UNKNOWN),
            Some(report::SESSION_UNKNOWN),
            pid,
            run_closed_loop(bench.concurrency, bench.duration, operation),
        )
        .await;
    rows.push(row);

    let mut signin = run_signin(bench, &servers[0]).await?;
    signin.truncate(1);
    for row in &mut signin {
        row.name = name(report::SIGNIN);
    }
    rows.extend(signin);
    let _ = client
        .post(format!("{}/reset", servers[0].url))
        .send()
        .await;
    for server in servers {
        server.stop().await;
    }

    let servers = bench
        .start_instances(instances, url, &namespace, "60s")
        .await?;
    let tokens = bench.prepare_sessions(&servers[0]).await?;
    let bodies: Vec<Bytes> = tokens.iter().map(|token| get_session_body(token)).collect();
    let operation = Arc::new(get_session_spread(client, &servers, bodies, true));
    run_closed_loop(bench.concurrency, bench.warm_up, Arc::clone(&operation)).await;
    let row = bench
        .measure(
            &name(report::SESSION_CACHE_ON),
            Some(report::SESSION_CACHE_ON),
            servers[0].pid,
            run_closed_loop(bench.concurrency, bench.duration, operation),
        )
        .await;
    rows.push(row);
    let _ = client
        .post(format!("{}/reset", servers[0].url))
        .send()
        .await;
    for server in servers {
        server.stop().await;
    }
    Ok(())
}

/// The scenarios on a server with the default settings (user cache off).
async fn run_default_server(
    bench: &Bench,
    chosen: &BTreeSet<&str>,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let on_this_server = [
        report::ALIVE,
        report::SESSION_CACHE_OFF,
        report::SESSION_UNKNOWN,
        report::SIGNUP,
        report::SIGNIN,
    ];
    if !on_this_server.iter().any(|name| chosen.contains(name)) {
        if chosen.contains(report::ARGON2_RAW) {
            rows.push(run_argon2_raw(bench).await?);
        }
        return Ok(());
    }
    let server = bench.start_server(bench.fresh_database(), "0").await?;
    let client = &bench.client;

    if chosen.contains(report::ALIVE) {
        let row = bench
            .closed_loop(
                report::ALIVE,
                None,
                &server,
                alive_operation(client, &server),
            )
            .await;
        rows.push(row);
    }
    if chosen.contains(report::SESSION_CACHE_OFF) {
        let tokens = bench.prepare_sessions(&server).await?;
        let bodies = tokens.iter().map(|token| get_session_body(token)).collect();
        let operation = get_session_operation(client, &server, bodies, true);
        let row = bench
            .closed_loop(
                report::SESSION_CACHE_OFF,
                Some(report::ALIVE),
                &server,
                operation,
            )
            .await;
        rows.push(row);
    }
    if chosen.contains(report::SESSION_UNKNOWN) {
        let bodies = (0..bench.concurrency)
            .map(|_| get_session_body(&format_token(&generate_id(), &generate_secret())))
            .collect();
        let operation = get_session_operation(client, &server, bodies, false);
        let row = bench
            .closed_loop(
                report::SESSION_UNKNOWN,
                Some(report::ALIVE),
                &server,
                operation,
            )
            .await;
        rows.push(row);
    }
    if chosen.contains(report::ARGON2_RAW) {
        rows.push(run_argon2_raw(bench).await?);
    }
    if chosen.contains(report::SIGNUP) {
        let api = Arc::new(bench.api(&server));
        let operation = move |worker: usize, iteration: u64| {
            let api = Arc::clone(&api);
            async move {
                let email = format!("signup-{worker}-{iteration}@example.com");
                api.sign_up(&email, PASSWORD)
                    .await
                    .map(drop)
                    .map_err(|e| format!("{e:#}"))
            }
        };
        let row = bench
            .measure(
                report::SIGNUP,
                Some(report::ARGON2_RAW),
                server.pid,
                run_closed_loop(bench.concurrency, bench.duration, Arc::new(operation)),
            )
            .await;
        rows.push(row);
    }
    if chosen.contains(report::SIGNIN) {
        rows.extend(run_signin(bench, &server).await?);
    }
    server.stop().await;
    Ok(())
}

/// Argon2id in this process with the server's parameters and concurrency limit, at
/// the same client concurrency: the ceiling of the password flows.
async fn run_argon2_raw(bench: &Bench) -> anyhow::Result<Row> {
    let hasher = Arc::new(PasswordHasher::with_default_params(
        bench.hashing_concurrency,
    ));
    let operation = move |_, _| {
        let hasher = Arc::clone(&hasher);
        async move {
            hasher
                .hash_user_password(PASSWORD)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    };
    Ok(bench
        .measure(
            report::ARGON2_RAW,
            None,
            std::process::id(),
            run_closed_loop(bench.concurrency, bench.duration, Arc::new(operation)),
        )
        .await)
}

/// The signin storm over a few hundred users, with a light `alive` probe beside it.
async fn run_signin(bench: &Bench, server: &Running) -> anyhow::Result<Vec<Row>> {
    // Every user gets the same password hash, made once here with the server's own
    // hasher; verifying it costs the server exactly what a signup-made hash would.
    let hash = PasswordHasher::with_default_params(1)
        .hash_user_password(PASSWORD)
        .await?;
    let api = bench.api(server);
    let mut emails = Vec::with_capacity(SIGNIN_USERS);
    for _ in 0..SIGNIN_USERS {
        let email = bench.fresh_email("signin-user");
        api.create_user(&email, &hash).await?;
        emails.push(email);
    }
    let emails = Arc::new(emails);
    let next_user = Arc::new(AtomicU64::new(0));
    let api = Arc::new(api);
    let operation = move |_, _| {
        let api = Arc::clone(&api);
        let emails = Arc::clone(&emails);
        let n = next_user.fetch_add(1, Ordering::Relaxed);
        async move {
            // Round robin keeps every user well inside the password rate limit.
            let email = &emails[(n % emails.len() as u64) as usize];
            api.sign_in(email, PASSWORD)
                .await
                .map(drop)
                .map_err(|e| format!("{e:#}"))
        }
    };
    let probe = alive_operation(&bench.client, server);
    let storm = run_closed_loop(bench.concurrency, bench.duration, Arc::new(operation));
    let probing = run_paced(PROBE_EVERY, bench.duration, || probe(0, 0));
    let (signin, probe_outcome) = bench
        .measure_beside(
            report::SIGNIN,
            Some(report::ARGON2_RAW),
            server.pid,
            async { tokio::join!(storm, probing) },
        )
        .await;
    Ok(vec![
        signin,
        Row::from_outcome(
            report::ALIVE_DURING_SIGNIN,
            Some(report::ALIVE),
            &probe_outcome,
        ),
    ])
}

/// `get_session` with valid tokens on a server whose user cache is on (60 s).
async fn run_cache_on(bench: &Bench) -> anyhow::Result<Row> {
    let server = bench.start_server(bench.fresh_database(), "60s").await?;
    let tokens = bench.prepare_sessions(&server).await?;
    let bodies = tokens.iter().map(|token| get_session_body(token)).collect();
    let operation = get_session_operation(&bench.client, &server, bodies, true);
    let row = bench
        .closed_loop(
            report::SESSION_CACHE_ON,
            Some(report::ALIVE),
            &server,
            operation,
        )
        .await;
    server.stop().await;
    Ok(row)
}

/// `get_session` over uniformly random tokens among `size` sessions bulk-loaded into
/// the database before the server starts (user cache off).
async fn run_scale(bench: &Bench, sizes: &[u64], rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let api = Api {
        client: bench.client.clone(),
        server_url: String::new(),
        user_server_url: bench.user_server.url.clone(),
    };
    let hash = PasswordHasher::with_default_params(1)
        .hash_user_password(PASSWORD)
        .await?;
    let user_id = api
        .create_user(&bench.fresh_email("scale-user"), &hash)
        .await?;
    for &size in sizes {
        let database = bench.fresh_database();
        let seed = rand::random::<u64>();
        let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
        let loading = Instant::now();
        {
            let (database, user_id) = (database.clone(), user_id.clone());
            tokio::task::spawn_blocking(move || {
                bulk::load_sessions(&database, &user_id, size, seed, now)
            })
            .await??;
        }
        eprintln!("bench: {size} sessions loaded in {:.1?}", loading.elapsed());
        let server = bench.start_server(database.clone(), "0").await?;
        let client = bench.client.clone();
        let url = format!("{}/", server.url);
        let operation = move |worker: usize, iteration: u64| {
            let pick = bulk::mix(seed ^ ((worker as u64) << 40) ^ iteration) % size;
            let token = bulk::session_token(seed, pick);
            let body = format!(
                "{{\"action\":\"get_session\",\"arguments\":{{\"session_token\":\"{token}\"}}}}"
            );
            let sent = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send();
            async move { check_answer(sent.await, OK_ANSWER, b"").await }
        };
        let mut row = bench
            .closed_loop(
                &report::scale_row_name(size),
                Some(report::ALIVE),
                &server,
                operation,
            )
            .await;
        row.stored_sessions = Some(size);
        rows.push(row);
        server.stop().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut path = database.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    // Leaving this function drops every child handle, and each child is killed on
    // drop: also when Ctrl-C interrupts the run.
    let outcome = tokio::select! {
        outcome = run(options) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
