//! The `tiauth` binary as a process: help, configuration precedence, startup failures,
//! the startup line, signals and interactive mode.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tiauth_faroe::config::VARIABLES;

pub(crate) use crate::common::running::{stderr, stdout, temp_dir, tiauth, Running};

fn run(command: &mut Command) -> Output {
    command.output().expect("tiauth runs")
}

#[test]
fn help_explains_every_flag_and_variable() {
    let dir = temp_dir();
    for flag in ["--help", "-help", "-h"] {
        let output = run(tiauth(dir.path()).arg(flag));
        assert_eq!(output.status.code(), Some(0), "{flag}");
        let help = stdout(&output);
        for variable in VARIABLES {
            assert!(help.contains(variable.name), "{flag}: {}", variable.name);
            assert!(
                help.contains(variable.default),
                "{flag}: {}",
                variable.default
            );
        }
        for option in [
            "--env-file",
            "--interactive",
            "--enable-reset",
            "--enable-test-clock",
            "--private-port",
            "--user-server-port",
            "--private-host",
            "--command-port",
            "--admin-addr",
            "--host",
            "--port",
            "--db-path",
            "--check-config",
        ] {
            assert!(help.contains(option), "{flag}: {option}");
        }
    }
}

#[test]
fn unknown_flags_are_usage_errors() {
    let dir = temp_dir();
    let output = run(tiauth(dir.path()).arg("--nope"));
    assert_eq!(output.status.code(), Some(2));
    let output = run(tiauth(dir.path()).args(["--port", "http"]));
    assert_eq!(output.status.code(), Some(2));
}

fn resolved(output: &Output) -> Vec<String> {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    stdout(output).lines().map(str::to_owned).collect()
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

#[test]
fn flags_beat_the_environment_which_beats_the_env_file() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("custom.env"),
        "# settings\nFAROE_PORT=1001\nFAROE_PRIVATE_PORT=2001\nFAROE_DB_PATH=\"file.sqlite\"\n\
         FAROE_SESSION_EXPIRATION=1h30m\nFAROE_CORS_ALLOW_ORIGIN='https://file.example'\n\
         FAROE_HOST=127.0.0.1\n",
    )
    .expect("write env file");
    let base = |command: &mut Command| {
        command
            .args(["-env-file", "custom.env", "--check-config"])
            .env("FAROE_PORT", "1002")
            .env("FAROE_DB_PATH", "os.sqlite");
    };

    let mut command = tiauth(dir.path());
    base(&mut command);
    let lines = resolved(&run(&mut command));
    assert!(has(&lines, "FAROE_PORT=1002"), "{lines:?}");
    assert!(has(&lines, "FAROE_DB_PATH=os.sqlite"), "{lines:?}");
    assert!(has(&lines, "FAROE_PRIVATE_PORT=2001"), "{lines:?}");
    assert!(has(&lines, "FAROE_SESSION_EXPIRATION=1h30m0s"), "{lines:?}");
    assert!(has(&lines, "FAROE_CORS_ALLOW_ORIGIN=https://file.example"));
    assert!(has(&lines, "FAROE_HOST=127.0.0.1"));
    assert!(has(&lines, "--enable-reset=false"));

    let mut command = tiauth(dir.path());
    base(&mut command);
    command.args([
        "--port",
        "1003",
        "-private-port=2003",
        "--db-path",
        "flag.sqlite",
        "--host",
        "::1",
        "-enable-reset",
        "-interactive=false",
    ]);
    let lines = resolved(&run(&mut command));
    assert!(has(&lines, "FAROE_PORT=1003"), "{lines:?}");
    assert!(has(&lines, "FAROE_PRIVATE_PORT=2003"), "{lines:?}");
    assert!(has(&lines, "FAROE_DB_PATH=flag.sqlite"), "{lines:?}");
    assert!(has(&lines, "FAROE_HOST=::1"), "{lines:?}");
    assert!(has(&lines, "--enable-reset=true"), "{lines:?}");
    assert!(has(&lines, "--interactive=false"), "{lines:?}");
}

#[test]
fn the_default_env_file_is_read_from_the_working_directory() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join(".env"),
        "FAROE_PORT=4242\r\nFAROE_LOG=debug\r\n",
    )
    .expect("write .env");
    let lines = resolved(&run(tiauth(dir.path()).arg("--check-config")));
    assert!(has(&lines, "FAROE_PORT=4242"), "{lines:?}");
    assert!(has(&lines, "FAROE_LOG=debug"), "{lines:?}");
}

#[test]
fn without_any_env_file_the_defaults_apply() {
    let dir = temp_dir();
    let lines = resolved(&run(tiauth(dir.path()).arg("--check-config")));
    for line in [
        "FAROE_HOST=0.0.0.0",
        "FAROE_PORT=3777",
        "FAROE_PRIVATE_PORT=8079",
        "FAROE_DB_PATH=./db.sqlite",
        "FAROE_SESSION_EXPIRATION=2160h0m0s",
        "FAROE_SESSION_USER_CACHE=0",
        "FAROE_CORS_ALLOW_ORIGIN=",
        "FAROE_PWNED_PASSWORDS=hibp",
        "FAROE_PWNED_PASSWORDS_URL=https://api.pwnedpasswords.com",
        "FAROE_PWNED_PASSWORDS_TIMEOUT=3s",
        "FAROE_PWNED_PASSWORDS_FAIL_CLOSED=false",
        "FAROE_PWNED_PASSWORDS_MIN_COUNT=1",
        "FAROE_USER_SERVER_TIMEOUT=5s",
        "FAROE_LOG=info",
    ] {
        assert!(has(&lines, line), "{line} in {lines:?}");
    }
}

