//! `tiauth-dev`: a working local stack in one process.
//!
//! It starts the mock user server on `<private host>:<private port>` (users kept in
//! `./users.sqlite`) and the tiauth server with its usual configuration (flags, `.env`,
//! environment). E-mails the auth server sends are printed to stdout, so signup codes
//! and temporary passwords can be read off the terminal. The admin listener (metrics,
//! health) is on, on a free loopback port unless configured. For local development only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use clap::{CommandFactory, FromArgMatches, Parser};
use mock_backend::MockState;
use tiauth_faroe::app::{self, Overrides};
use tiauth_faroe::config::{self, Cli, Command, Config, EnvFileStatus};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A local Tiauth Faroe stack: the auth server plus the mock user server, in one process.
/// Takes every flag of `tiauth`; e-mails (with their codes) are printed to stdout.
#[derive(Debug, Parser)]
#[command(name = "tiauth-dev", version, long_about = None)]
struct DevCli {
    #[command(flatten)]
    server: Cli,

    /// SQLite file of the mock user server's users (created if missing)
    #[arg(long, value_name = "PATH", default_value = "./users.sqlite")]
    users_db: PathBuf,
}

fn main() -> ExitCode {
    let matches = DevCli::command()
        .after_help(config::variables_help())
        .get_matches_from(config::normalize_args(std::env::args_os()));
    let cli = match DevCli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let mut loaded = match config::load(&cli.server) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("tiauth-dev: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    // Metrics and health on a free loopback port unless configured; the startup log
    // says where.
    loaded
        .config
        .admin_addr
        .get_or_insert(SocketAddr::from(([127, 0, 0, 1], 0)));
    if cli.server.check_config {
        println!("{}", loaded.config.describe());
        return ExitCode::SUCCESS;
    }
    if cli.server.command == Some(Command::PwnedCheck) {
        return ExitCode::from(tiauth_faroe::pwned::check_command::run_on_stdio(
            &loaded.config,
        ));
    }
    tiauth_faroe::logging::init(&loaded.config.log_filter, loaded.config.log_format);
    if let EnvFileStatus::DefaultMissing(path) = &loaded.env_file {
        tracing::info!(path = %path.display(), "no env file; using the environment and defaults");
    }
    match run(loaded.config, cli.users_db) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tiauth-dev: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config, users_db: PathBuf) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let signal = app::shutdown_signal().context("cannot install signal handlers")?;
        let (stop, stopped) = watch::channel(false);
        let stop_on_signal = stop.clone();
        tokio::spawn(async move {
            signal.await;
            let _ = stop_on_signal.send(true);
        });
        let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };

        let state = MockState::with_database_file(&users_db)
            .with_context(|| format!("cannot open the users database {}", users_db.display()))?;
        let wanted = (config.private_host.as_str(), config.private_port);
        let listener = TcpListener::bind(wanted).await.with_context(|| {
            format!(
                "cannot listen on {}:{} for the mock user server",
                wanted.0, wanted.1
            )
        })?;
        let addr: SocketAddr = listener.local_addr().context("user server address")?;
        let router = mock_backend::router(state.clone())
            .layer(middleware::from_fn_with_state(state, print_emails));
        let backend = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(until_stopped(stopped.clone()))
                .await
        });
        tracing::info!(
            url = %format!("http://{addr}"),
            users = %users_db.display(),
            "mock user server listening"
        );

        let served = app::run(config, Overrides::default(), {
            let stopped = stop.subscribe();
            until_stopped(stopped)
        })
        .await;
        // However the auth server ended, the user server goes too.
        let _ = stop.send(true);
        backend
            .await
            .context("the mock user server task failed")?
            .context("the mock user server failed")?;
        served?;
        Ok(())
    })
}

/// Prints each e-mail the mock user server accepted: the local mailbox.
async fn print_emails(State(state): State<MockState>, request: Request, next: Next) -> Response {
    let is_email = request.method() == Method::POST && request.uri().path() == "/email";
    let response = next.run(request).await;
    if is_email && response.status() == StatusCode::OK {
        if let Some(email) = state.emails().last() {
            println!("e-mail: {email}");
        }
    }
    response
}
