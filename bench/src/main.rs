//! `bench`: starts the Tiauth Faroe server and the mock user server on loopback
//! ports, drives each scenario at a fixed concurrency for a fixed time, and prints
//! throughput, latency, CPU and memory per scenario, each as a ratio to its ceiling,
//! with the first targets that hold. See `bench/README.md`.

mod api;
mod bulk;
mod compare;
mod instructions;
mod load;
mod metrics_ab;
mod processes;
mod procstat;
mod pwned;
mod raw_http;
mod report;
mod wrk;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use clap::Parser;
use serde::Serialize;
use tiauth_faroe::faroe::credentials::{format_token, generate_id, generate_secret};
use tiauth_faroe::faroe::passwords::PasswordHasher;

use crate::api::{get_session_body, Api, PASSWORD};
use crate::load::{run_closed_loop, run_paced, LoadOutcome};
use crate::processes::{Binaries, Running, ServerSettings};
use crate::procstat::{cpu_percent_of_one_core, Measurement, ProcessProbe};
use crate::raw_http::{request_bytes, Connections, Expect};
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
    /// What makes the load of the one-request scenarios (alive, get_session): wrk when
    /// it is installed, else the built-in generator
    #[arg(long, value_enum, default_value_t = GeneratorChoice::Auto)]
    generator: GeneratorChoice,
    /// The scheduling policy wrk runs under: batch (SCHED_BATCH, through chrt) keeps
    /// its wake-ups from preempting the server in the middle of a request, as clients
    /// on other machines could not; normal lets them, as any process on the same
    /// cores may
    #[arg(long, value_enum, default_value_t = wrk::Policy::Batch)]
    wrk_policy: wrk::Policy,
    /// Compare with this server binary (A) in one run: every scenario of the
    /// comparison (alive, get_session unknown, cache off and on, signin) runs against
    /// A and this build's server (B) in turn, A, B, A, B, each with fresh storage and
    /// a fresh user server, and the table gives B/A per row
    #[arg(long, value_name = "PATH")]
    baseline_bin: Option<PathBuf>,
    /// The user server binary A runs with [default: this build's mock-backend]
    #[arg(long, value_name = "PATH", requires = "baseline_bin")]
    baseline_backend_bin: Option<PathBuf>,
    /// With --baseline-bin: rounds of A, B; the table gives the median of each ratio
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: usize,
    /// Count CPU instructions per request instead (perf stat where the machine has
    /// the counter, else callgrind): alive, get_session unknown, cache off and on,
    /// for the server and the user server; with --baseline-bin for both servers
    #[arg(long)]
    instructions: bool,
    /// With --instructions under callgrind: keep the dumps here, one directory per
    /// side and scenario, for callgrind_annotate
    #[arg(long, value_name = "DIR", requires = "instructions")]
    keep_profiles: Option<PathBuf>,
}

/// `--generator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GeneratorChoice {
    Auto,
    Wrk,
    BuiltIn,
}

/// What makes the load of the one-request scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generator {
    Wrk,
    BuiltIn,
}