#[test]
fn a_missing_explicit_env_file_exits_with_status_2() {
    let dir = temp_dir();
    let output = run(tiauth(dir.path()).args(["--env-file", "missing.env"]));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("missing.env"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn the_test_clock_refuses_to_start_on_a_non_loopback_address() {
    let dir = temp_dir();
    for host in [None, Some("0.0.0.0")] {
        let mut command = tiauth(dir.path());
        command.args(["--enable-test-clock", "--port", "0"]);
        if let Some(host) = host {
            command.args(["--host", host]);
        }
        let output = run(&mut command);
        assert_eq!(output.status.code(), Some(2), "{host:?}");
        let message = stderr(&output);
        assert!(message.contains("--enable-test-clock"), "{message}");
        assert!(message.contains("loopback"), "{message}");
    }
    let output = run(tiauth(dir.path()).args([
        "--enable-test-clock",
        "--host",
        "127.0.0.1",
        "--check-config",
    ]));
    assert!(resolved(&output).contains(&"--enable-test-clock=true".to_owned()));
}

#[test]
fn invalid_values_stop_startup_naming_the_variable_and_value() {
    let dir = temp_dir();
    let output = run(tiauth(dir.path()).env("FAROE_SESSION_EXPIRATION", "-1h"));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("FAROE_SESSION_EXPIRATION") && message.contains("\"-1h\""),
        "{message}"
    );

    std::fs::write(dir.path().join("bad.env"), "FAROE_PORT=http\n").expect("write");
    let output = run(tiauth(dir.path()).args(["--env-file", "bad.env"]));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("FAROE_PORT") && message.contains("\"http\""),
        "{message}"
    );

    let output = run(tiauth(dir.path()).env("FAROE_PWNED_PASSWORDS", "sometimes"));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("FAROE_PWNED_PASSWORDS"));
}

