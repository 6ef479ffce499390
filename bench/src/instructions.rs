//! CPU instructions per request: a figure that does not drift with the machine's load.
//!
//! Each scenario gets a fresh server and user server, both run under an instruction
//! counter: `perf stat` where the machine exposes the counter, otherwise valgrind's
//! callgrind (slower, and it counts the same user-space instructions). After a warm-up
//! the counters are started, a fixed number of requests is sent one after another, and
//! the counts are read; their quotient is the figure.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{anyhow, bail, Context};
use tokio::process::Command;

use crate::api::get_session_body;
use crate::processes::Binaries;
use crate::report;
use crate::{Bench, HttpLoad, Settings};

/// The scenarios counted, in table order.
pub const SCENARIOS: [&str; 4] = [
    report::ALIVE,
    report::SESSION_UNKNOWN,
    report::SESSION_CACHE_OFF,
    report::SESSION_CACHE_ON,
];

/// Requests before the counting starts: connections, caches and lazy statics warm.
const WARM_UP_REQUESTS: u64 = 50;

/// One scenario's instructions per request.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub scenario: &'static str,
    pub server: f64,
    pub user_server: f64,
}

/// Counts every scenario on `current` (and on `baseline` when given) and renders the table.
pub async fn run(
    settings: &Settings,
    current: &Binaries,
    baseline: Option<&Binaries>,
    requests: u64,
    keep: Option<&Path>,
) -> anyhow::Result<String> {
    let counter = Counter::detect()
        .context("neither perf stat with an instruction counter nor valgrind is available")?;
    let mut text = format!(
        "Instructions per request ({}, {requests} requests one after another, user space)\n\n",
        counter.name()
    );
    let current_counts = count_all(settings, current, counter, requests, keep, "b").await?;
    match baseline {
        None => {
            text.push_str(&render_table(
                &["scenario", "server", "user server"],
                current_counts.iter().map(|counted| {
                    vec![
                        counted.scenario.to_owned(),
                        thousands(counted.server),
                        thousands(counted.user_server),
                    ]
                }),
            ));
        }
        Some(baseline) => {
            let baseline_counts =
                count_all(settings, baseline, counter, requests, keep, "a").await?;
            text.push_str(&format!(
                "A: {}\nB: {}\n\n",
                baseline.server.display(),
                current.server.display()
            ));
            text.push_str(&render_table(
                &[
                    "scenario",
                    "server A",
                    "server B",
                    "B/A",
                    "user server A",
                    "user server B",
                    "B/A",
                ],
                baseline_counts.iter().zip(&current_counts).map(|(a, b)| {
                    vec![
                        a.scenario.to_owned(),
                        thousands(a.server),
                        thousands(b.server),
                        format!("{:.2}", b.server / a.server),
                        thousands(a.user_server),
                        thousands(b.user_server),
                        format!("{:.2}", b.user_server / a.user_server),
                    ]
                }),
            ));
        }
    }
    Ok(text)
}

/// Counts every scenario; with `keep`, callgrind's dumps stay in `keep/<side>-<scenario>`.
async fn count_all(
    settings: &Settings,
    binaries: &Binaries,
    counter: Counter,
    requests: u64,
    keep: Option<&Path>,
    side: &str,
) -> anyhow::Result<Vec<Counted>> {
    let mut counts = Vec::new();
    for scenario in SCENARIOS {
        eprintln!(
            "bench: counting the instructions of {scenario} on {}",
            binaries.server.display()
        );
        let scratch = tempfile::tempdir()?;
        let output = match keep {
            Some(keep) => {
                let directory = keep.join(format!("{side}-{scenario}"));
                std::fs::create_dir_all(&directory)
                    .with_context(|| format!("cannot create {}", directory.display()))?;
                directory
            }
            None => scratch.path().to_path_buf(),
        };
        counts.push(count(settings, binaries, counter, scenario, requests, &output).await?);
    }
    Ok(counts)
}

