//! `tiauth`: the Tiauth Faroe auth server.

use std::process::ExitCode;

use anyhow::Context as _;
use tiauth_faroe::app::{self, Overrides};
use tiauth_faroe::config::{self, Cli, Command, EnvFileStatus};

fn main() -> ExitCode {
    let cli = Cli::parse_args(std::env::args_os());
    let loaded = match config::load(&cli) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("tiauth: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    if cli.check_config {
        println!("{}", loaded.config.describe());
        return ExitCode::SUCCESS;
    }
    if cli.command == Some(Command::PwnedCheck) {
        return ExitCode::from(tiauth_faroe::pwned::check_command::run_on_stdio(
            &loaded.config,
        ));
    }
    tiauth_faroe::logging::init(&loaded.config.log_filter);
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
            ExitCode::FAILURE
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
