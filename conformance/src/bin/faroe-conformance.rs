//! `faroe-conformance`: replays the conformance fixtures against a running Faroe
//! server and its user server, and reports how conformant it is.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use conformance::coverage::CoverageTable;
use conformance::fixture::{fixtures_dir, parse_advance, PROFILES};
use conformance::snapshot::snapshots_dir;
use conformance::suite::{self, SuiteOptions};
use conformance::target::{ExternalOptions, Target};

/// Replays every conformance case against a Faroe server and prints one line per case,
/// the (action, error_code) coverage table and the totals. Exit status: 0 when every
/// case passed or was skipped, 1 when a case failed, 2 when the run could not start.
#[derive(Debug, Parser)]
#[command(name = "faroe-conformance", version, after_help = after_help())]
struct Cli {
    /// Base URL of the Faroe server, started with its reset endpoint enabled
    /// (tiauth: --enable-reset; add --enable-test-clock for the clock cases)
    #[arg(long, value_name = "URL")]
    server: String,

    /// Base URL of its user server, which must answer the /command vocabulary of
    /// mock-backend/README.md
    #[arg(long, value_name = "URL")]
    backend: String,

    /// Whose expectations to hold the server to (see below)
    #[arg(long, value_name = "P", default_value = "ours")]
    profile: String,

    /// Run only the cases whose "family/case name" contains this text (any case)
    #[arg(long, value_name = "PATTERN")]
    only: Option<String>,

    /// Write the results as JUnit XML to this file
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,

    /// Write the results as JSON to this file
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,

    /// How long one request may take, e.g. 10s or 2m
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    timeout: Duration,

    /// Serve a fake pwned-passwords range API on this address while the run lasts,
    /// reporting password1234 and qwertyuiop123 as breached; start the server with its
    /// range API there (tiauth: FAROE_PWNED_PASSWORDS_URL=http://ADDRESS) so the
    /// breached-password cases run
    #[arg(long, value_name = "ADDRESS")]
    range_api: Option<SocketAddr>,

    /// The fixtures folder
    #[arg(long, value_name = "DIR", default_value_os_t = fixtures_dir())]
    fixtures: PathBuf,

    /// The folder of reviewed snapshots (a profile's own ones in a subfolder named
    /// for it)
    #[arg(long, value_name = "DIR", default_value_os_t = snapshots_dir())]
    snapshots: PathBuf,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_advance(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err("the timeout must be longer than 0".into()),
        Err(error) => Err(error.to_string()),
    }
}

fn after_help() -> String {
    let mut text = String::from("Profiles:\n");
    for (name, description) in PROFILES {
        text.push_str(&format!("  {name:<14} {description}\n"));
    }
    text.push_str("\nThe fixture format, the profiles and the report: fixtures/README.md");
    text
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("faroe-conformance: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("faroe-conformance: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the suite; `Ok(true)` when no case failed.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    anyhow::ensure!(
        PROFILES.iter().any(|(name, _)| *name == cli.profile),
        "unknown profile {:?}; the profiles are: {}",
        cli.profile,
        PROFILES
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let coverage = CoverageTable::load(&cli.fixtures.join("coverage.json"))?;
    let _range_api = match cli.range_api {
        Some(addr) => {
            let listener = std::net::TcpListener::bind(addr)
                .with_context(|| format!("cannot serve the fake range API on {addr}"))?;
            Some(conformance::in_process::fake_range_api(Some(listener)).await)
        }
        None => None,
    };
    let target = Target::connect(
        &cli.server,
        &cli.backend,
        ExternalOptions {
            timeout: cli.timeout,
            breached_passwords: cli.range_api.is_some(),
        },
    )
    .await?;
    let offers: Vec<String> = target
        .offers()
        .iter()
        .map(|need| format!("{need:?}"))
        .collect();
    println!(
        "faroe-conformance: {} (user server {}), profile {}, the runner offers: {}",
        cli.server,
        cli.backend,
        cli.profile,
        if offers.is_empty() {
            "nothing beyond plain requests".to_owned()
        } else {
            offers.join(", ")
        }
    );
    let options = SuiteOptions {
        profile: cli.profile.clone(),
        only: cli.only.clone(),
        fixtures: cli.fixtures.clone(),
        snapshots: cli.snapshots.clone(),
    };
    let report = suite::run(&target, &options, |case| println!("{}", case.line())).await?;
    print!("{}", report.summary(&coverage));
    if let Some(path) = &cli.junit {
        std::fs::write(path, report.junit()?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &cli.json {
        let text = serde_json::to_string_pretty(&report.json(&coverage))?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(report.counts().1 == 0)
}