/// One scenario: a fresh user server and server, both counted.
async fn count(
    settings: &Settings,
    binaries: &Binaries,
    counter: Counter,
    scenario: &'static str,
    requests: u64,
    output: &Path,
) -> anyhow::Result<Counted> {
    let launcher = counter.launcher(output, "counted");
    let bench = Bench::start(settings, binaries.clone(), launcher.clone()).await?;
    let database = bench.fresh_database();
    let user_cache = if scenario == report::SESSION_CACHE_ON {
        "60s"
    } else {
        "0"
    };
    let load = match scenario {
        report::ALIVE => HttpLoad::alive(),
        report::SESSION_UNKNOWN => HttpLoad::unknown_sessions(1),
        _ => {
            // The session is made by an uncounted server on the same database: its
            // Argon2id hash would take long under callgrind.
            let maker = bench.start_server(database.clone(), user_cache).await?;
            let tokens = bench.prepare_some_sessions(&maker, 1).await?;
            maker.stop().await;
            let bodies = tokens.iter().map(|token| get_session_body(token)).collect();
            HttpLoad::get_session(bodies, true)
        }
    };
    let server = bench
        .start_server_under(launcher, database, user_cache)
        .await?;
    let operation = load.operation(&server, 1);
    for iteration in 0..WARM_UP_REQUESTS {
        operation(0, iteration)
            .await
            .map_err(|error| anyhow!("{scenario}: {error}"))?;
    }
    let counting_server = start(counter, server.pid, output).await?;
    let counting_user_server = start(counter, bench.user_server.pid, output).await?;
    for iteration in 0..requests {
        operation(0, iteration)
            .await
            .map_err(|error| anyhow!("{scenario}: {error}"))?;
    }
    let server_total = counting_server.finish().await?;
    let user_server_total = counting_user_server.finish().await?;
    server.stop().await;
    Ok(Counted {
        scenario,
        server: server_total as f64 / requests as f64,
        user_server: user_server_total as f64 / requests as f64,
    })
}

/// `123 456`: whole instructions with thin grouping.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    grouped
}

fn render_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    lines.extend(rows);
    report::align(&lines)
}

/// How the instructions are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Perf,
    Callgrind,
}

impl Counter {
    pub fn name(self) -> &'static str {
        match self {
            Counter::Perf => "perf stat",
            Counter::Callgrind => "callgrind",
        }
    }

    /// `perf stat` when it counts instructions here, callgrind when valgrind is
    /// installed, `None` otherwise.
    pub fn detect() -> Option<Counter> {
        let perf = std::process::Command::new("perf")
            .args(["stat", "-x,", "-e", "instructions:u", "true"])
            .stdout(Stdio::null())
            .output();
        if let Ok(output) = perf {
            if parse_perf_count(&String::from_utf8_lossy(&output.stderr)).is_some() {
                return Some(Counter::Perf);
            }
        }
        let valgrind = std::process::Command::new("valgrind")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        valgrind
            .is_ok_and(|status| status.success())
            .then_some(Counter::Callgrind)
    }

    /// What a counted process is started under (callgrind), or nothing (perf attaches).
    pub fn launcher(self, output_dir: &Path, name: &str) -> Vec<String> {
        match self {
            Counter::Perf => Vec::new(),
            Counter::Callgrind => vec![
                "valgrind".to_owned(),
                "--tool=callgrind".to_owned(),
                "--quiet".to_owned(),
                format!(
                    "--callgrind-out-file={}",
                    output_dir.join(format!("{name}.%p.out")).display()
                ),
            ],
        }
    }
}

/// The `instructions` count of `perf stat -x,` output.
pub fn parse_perf_count(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|line| {
        let mut fields = line.split(',');
        let count = fields.next()?.trim();
        let event = fields.nth(1)?;
        if event.starts_with("instructions") {
            count.parse().ok()
        } else {
            None
        }
    })
}

