//! `mock-backend`: the user server for Tiauth Faroe, standing in for the Python reference
//! server.

use std::io::{self, IsTerminal as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use mock_backend::MockState;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A user server for Tiauth Faroe: the seven user actions on POST /invoke, e-mails on
/// POST /email, and the test commands on POST /command.
///
/// For tests and development only: /command reads e-mailed codes, edits users and injects
/// faults without any authentication, so it listens on loopback addresses only unless
/// --allow-remote is given.
#[derive(Debug, Parser)]
#[command(name = "mock-backend", version, about, long_about)]
struct Args {
    /// Address to listen on (a loopback address unless --allow-remote).
    #[arg(long, default_value = "127.0.0.2")]
    host: String,

    /// Listen on a non-loopback address too. Anyone who reaches the port can read codes and
    /// change users through /command.
    #[arg(long)]
    allow_remote: bool,

    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8079)]
    port: u16,

    /// SQLite file for the user table (created if missing); in memory when omitted.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mock-backend: {error:#}");
            if error.is::<RemoteRefused>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// A non-loopback listen address without `--allow-remote`: a usage error (status 2).
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to listen on {0}, which is not a loopback address: /command has no \
     authentication (pass --allow-remote to listen there anyway)"
)]
struct RemoteRefused(SocketAddr);

async fn run(args: Args) -> anyhow::Result<()> {
    let state = match &args.db {
        Some(path) => MockState::with_database_file(path)
            .with_context(|| format!("cannot open the database {}", path.display()))?,
        None => MockState::in_memory().context("cannot open the in-memory database")?,
    };
    let listener = bind(&args.host, args.port).await?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() && !args.allow_remote {
        return Err(RemoteRefused(addr).into());
    }
    println!("mock-backend listening on http://{addr}");
    mock_backend::serve(listener, state, shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("mock-backend stopped");
    Ok(())
}

async fn bind(host: &str, port: u16) -> anyhow::Result<TcpListener> {
    let shown = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, port).to_string(),
        Err(_) => format!("{host}:{port}"),
    };
    match TcpListener::bind((host, port)).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
            anyhow::bail!("cannot listen on {shown}: the address is already in use")
        }
        Err(error) => Err(error).with_context(|| format!("cannot listen on {shown}")),
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot wait for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot wait for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupted, shutting down"),
        () = terminate => tracing::info!("terminated, shutting down"),
    }
}