/// `tiauth pwned-check` with `password` on stdin.
fn pwned_check(command: &mut Command, password: &str) -> Output {
    let mut child = command
        .arg("pwned-check")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tiauth runs");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes());
    // A configuration error ends the process before it reads stdin; its status and
    // message say so, and the closed pipe is no failure of its own.
    if let Err(error) = written {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().expect("tiauth ends")
}

#[test]
fn pwned_check_looks_a_password_from_stdin_up_in_the_configured_corpus() {
    use sha1::{Digest, Sha1};
    let dir = temp_dir();
    let hash = hex::encode_upper(Sha1::digest(b"password1234"));
    std::fs::write(
        dir.path().join("pwned.txt"),
        format!("0000000000000000000000000000000000000000:3\r\n{hash}:17\r\n"),
    )
    .expect("write the corpus");
    std::fs::write(
        dir.path().join(".env"),
        "FAROE_PWNED_PASSWORDS=file:pwned.txt\n",
    )
    .expect("write .env");
    let output = pwned_check(&mut tiauth(dir.path()), "password1234\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "breached (17)\n");
    assert_eq!(stderr(&output), "");
    let output = pwned_check(&mut tiauth(dir.path()), "a fresh passphrase\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "not found\n");

    let output = pwned_check(
        tiauth(dir.path()).env("FAROE_PWNED_PASSWORDS", "file:elsewhere.txt"),
        "password1234\n",
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("FAROE_PWNED_PASSWORDS")
            && message.contains("elsewhere.txt does not exist"),
        "{message}"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_port_in_use_stops_startup() {
    let dir = temp_dir();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let output = run(tiauth(dir.path()).args(["--host", "127.0.0.1", "--port", &port]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("already in use"), "{message}");
    assert!(message.contains(&port), "{message}");
}

#[test]
fn an_unwritable_storage_path_stops_startup() {
    let dir = temp_dir();
    let output = run(tiauth(dir.path()).args([
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--db-path",
        "no/such/directory/db.sqlite",
    ]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("no/such/directory/db.sqlite"), "{message}");
    assert!(message.contains("storage"), "{message}");
}

fn get(url: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(url)
            .send()
            .await
            .map(|response| response.status().as_u16())
            .expect("request")
    })
}

#[test]
fn the_server_logs_its_startup_and_stops_on_sigterm() {
    let dir = temp_dir();
    let mut server = Running::start(
        tiauth(dir.path())
            .args(["--port", "0", "--enable-reset", "--private-port", "9123"])
            .env("FAROE_DB_PATH", "state.sqlite"),
    );
    server.wait_for("no env file");
    let line = server.wait_for("tiauth listening on");
    assert!(line.contains("state.sqlite"), "{line}");
    assert!(line.contains("http://127.0.0.2:9123"), "{line}");
    assert!(line.contains("reset_endpoint=true"), "{line}");
    assert!(line.contains("storage_file_mode=0600"), "{line}");
    let warning = server.wait_for("non-loopback");
    assert!(warning.contains("WARN"), "{warning}");
    let port = server
        .address()
        .rsplit(':')
        .next()
        .expect("port")
        .to_owned();
    assert_eq!(get(&format!("http://127.0.0.1:{port}/alive")), 200);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let metadata = std::fs::metadata(dir.path().join("state.sqlite")).expect("database");
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    }
    let status = server.terminate();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn no_reset_warning_on_a_loopback_host() {
    let dir = temp_dir();
    let mut server = Running::start(tiauth(dir.path()).args([
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--enable-reset",
    ]));
    let address = server.address();
    assert_eq!(get(&format!("http://{address}/alive")), 200);
    assert_eq!(server.terminate().code(), Some(0));
    assert!(!server.seen.iter().any(|line| line.contains("non-loopback")));
}

/// The SQLite file belongs to one server: a second one started on it stops at once
/// with a failure status and says why, and the first keeps serving.
#[test]
fn a_second_server_on_the_same_sqlite_file_stops_and_says_why() {
    let dir = temp_dir();
    let args = ["--host", "127.0.0.1", "--port", "0"];
    let mut first = Running::start(tiauth(dir.path()).args(args));
    let address = first.address();
    let second = tiauth(dir.path()).args(args).output().expect("second runs");
    let message = stderr(&second);
    assert!(!second.status.success(), "{message}");
    assert!(message.contains("in use by another process"), "{message}");
    assert!(message.contains("db.sqlite"), "{message}");
    assert_eq!(get(&format!("http://{address}/alive")), 200);
    assert_eq!(first.terminate().code(), Some(0));
}

fn start_interactive(dir: &Path) -> Running {
    Running::start(
        tiauth(dir)
            .args(["--host", "127.0.0.1", "--port", "0", "-interactive"])
            .stdin(Stdio::piped()),
    )
}

#[test]
fn the_shell_keeps_the_server_running_after_end_of_input() {
    let dir = temp_dir();
    let mut server = start_interactive(dir.path());
    let address = server.address();
    let mut stdin = server.child.stdin.take().expect("stdin");
    stdin.write_all(b"help\nreset\n").expect("write");
    drop(stdin);
    server.wait_for("interactive shell stopped");
    assert_eq!(get(&format!("http://{address}/alive")), 200);
    assert_eq!(server.terminate().code(), Some(0));
    let mut output = String::new();
    server
        .child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut output)
        .expect("read stdout");
    assert!(
        output.starts_with("Interactive mode started.\nType 'help' for available commands.\n> "),
        "{output}"
    );
    assert!(output.contains("Available commands:"), "{output}");
    assert!(
        output.contains("Storage cleared successfully (auth server only)\n> "),
        "{output}"
    );
}

#[test]
fn exit_in_the_shell_stops_the_process_with_status_0() {
    let dir = temp_dir();
    let mut server = start_interactive(dir.path());
    server.address();
    let mut stdin = server.child.stdin.take().expect("stdin");
    stdin.write_all(b"bogus\nexit\n").expect("write");
    let status = server.child.wait().expect("exit status");
    assert_eq!(status.code(), Some(0));
    let mut output = String::new();
    server
        .child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut output)
        .expect("read stdout");
    assert!(
        output.contains(
            "> Unknown command: bogus (type 'help' for available commands)\n> Exiting...\n"
        ),
        "{output}"
    );
}

#[test]
fn the_storage_url_is_shown_masked_and_a_bad_one_stops_startup() {
    let dir = temp_dir();
    let lines = resolved(&run(tiauth(dir.path()).args([
        "--check-config",
        "--storage-url",
        "postgres://ann:hunter2@db.internal:5432/auth",
    ])));
    assert!(
        has(
            &lines,
            "FAROE_STORAGE_URL=postgres://ann:***@db.internal:5432/auth"
        ),
        "{lines:?}"
    );
    assert!(has(&lines, "storage engine: postgres"), "{lines:?}");
    assert!(!lines.join("\n").contains("hunter2"));

    let output = run(tiauth(dir.path()).env("FAROE_STORAGE_URL", "mongodb://u:hunter2@x/db"));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("FAROE_STORAGE_URL"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn an_unreachable_engine_at_startup_is_status_1_with_the_password_masked() {
    let dir = temp_dir();
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    for url in [
        "postgres://ann:hunter2@127.0.0.1:1/auth",
        "redis://:hunter2@127.0.0.1:1/0",
    ] {
        let output = run(tiauth(dir.path())
            .args(["--port", "0"])
            .env("FAROE_STORAGE_URL", url)
            .env("FAROE_STORAGE_TIMEOUT", "1s"));
        assert_eq!(output.status.code(), Some(1), "{url}");
        let message = stderr(&output);
        assert!(message.contains("cannot open the storage"), "{message}");
        assert!(message.contains("127.0.0.1:1"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
