//! Driving `wrk` (Debian's package) for the scenarios that repeat one HTTP request: a
//! generator in C that costs the shared CPUs less than this process's own would.
//!
//! wrk counts answers with a status outside 2xx and 3xx as errors; what a 200 answer
//! says is checked with one request before and one after the run.
//!
//! By default wrk runs under `SCHED_BATCH`. Under the normal policy, the wrk thread
//! woken by an answer preempts the server thread that wrote it, mid-way through its
//! next request: on this machine that tripled the server's context switches per
//! unknown-token request (0.3 against 0.1 for `/alive`) and cost those scenarios a
//! tenth or more of their rate, while `/alive` did not move. Clients on other
//! machines cannot do that to a server; a batch thread still gets its fair share of
//! the CPUs, it only waits for the running thread's turn to end.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::process::Command;

/// What wrk measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkSummary {
    pub requests: u64,
    pub duration: Duration,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    /// Answers with a status outside 2xx and 3xx.
    pub status_errors: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
}

impl WrkSummary {
    pub fn successes(&self) -> u64 {
        self.requests.saturating_sub(self.status_errors)
    }

    pub fn per_second(&self) -> f64 {
        crate::load::per_second(self.successes(), self.duration)
    }
}

/// The line the script's `done` hook prints.
const SUMMARY_TAG: &str = "bench-summary";

/// The scheduling policy wrk runs under (`--wrk-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Policy {
    /// `SCHED_BATCH`, through `chrt`: its wake-ups do not preempt the servers.
    Batch,
    /// The policy of any process: its wake-ups may preempt the servers.
    Normal,
}

impl Policy {
    /// What the run's header says of it.
    pub fn describe(self) -> &'static str {
        match self {
            Policy::Batch => "wrk under SCHED_BATCH",
            Policy::Normal => "wrk",
        }
    }
}

/// Whether `wrk` can be run.
pub fn available() -> bool {
    runs("wrk")
}

/// Whether `chrt` (util-linux) can be run, for [`Policy::Batch`].
pub fn chrt_available() -> bool {
    runs("chrt")
}

fn runs(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// The Lua script of one request: `body` is sent with POST, `None` means GET.
pub fn script(body: Option<&str>) -> String {
    let mut script = String::new();
    if let Some(body) = body {
        // A long bracket string takes the body as it is.
        script.push_str("wrk.method = \"POST\"\n");
        script.push_str(&format!("wrk.body = [==[{body}]==]\n"));
        script.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
    }
    script.push_str(&format!(
        r#"done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{SUMMARY_TAG} %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"#
    ));
    script
}

/// Parses the line the script's `done` hook printed.
pub fn parse_summary(stdout: &str) -> Option<WrkSummary> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix(SUMMARY_TAG))?;
    let numbers: Vec<u64> = line
        .split_whitespace()
        .map(|field| field.parse::<f64>().ok().map(|value| value.round() as u64))
        .collect::<Option<_>>()?;
    let [requests, micros, p50_us, p99_us, max_us, status_errors, socket_errors] = numbers[..]
    else {
        return None;
    };
    Some(WrkSummary {
        requests,
        duration: Duration::from_micros(micros),
        p50_us,
        p99_us,
        max_us,
        status_errors,
        socket_errors,
    })
}

/// Runs wrk against `url` for whole `seconds` with `connections` connections.
pub async fn run(
    url: &str,
    script_path: &Path,
    connections: usize,
    seconds: u64,
    policy: Policy,
) -> anyhow::Result<WrkSummary> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cpus.clamp(1, connections.max(1));
    let mut command = match policy {
        Policy::Batch => {
            let mut chrt = Command::new("chrt");
            chrt.args(["--batch", "0", "wrk"]);
            chrt
        }
        Policy::Normal => Command::new("wrk"),
    };
    let output = command
        .arg(format!("-t{threads}"))
        .arg(format!("-c{}", connections.max(threads)))
        .arg(format!("-d{}s", seconds.max(1)))
        .arg("-s")
        .arg(script_path)
        .arg(url)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .context("cannot run wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_summary(&stdout).with_context(|| format!("no summary in wrk's output: {stdout}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_done_hook_line_is_parsed() {
        let stdout = "Running 1s test @ http://127.0.0.1:1/alive\n  2 threads\n\
                      bench-summary 90000 1002000 150 900 12000 3 1\n";
        let summary = parse_summary(stdout).expect("a summary");
        assert_eq!(summary.requests, 90_000);
        assert_eq!(summary.successes(), 89_997);
        assert_eq!(summary.duration, Duration::from_millis(1002));
        assert_eq!(
            (summary.p50_us, summary.p99_us, summary.max_us),
            (150, 900, 12_000)
        );
        assert_eq!(summary.socket_errors, 1);
        assert!((summary.per_second() - 89_997.0 / 1.002).abs() < 1e-6);
        assert_eq!(parse_summary("bench-summary 1 2 3\n"), None);
        assert_eq!(parse_summary("Requests/sec: 1\n"), None);
    }

    #[test]
    fn scripts_post_the_body_or_get() {
        let post = script(Some(r#"{"action":"get_session"}"#));
        assert!(post.contains("wrk.method = \"POST\""), "{post}");
        assert!(
            post.contains(r#"wrk.body = [==[{"action":"get_session"}]==]"#),
            "{post}"
        );
        let get = script(None);
        assert!(!get.contains("wrk.method"), "{get}");
        assert!(get.contains("done = function"), "{get}");
    }
}
