//! `tiauth`: the Tiauth Faroe auth server.

use std::process::ExitCode;

use anyhow::Context as _;
use tiauth_faroe::app::{self, Overrides};
use tiauth_faroe::config::{self, Cli, Command, EnvFileStatus, ImportUpstream};
use tiauth_faroe::upstream_import;

fn main() -> ExitCode {
    let cli = Cli::parse_args(std::env::args_os());
    let loaded = match config::load(&cli) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("tiauth: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    if let Some(Command::ImportUpstream(import)) = &cli.command {
        return import_upstream(&loaded.config, import);
    }
    if cli.check_config {
        println!("{}", loaded.config.describe());
        return ExitCode::SUCCESS;
    }
    if cli.command == Some(Command::PwnedCheck) {
        return ExitCode::from(tiauth_faroe::pwned::check_command::run_on_stdio(
            &loaded.config,
        ));
    }
    tiauth_faroe::logging::init(&loaded.config.log_filter, loaded.config.log_format);
    match &loaded.env_file {
        EnvFileStatus::Loaded(path) => tracing::info!(path = %path.display(), "env file loaded"),
        EnvFileStatus::DefaultMissing(path) => tracing::info!(
            path = %path.display(),
            "no env file; using the environment and defaults"
        ),
    }
    match run(loaded.config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tiauth: {error:#}");
            let status = error
                .downcast_ref::<app::StartError>()
                .map_or(1, app::StartError::exit_code);
            ExitCode::from(status)
        }
    }
}

/// `tiauth import-upstream`: the summary goes to stdout, a refusal or failure to stderr.
fn import_upstream(config: &config::Config, import: &ImportUpstream) -> ExitCode {
    tiauth_faroe::logging::init(&config.log_filter, config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tiauth: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let imported = runtime.block_on(upstream_import::run(config, &import.from, import.merge));
    match imported {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tiauth: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(config: config::Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = app::shutdown_signal().context("cannot install signal handlers")?;
        app::run(config, Overrides::default(), shutdown).await?;
        Ok(())
    })
}