/// The event total of a callgrind dump (its `summary:` or `totals:` line).
pub fn parse_callgrind_total(dump: &str) -> Option<u64> {
    dump.lines().find_map(|line| {
        let rest = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// A count in progress on one process.
pub enum Counting {
    Perf(tokio::process::Child),
    Callgrind { pid: u32, output_dir: PathBuf },
}

/// Starts counting the instructions of `pid` from now on: perf attaches, callgrind
/// (counting since the start) is zeroed.
pub async fn start(counter: Counter, pid: u32, output_dir: &Path) -> anyhow::Result<Counting> {
    match counter {
        Counter::Perf => {
            let child = Command::new("perf")
                .args([
                    "stat",
                    "-x,",
                    "-e",
                    "instructions:u",
                    "-p",
                    &pid.to_string(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .context("cannot start perf stat")?;
            Ok(Counting::Perf(child))
        }
        Counter::Callgrind => {
            callgrind_control(&["-z", &pid.to_string()]).await?;
            Ok(Counting::Callgrind {
                pid,
                output_dir: output_dir.to_path_buf(),
            })
        }
    }
}

impl Counting {
    /// The instructions counted since [`start`].
    pub async fn finish(self) -> anyhow::Result<u64> {
        match self {
            Counting::Perf(child) => {
                let Some(id) = child.id() else {
                    bail!("perf stat ended early");
                };
                // perf stat prints its counts when interrupted.
                let status = std::process::Command::new("kill")
                    .args(["-INT", &id.to_string()])
                    .status()
                    .context("cannot signal perf stat")?;
                if !status.success() {
                    bail!("cannot signal perf stat");
                }
                let output = child.wait_with_output().await?;
                let stderr = String::from_utf8_lossy(&output.stderr);
                parse_perf_count(&stderr)
                    .with_context(|| format!("no instruction count from perf stat: {stderr}"))
            }
            Counting::Callgrind { pid, output_dir } => {
                let before = dumps(&output_dir, pid)?;
                callgrind_control(&["-d", &pid.to_string()]).await?;
                let after = dumps(&output_dir, pid)?;
                let newest = after
                    .into_iter()
                    .find(|path| !before.contains(path))
                    .context("callgrind wrote no dump")?;
                let dump = std::fs::read_to_string(&newest)
                    .with_context(|| format!("cannot read {}", newest.display()))?;
                parse_callgrind_total(&dump)
                    .with_context(|| format!("no total in {}", newest.display()))
            }
        }
    }
}

async fn callgrind_control(args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("callgrind_control")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run callgrind_control")?;
    if !output.status.success() {
        bail!(
            "callgrind_control {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The dump files callgrind has written for `pid` so far.
fn dumps(output_dir: &Path, pid: u32) -> anyhow::Result<Vec<PathBuf>> {
    let marker = format!(".{pid}.out");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(output_dir)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|name| name.contains(&marker)) {
            found.push(path);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_counts_are_read_from_csv_output() {
        let stderr = "1234567,,instructions:u,1000,100.00,,\n";
        assert_eq!(parse_perf_count(stderr), Some(1_234_567));
        assert_eq!(
            parse_perf_count("<not supported>,,instructions:u,0,100.00,,\n"),
            None
        );
        assert_eq!(parse_perf_count("12,,cycles:u,1,100.00,,\n"), None);
    }

    #[test]
    fn callgrind_totals_are_read_from_dumps() {
        let dump =
            "version: 1\ncmd: x\nevents: Ir\nsummary: 987654\nfl=(1) a.c\n3 4\ntotals: 987655\n";
        assert_eq!(parse_callgrind_total(dump), Some(987_654));
        assert_eq!(parse_callgrind_total("totals: 42\n"), Some(42));
        assert_eq!(parse_callgrind_total("events: Ir\n"), None);
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(1_234_567.4), "1 234 567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_000.0), "1 000");
    }
}