impl Generator {
    fn choose(choice: GeneratorChoice) -> anyhow::Result<Generator> {
        Ok(match choice {
            GeneratorChoice::BuiltIn => Generator::BuiltIn,
            GeneratorChoice::Wrk if wrk::available() => Generator::Wrk,
            GeneratorChoice::Wrk => bail!("--generator wrk: wrk is not installed"),
            GeneratorChoice::Auto if wrk::available() => Generator::Wrk,
            GeneratorChoice::Auto => {
                eprintln!("bench: wrk is not installed; the built-in generator makes the load");
                Generator::BuiltIn
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Generator::Wrk => report::GENERATOR_WRK,
            Generator::BuiltIn => report::GENERATOR_BUILT_IN,
        }
    }
}

/// `--wrk-policy`, or the normal policy where `chrt` is missing.
fn wrk_policy(asked: wrk::Policy) -> wrk::Policy {
    if asked == wrk::Policy::Batch && !wrk::chrt_available() {
        eprintln!("bench: chrt is not installed; wrk runs under the normal policy");
        return wrk::Policy::Normal;
    }
    asked
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

/// How every scenario of a run is driven.
#[derive(Clone)]
struct Settings {
    client: reqwest::Client,
    concurrency: usize,
    /// `FAROE_HASHING_CONCURRENCY` when given; the server's default otherwise.
    explicit_hashing_concurrency: Option<usize>,
    hashing_concurrency: usize,
    duration: Duration,
    warm_up: Duration,
    generator: Generator,
    wrk_policy: wrk::Policy,
}

/// Everything the scenarios share.
struct Bench {
    settings: Settings,
    binaries: Binaries,
    workdir: tempfile::TempDir,
    env_file: PathBuf,
    user_server: Running,
    ticks_per_second: u64,
    next_email: AtomicU64,
    next_database: AtomicU64,
}

impl Bench {
    /// A bench with its own working directory and a fresh user server, started
    /// under `user_server_launcher` when that is not empty.
    async fn start(
        settings: &Settings,
        binaries: Binaries,
        user_server_launcher: Vec<String>,
    ) -> anyhow::Result<Bench> {
        let workdir = tempfile::tempdir()?;
        let env_file = workdir.path().join("empty.env");
        std::fs::write(&env_file, "")?;
        let user_server_binaries = Binaries {
            launcher: user_server_launcher,
            ..binaries.clone()
        };
        let user_server =
            processes::start_user_server(&user_server_binaries, &settings.client).await?;
        Ok(Bench {
            settings: settings.clone(),
            binaries,
            workdir,
            env_file,
            user_server,
            ticks_per_second: procstat::ticks_per_second(),
            next_email: AtomicU64::new(0),
            next_database: AtomicU64::new(0),
        })
    }

    fn api(&self, server: &Running) -> Api {
        Api {
            client: self.settings.client.clone(),
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

    /// A server started under `launcher` (an instruction counter).
    async fn start_server_under(
        &self,
        launcher: Vec<String>,
        database: PathBuf,
        user_cache: &str,
    ) -> anyhow::Result<Running> {
        let binaries = Binaries {
            launcher,
            ..self.binaries.clone()
        };
        let settings = self.server_settings(database, user_cache, "off");
        processes::start_server(&binaries, &settings, &self.settings.client).await
    }

    fn server_settings(
        &self,
        database: PathBuf,
        user_cache: &str,
        pwned_passwords: &str,
    ) -> ServerSettings {
        ServerSettings {
            database,
            env_file: self.env_file.clone(),
            user_server_port: self.user_server.port,
            session_user_cache: user_cache.to_owned(),
            hashing_concurrency: self.settings.explicit_hashing_concurrency,
            storage: None,
            pwned_passwords: pwned_passwords.to_owned(),
        }
    }

    /// A server whose `FAROE_PWNED_PASSWORDS` is `pwned_passwords`.
    async fn start_server_checking(
        &self,
        database: PathBuf,
        user_cache: &str,
        pwned_passwords: &str,
    ) -> anyhow::Result<Running> {
        let settings = self.server_settings(database, user_cache, pwned_passwords);
        processes::start_server(&self.binaries, &settings, &self.settings.client).await
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
                hashing_concurrency: self.settings.explicit_hashing_concurrency,
                storage: Some((url.to_owned(), namespace.to_owned())),
                pwned_passwords: "off".to_owned(),
            };
            servers.push(
                processes::start_server(&self.binaries, &settings, &self.settings.client).await?,
            );
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
        self.measure_row(name, pid, async {
            let (outcome, beside) = load.await;
            (Row::from_outcome(name, ceiling, &outcome), beside)
        })
        .await
    }

    /// Runs `load`, which makes its row, while measuring CPU and peak memory of `pid`,
    /// the user server's CPU and this process's (the built-in generator's).
    async fn measure_row<Fut, T>(&self, name: &str, pid: u32, load: Fut) -> (Row, T)
    where
        Fut: Future<Output = (Row, T)>,
    {
        eprintln!("bench: {name} for {:.0?}", self.settings.duration);
        let under_test = Measurement::start(ProcessProbe::new(pid));
        let user_server = Measurement::start(ProcessProbe::new(self.user_server.pid));
        let generator = Measurement::start(ProcessProbe::new(std::process::id()));
        let started = Instant::now();
        let (mut row, beside) = load.await;
        let wall = started.elapsed();
        let (ticks, peak_kib) = under_test.finish();
        let (user_server_ticks, _) = user_server.finish();
        let (generator_ticks, _) = generator.finish();
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
        run_closed_loop(
            self.settings.concurrency,
            self.settings.warm_up,
            Arc::clone(&operation),
        )
        .await;
        self.measure(
            name,
            ceiling,
            server.pid,
            run_closed_loop(self.settings.concurrency, self.settings.duration, operation),
        )
        .await
    }

    /// Session tokens made through the public API: one user signs up, then signs in
    /// again three times (within the password rate limit of five a minute). Workers
    /// share them round robin; each costs one Argon2id hash to make.
    async fn prepare_sessions(&self, server: &Running) -> anyhow::Result<Vec<String>> {
        const SESSIONS: usize = 4;
        self.prepare_some_sessions(server, SESSIONS.min(self.settings.concurrency))
            .await
    }

    /// `get_session` with the sessions [`Bench::prepare_sessions`] makes on `server`.
    async fn valid_sessions(&self, server: &Running) -> anyhow::Result<HttpLoad> {
        let tokens = self.prepare_sessions(server).await?;
        let bodies = tokens.iter().map(|token| get_session_body(token)).collect();
        Ok(HttpLoad::get_session(bodies, true))
    }

    /// `count` (at least one) session tokens of one new user.
    async fn prepare_some_sessions(
        &self,
        server: &Running,
        count: usize,
    ) -> anyhow::Result<Vec<String>> {
        let api = self.api(server);
        let email = self.fresh_email("session-user");
        let mut tokens = vec![api.sign_up(&email, PASSWORD).await?];
        while tokens.len() < count {
            tokens.push(api.sign_in(&email, PASSWORD).await?);
        }
        Ok(tokens)
    }

    /// A one-request scenario against `server`, its load made by the run's generator.
    async fn http_scenario(
        &self,
        name: &str,
        ceiling: Option<&str>,
        server: &Running,
        load: &HttpLoad,
    ) -> anyhow::Result<Row> {
        match self.settings.generator {
            Generator::BuiltIn => Ok(self
                .closed_loop(
                    name,
                    ceiling,
                    server,
                    load.operation(server, self.settings.concurrency),
                )
                .await),
            Generator::Wrk => self.wrk_scenario(name, ceiling, server, load).await,
        }
    }

    /// wrk posts the first of the load's bodies on every connection; one request
    /// before and one after the run check what the answers say.
    async fn wrk_scenario(
        &self,
        name: &str,
        ceiling: Option<&str>,
        server: &Running,
        load: &HttpLoad,
    ) -> anyhow::Result<Row> {
        let check = load.operation(server, 1);
        check(0, 0)
            .await
            .map_err(|error| anyhow!("{name}: the answer before the run: {error}"))?;
        let body = load
            .bodies
            .first()
            .map(|body| String::from_utf8_lossy(body).into_owned());
        let script = self.workdir.path().join(format!("{name}.lua"));
        std::fs::write(&script, wrk::script(body.as_deref()))?;
        let url = format!("{}{}", server.url, load.path);
        // The warm-up: connections opened, caches filled.
        let (connections, policy) = (self.settings.concurrency, self.settings.wrk_policy);
        wrk::run(&url, &script, connections, 1, policy).await?;
        let seconds = self.settings.duration.as_secs_f64().ceil() as u64;
        let (mut row, outcome) = self
            .measure_row(name, server.pid, async {
                match wrk::run(&url, &script, connections, seconds, policy).await {
                    Ok(summary) => (Row::from_wrk(name, ceiling, &summary), Ok(())),
                    Err(error) => (
                        Row::from_outcome(name, ceiling, &LoadOutcome::empty()),
                        Err(error),
                    ),
                }
            })
            .await;
        outcome?;
        // This process only waited for wrk; wrk's own CPU is not measured.
        row.generator_cpu_percent = None;
        check(0, 1)
            .await
            .map_err(|error| anyhow!("{name}: the answer after the run: {error}"))?;
        Ok(row)
    }
}

/// A boxed operation of a closed-loop scenario.
type Operation = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One request every worker repeats, and what its answer must look like.
#[derive(Debug, Clone)]
struct HttpLoad {
    path: &'static str,
    /// The bodies workers post round robin; none: the request is a GET.
    bodies: Vec<Bytes>,
    expect: Expect,
}

impl HttpLoad {
    fn alive() -> Self {
        HttpLoad {
            path: "/alive",
            bodies: Vec::new(),
            expect: Expect {
                starting: ALIVE_ANSWER,
                ending: b"",
            },
        }
    }

    /// `get_session` with these pre-serialised bodies.
    fn get_session(bodies: Vec<Bytes>, valid: bool) -> Self {
        let expect = if valid {
            Expect {
                starting: OK_ANSWER,
                ending: b"",
            }
        } else {
            Expect {
                starting: NOT_OK_ANSWER,
                ending: INVALID_SESSION_TOKEN,
            }
        };
        HttpLoad {
            path: "/",
            bodies,
            expect,
        }
    }

    /// `get_session` with `count` well-formed tokens nobody issued.
    fn unknown_sessions(count: usize) -> Self {
        let bodies = (0..count.max(1))
            .map(|_| get_session_body(&format_token(&generate_id(), &generate_secret())))
            .collect();
        HttpLoad::get_session(bodies, false)
    }

    /// The built-in generator's operation on `server` for up to `workers` workers:
    /// worker `w` keeps one connection and sends body `w` (round robin).
    fn operation(
        &self,
        server: &Running,
        workers: usize,
    ) -> impl Fn(usize, u64) -> Operation + Send + Sync + 'static {
        let address = SocketAddr::from((processes::SERVER_IP, server.port));
        let requests: Arc<Vec<Vec<u8>>> = Arc::new(if self.bodies.is_empty() {
            vec![request_bytes(address, self.path, None)]
        } else {
            self.bodies
                .iter()
                .map(|body| request_bytes(address, self.path, Some(body)))
                .collect()
        });
        let connections = Connections::new(address, workers);
        let expect = self.expect;
        move |worker, _| {
            let requests = Arc::clone(&requests);
            let connections = connections.clone();
            Box::pin(async move {
                let request = &requests[worker % requests.len()];
                connections.exchange(worker, request, expect).await
            })
        }
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

    if options.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let baseline = match &options.baseline_bin {
        Some(server) => Some(compare::baseline_binaries(
            server,
            options.baseline_backend_bin.as_deref(),
        )?),
        None => None,
    };

    let binaries = tokio::task::spawn_blocking(processes::build_release_binaries).await??;
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .no_proxy()
        .pool_max_idle_per_host(usize::MAX)
        .build()?;
    let settings = Settings {
        client,
        concurrency: options.concurrency,
        explicit_hashing_concurrency,
        hashing_concurrency,
        duration: Duration::from_secs_f64(seconds),
        warm_up: Duration::from_secs_f64((seconds / 10.0).clamp(0.2, 1.0)),
        generator: Generator::choose(options.generator)?,
        wrk_policy: wrk_policy(options.wrk_policy),
    };
    let header = format!(
        "Tiauth Faroe benchmark: {cpus} CPUs, concurrency {}, {seconds} s per scenario{}, load from {}, {}",
        options.concurrency,
        if options.quick { " (--quick)" } else { "" },
        match settings.generator {
            Generator::Wrk => settings.wrk_policy.describe(),
            Generator::BuiltIn => settings.generator.name(),
        },
        time::OffsetDateTime::now_utc().date(),
    );

    if options.instructions {
        let requests = if options.quick { 300 } else { 1_000 };
        let table = instructions::run(
            &settings,
            &binaries,
            baseline.as_ref(),
            requests,
            options.keep_profiles.as_deref(),
        )
        .await?;
        println!("\n{table}");
        return Ok(());
    }
    if let Some(baseline) = baseline {
        let comparison = compare::run(&settings, &baseline, &binaries, options.repeat).await?;
        println!("\n{header}\n");
        println!(
            "A: {}\nB: {}\n",
            baseline.server.display(),
            binaries.server.display()
        );
        print!("{}", compare::render(&comparison, options.repeat));
        return Ok(());
    }

    let bench = Bench::start(&settings, binaries, Vec::new()).await?;
    let load_before = procstat::load_average();
    let mut rows = Vec::new();
    run_default_server(&bench, &chosen, &mut rows).await?;
    if chosen.contains(report::SESSION_CACHE_ON) {
        rows.extend(measure_scenario(&bench, report::SESSION_CACHE_ON).await?);
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
    println!("\n{header}\n");
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
    servers: &[Running],
    load: &HttpLoad,
    workers: usize,
) -> impl Fn(usize, u64) -> Operation + Send + Sync + 'static {
    let operations: Vec<_> = servers
        .iter()
        .map(|server| load.operation(server, workers))
        .collect();
    move |worker, iteration| {
        operations[(worker + iteration as usize) % operations.len()](worker, iteration)
    }
}

/// The row `<scenario>@<engine>` on `servers`, compared with SQLite's `scenario` row:
/// by the run's generator on one server, by the built-in one round robin over several.
async fn spread_scenario(
    bench: &Bench,
    engine: &str,
    scenario: &str,
    servers: &[Running],
    load: &HttpLoad,
) -> anyhow::Result<Row> {
    let name = format!("{scenario}@{engine}");
    if let [server] = servers {
        return bench
            .http_scenario(&name, Some(scenario), server, load)
            .await;
    }
    let operation = get_session_spread(servers, load, bench.settings.concurrency);
    Ok(bench
        .closed_loop(&name, Some(scenario), &servers[0], operation)
        .await)
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
    let client = &bench.settings.client;
    let name = |scenario: &str| format!("{scenario}@{engine}");
    let servers = bench
        .start_instances(instances, url, &namespace, "0")
        .await?;

    let load = bench.valid_sessions(&servers[0]).await?;
    rows.push(spread_scenario(bench, engine, report::SESSION_CACHE_OFF, &servers, &load).await?);
    let load = HttpLoad::unknown_sessions(bench.settings.concurrency);
    rows.push(spread_scenario(bench, engine, report::SESSION_UNKNOWN, &servers, &load).await?);

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
    let load = bench.valid_sessions(&servers[0]).await?;
    rows.push(spread_scenario(bench, engine, report::SESSION_CACHE_ON, &servers, &load).await?);
    let _ = client
        .post(format!("{}/reset", servers[0].url))
        .send()
        .await;
    for server in servers {
        server.stop().await;
    }
    Ok(())
}

/// The scenarios on servers with the default settings (user cache off), each on a
/// fresh server, in the order the table lists them.
async fn run_default_server(
    bench: &Bench,
    chosen: &BTreeSet<&str>,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    for scenario in [
        report::ALIVE,
        report::SESSION_CACHE_OFF,
        report::SESSION_UNKNOWN,
    ] {
        if chosen.contains(scenario) {
            rows.extend(measure_scenario(bench, scenario).await?);
        }
    }
    if chosen.contains(report::ARGON2_RAW) {
        rows.push(run_argon2_raw(bench).await?);
    }
    if chosen.contains(report::SIGNUP) {
        let server = bench.start_server(bench.fresh_database(), "0").await?;
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
                run_closed_loop(
                    bench.settings.concurrency,
                    bench.settings.duration,
                    Arc::new(operation),
                ),
            )
            .await;
        rows.push(row);
        server.stop().await;
    }
    if chosen.contains(report::SIGNIN) {
        rows.extend(measure_scenario(bench, report::SIGNIN).await?);
    }
    Ok(())
}

/// One scenario on a fresh server of its own: its row, and for `alive` under wrk the
/// built-in generator's row beside it, for `signin` the `alive` probe's.
async fn measure_scenario(bench: &Bench, scenario: &str) -> anyhow::Result<Vec<Row>> {
    let user_cache = if scenario == report::SESSION_CACHE_ON {
        "60s"
    } else {
        "0"
    };
    let server = bench
        .start_server(bench.fresh_database(), user_cache)
        .await?;
    let mut rows = Vec::new();
    match scenario {
        report::ALIVE => {
            let load = HttpLoad::alive();
            rows.push(
                bench
                    .http_scenario(report::ALIVE, None, &server, &load)
                    .await?,
            );
            if bench.settings.generator == Generator::Wrk {
                let operation = load.operation(&server, bench.settings.concurrency);
                let row = bench
                    .closed_loop(
                        report::ALIVE_BUILT_IN,
                        Some(report::ALIVE),
                        &server,
                        operation,
                    )
                    .await;
                rows.push(row);
            }
        }
        report::SESSION_UNKNOWN | report::SESSION_CACHE_OFF | report::SESSION_CACHE_ON => {
            let load = if scenario == report::SESSION_UNKNOWN {
                HttpLoad::unknown_sessions(bench.settings.concurrency)
            } else {
                bench.valid_sessions(&server).await?
            };
            // The ceiling is measured just before and just after the scenario, on its
            // server: the machine's other work drifts over a run, and a ceiling taken
            // minutes earlier would move the ratio by more than the server does.
            let around = report::alive_around(scenario);
            let alive = HttpLoad::alive();
            let before = bench.http_scenario(&around, None, &server, &alive).await?;
            let row = bench
                .http_scenario(scenario, Some(&around), &server, &load)
                .await?;
            let after = bench.http_scenario(&around, None, &server, &alive).await?;
            rows.push(Row::mean_of(&before, &after));
            rows.push(row);
        }
        report::SIGNIN => rows.extend(run_signin(bench, &server).await?),
        other => bail!("{other} is not a scenario of its own server"),
    }
    server.stop().await;
    Ok(rows)
}

/// Argon2id in this process with the server's parameters and concurrency limit, at
/// the same client concurrency: the ceiling of the password flows.
async fn run_argon2_raw(bench: &Bench) -> anyhow::Result<Row> {
    let hasher = Arc::new(PasswordHasher::with_default_params(
        bench.settings.hashing_concurrency,
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
            run_closed_loop(
                bench.settings.concurrency,
                bench.settings.duration,
                Arc::new(operation),
            ),
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
    let probe = HttpLoad::alive().operation(server, 1);
    let storm = run_closed_loop(
        bench.settings.concurrency,
        bench.settings.duration,
        Arc::new(operation),
    );
    let probing = run_paced(PROBE_EVERY, bench.settings.duration, || probe(0, 0));
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

/// `get_session` over uniformly random tokens among `size` sessions bulk-loaded into
/// the database before the server starts (user cache off).
async fn run_scale(bench: &Bench, sizes: &[u64], rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let api = Api {
        client: bench.settings.client.clone(),
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
        let client = bench.settings.client.clone();
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
