//! Building and starting the server and the user server on free loopback ports.
//!
//! Every child is started with `kill_on_drop`, so it dies with its [`Running`]
//! handle: at the end of a scenario, on an error, and on Ctrl-C (main drops
//! everything when the signal arrives).

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

/// The user server's address is fixed by the protocol.
pub const USER_SERVER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
pub const SERVER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// Generous: a process started under callgrind takes seconds to get going.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const READY_POLL: Duration = Duration::from_millis(20);

#[derive(Debug, Clone)]
pub struct Binaries {
    pub server: PathBuf,
    pub user_server: PathBuf,
    /// A program (with its arguments) both are started under, such as an instruction
    /// counter; empty: started directly.
    pub launcher: Vec<String>,
}

impl Binaries {
    /// The command that starts `binary`, under the launcher if there is one.
    fn command(&self, binary: &Path) -> Command {
        match self.launcher.split_first() {
            Some((program, arguments)) => {
                let mut command = Command::new(program);
                command.args(arguments).arg(binary);
                command
            }
            None => Command::new(binary),
        }
    }
}

/// Builds the release binaries of the server and the mock user server, with
/// cargo's output shown, and returns where they are: beside this binary, which
/// the same `cargo run --release` put in the same target directory.
pub fn build_release_binaries() -> anyhow::Result<Binaries> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the bench crate has no parent directory")?;
    eprintln!("bench: building the release binaries of tiauth and mock-backend");
    let mut command = std::process::Command::new(cargo);
    // `cargo run` hands this process the variables it sets for a package
    // (CARGO_PKG_NAME, CARGO_MANIFEST_DIR, ...). Build scripts watch some of them
    // (rerun-if-env-changed), so passing them on would rebuild those crates each run.
    for (name, _) in std::env::vars_os() {
        if is_per_package_cargo_variable(&name.to_string_lossy()) {
            command.env_remove(name);
        }
    }
    let status = command
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "-p",
            "tiauth-faroe",
            "-p",
            "mock-backend",
            // The bench itself too, so the features resolve as for `cargo run -p bench`.
            "-p",
            "bench",
            "--bins",
        ])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    let own = std::env::current_exe().context("cannot locate the bench binary")?;
    let directory = own
        .parent()
        .context("the bench binary has no directory")?
        .to_path_buf();
    let binaries = Binaries {
        server: directory.join("tiauth"),
        user_server: directory.join("mock-backend"),
        launcher: Vec::new(),
    };
    for binary in [&binaries.server, &binaries.user_server] {
        if !binary.is_file() {
            bail!("{} is missing after the build", binary.display());
        }
    }
    Ok(binaries)
}

/// Whether `name` is one of the variables cargo sets for the package it runs.
fn is_per_package_cargo_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "OUT_DIR"
        )
}

/// A port nobody listens on right now, found by binding port 0.
pub fn free_port(ip: Ipv4Addr) -> anyhow::Result<u16> {
    let listener = TcpListener::bind((IpAddr::V4(ip), 0))
        .with_context(|| format!("cannot bind a free port on {ip}"))?;
    Ok(listener.local_addr()?.port())
}

/// A started child process and its base URL.
#[derive(Debug)]
pub struct Running {
    name: &'static str,
    child: Child,
    pub pid: u32,
    pub url: String,
    pub port: u16,
}

impl Running {
    async fn wait_until_ready(
        &mut self,
        client: &reqwest::Client,
        path: &str,
    ) -> anyhow::Result<()> {
        let url = format!("{}{path}", self.url);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("{} exited before it was ready ({status})", self.name);
            }
            if let Ok(response) = client.get(&url).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "{} did not answer {url} within {READY_TIMEOUT:?}",
                    self.name
                );
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// Stops the process and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn spawn(
    name: &'static str,
    mut command: Command,
    ip: Ipv4Addr,
    port: u16,
) -> anyhow::Result<Running> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {name}"))?;
    let pid = child.id().with_context(|| format!("{name} has no pid"))?;
    Ok(Running {
        name,
        child,
        pid,
        url: format!("http://{ip}:{port}"),
        port,
    })
}

/// Starts mock-backend on 127.0.0.2 and waits for `GET /health`.
pub async fn start_user_server(
    binaries: &Binaries,
    client: &reqwest::Client,
) -> anyhow::Result<Running> {
    let port = free_port(USER_SERVER_IP)?;
    let mut command = binaries.command(&binaries.user_server);
    command
        .args([
            "--host",
            &USER_SERVER_IP.to_string(),
            "--port",
            &port.to_string(),
        ])
        .env("RUST_LOG", "warn");
    let mut running = spawn("mock-backend", command, USER_SERVER_IP, port)?;
    running.wait_until_ready(client, "/health").await?;
    Ok(running)
}

/// How one server instance is configured.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub database: PathBuf,
    pub env_file: PathBuf,
    pub user_server_port: u16,
    /// `FAROE_SESSION_USER_CACHE`: `0` or a duration such as `60s`.
    pub session_user_cache: String,
    /// `FAROE_HASHING_CONCURRENCY`; `None` keeps the server's default.
    pub hashing_concurrency: Option<usize>,
    /// `FAROE_STORAGE_URL` and `FAROE_STORAGE_NAMESPACE` of a network engine (with
    /// `/reset` enabled, to clear the namespace afterwards); `None`: SQLite at `database`.
    pub storage: Option<(String, String)>,
    /// `FAROE_PWNED_PASSWORDS`: `off`, or `file:PATH` for the corpus scenario.
    pub pwned_passwords: String,
}

/// Starts tiauth on 127.0.0.1 (warnings only) and waits
/// for `GET /alive`.
pub async fn start_server(
    binaries: &Binaries,
    settings: &ServerSettings,
    client: &reqwest::Client,
) -> anyhow::Result<Running> {
    let port = free_port(SERVER_IP)?;
    let mut command = binaries.command(&binaries.server);
    // Only this run's settings apply, whatever the calling shell exports.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FAROE_") {
            command.env_remove(name);
        }
    }
    command
        .arg("--env-file")
        .arg(&settings.env_file)
        .args([
            "--host",
            &SERVER_IP.to_string(),
            "--port",
            &port.to_string(),
        ])
        .arg("--db-path")
        .arg(&settings.database)
        .args(["--private-port", &settings.user_server_port.to_string()])
        .env("FAROE_PWNED_PASSWORDS", &settings.pwned_passwords)
        .env("FAROE_SESSION_USER_CACHE", &settings.session_user_cache)
        .env("FAROE_LOG", "warn");
    if let Some(limit) = settings.hashing_concurrency {
        command.env("FAROE_HASHING_CONCURRENCY", limit.to_string());
    }
    if let Some((url, namespace)) = &settings.storage {
        command
            .env("FAROE_STORAGE_URL", url)
            .env("FAROE_STORAGE_NAMESPACE", namespace)
            .arg("--enable-reset");
    }
    let mut running = spawn("tiauth", command, SERVER_IP, port)?;
    running.wait_until_ready(client, "/alive").await?;
    Ok(running)
}

#[cfg(test)]
mod tests {
    use super::is_per_package_cargo_variable;

    #[test]
    fn only_the_per_package_cargo_variables_are_dropped() {
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
            "OUT_DIR",
        ] {
            assert!(is_per_package_cargo_variable(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "PATH",
            "RUSTFLAGS",
        ] {
            assert!(!is_per_package_cargo_variable(name), "{name}");
        }
    }
}
