"""Starting and stopping a test stack: ``tiauth`` in front of a user server.

Everything here goes through the binaries' public command lines (flags and ``FAROE_*``
variables of the server's README), so it works with any installed ``tiauth``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Dict, List, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from tiauth_faroe.server import binary_path, mock_backend_path

from .commands import UserServerCommands, open_url

#: The auth server calls its user server on this address (``FAROE_PRIVATE_PORT`` sets
#: only the port), so the user server must listen there.
USER_SERVER_HOST = "127.0.0.2"
AUTH_SERVER_HOST = "127.0.0.1"

# Variables the stack always sets: offline password checks, and an empty env file so an
# application's own `.env` in the working directory never leaks into its tests.
_BASE_ENV = {"FAROE_PWNED_PASSWORDS": "off"}
_MOCK_READY_PREFIX = "mock-backend listening on http://"
_PORT_ATTEMPTS = 5


class StackError(RuntimeError):
    """A binary of the stack failed to start, or did not become ready in time."""


class _Process:
    """A child process whose output (stdout and stderr) is copied to a log file."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path,
        ready_prefix: Optional[str] = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        self._ready_prefix = ready_prefix
        self.ready_line: Optional[str] = None
        self._line_seen = threading.Event()
        self._log: IO[bytes] = open(log_path, "ab")
        self._log.write(f"$ {' '.join(argv)}\n".encode())
        self._log.flush()
        try:
            self.popen = subprocess.Popen(
                list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                # Its own process group: a Ctrl-C in the terminal reaches pytest only,
                # which then stops the stack in order.
                start_new_session=True,
            )
        except OSError as error:
            self._log.close()
            raise StackError(f"cannot run {name} ({argv[0]}): {error}") from None
        self._reader = threading.Thread(target=self._copy_output, name=f"{name}-log", daemon=True)
        self._reader.start()

    def _copy_output(self) -> None:
        assert self.popen.stdout is not None
        for line in iter(self.popen.stdout.readline, b""):
            self._log.write(line)
            self._log.flush()
            if self.ready_line is None and self._ready_prefix is not None:
                text = line.decode("utf-8", errors="replace").strip()
                if text.startswith(self._ready_prefix):
                    self.ready_line = text
                    self._line_seen.set()
        self._line_seen.set()  # end of output: the process is gone

    def wait_for_ready_line(self, timeout: float) -> Optional[str]:
        """The first output line starting with ``ready_prefix``; None if the process
        ended or the time ran out first."""
        if self._line_seen.wait(timeout) and self.ready_line is None:
            try:  # the output ended: let the process finish, for its exit status
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                pass
        return self.ready_line

    def exited(self) -> Optional[int]:
        """The exit status once the process has ended and its output is all in the log."""
        status = self.popen.poll()
        if status is not None:
            self._reader.join(5)
        return status

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()  # SIGTERM: both binaries shut down gracefully
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._reader.join(timeout)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


class TiauthStack:
    """A running ``tiauth`` and its user server.

    ``url`` is the auth server's action endpoint (``http://127.0.0.1:<port>``),
    ``user_server_url`` its user server (``http://127.0.0.2:<port>``): the mock backend the
    stack started (``owns_user_server``) or the one it was given.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db_path = directory / "tiauth.sqlite"
        self.url = ""
        self.user_server_url = ""
        self.owns_user_server = False
        self._processes: List[_Process] = []

    @property
    def log_paths(self) -> Dict[str, Path]:
        """Log file of each process the stack started, by name (``tiauth``, ``mock-backend``)."""
        return {process.name: process.log_path for process in self._processes}

    @property
    def user_server(self) -> UserServerCommands:
        """The user server's ``/command`` vocabulary (the mock backend and the Python
        reference server speak it)."""
        return UserServerCommands(self.user_server_url)

    def reset(self) -> None:
        """Wipes all auth state (``POST /reset``) and, for the mock backend this stack
        started, its users, codes, journals and faults (``clear_all``). A user server of
        the application's own is left alone."""
        _post(self.url + "/reset", b"")
        if self.owns_user_server:
            self.user_server.clear_all()

    def stop(self) -> None:
        """Stops the processes, the auth server first. Safe to call twice."""
        while self._processes:
            self._processes.pop().stop()

    def __enter__(self) -> "TiauthStack":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start_mock_backend(self, binary: Path, env: Mapping[str, str], timeout: float) -> None:
        process = _Process(
            "mock-backend",
            [str(binary), "--host", USER_SERVER_HOST, "--port", "0"],
            env, self.directory / "mock-backend.log", ready_prefix=_MOCK_READY_PREFIX,
        )
        self._processes.append(process)
        line = process.wait_for_ready_line(timeout)
        if line is None:
            raise StackError(_failure("mock-backend", process, timeout))
        self.user_server_url = "http://" + line[len(_MOCK_READY_PREFIX):].strip()
        self.owns_user_server = True

    def _start_tiauth(
        self, binary: Path, private_port: int, env: Mapping[str, str], timeout: float,
    ) -> None:
        env_file = self.directory / "tiauth.env"
        env_file.write_text("# empty: the test stack sets everything on the command line\n")
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = _free_port(AUTH_SERVER_HOST)
            argv = [
                str(binary), "--env-file", str(env_file), "--enable-reset",
                "--host", AUTH_SERVER_HOST, "--port", str(port),
                "--private-port", str(private_port), "--db-path", str(self.db_path),
            ]
            process = _Process("tiauth", argv, env, self.directory / "tiauth.log")
            self._processes.append(process)
            url = f"http://{AUTH_SERVER_HOST}:{port}"
            if _wait_alive(url, process, timeout):
                self.url = url
                return
            # The free port was taken between our probe and the server's bind: try another.
            if process.exited() == 1 and "already in use" in process.log_tail(5):
                if attempt < _PORT_ATTEMPTS:
                    self._processes.pop().stop()
                    continue
            raise StackError(_failure("tiauth", process, timeout))


def start_stack(
    directory: Path,
    *,
    user_server_url: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    tiauth_binary: Optional[Path] = None,
    timeout: float = 30.0,
) -> TiauthStack:
    """Starts ``tiauth`` on a free port of 127.0.0.1 with a fresh SQLite file in
    ``directory`` and ``POST /reset`` enabled, in front of ``user_server_url``
    (``http://127.0.0.2:<port>``) or, when that is None, of a ``mock-backend`` started on a
    free port of 127.0.0.2. Returns when ``GET /alive`` answers.

    ``env`` adds ``FAROE_*`` variables (e.g. ``FAROE_SESSION_EXPIRATION``); ``FAROE_*``
    variables of the calling environment are not passed on, so tests see the same server
    wherever they run. Logs go to ``directory/<name>.log``. Raises :class:`StackError`
    (with the log's tail) when a process fails to start within ``timeout`` seconds.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("tiauth.sqlite*"):  # a fresh database, even in a used directory
        leftover.unlink()
    child_env = {key: value for key, value in os.environ.items() if not key.startswith("FAROE_")}
    child_env.update(_BASE_ENV)
    child_env.update(env or {})
    stack = TiauthStack(directory)
    try:
        if user_server_url is None:
            stack._start_mock_backend(mock_backend_path(), child_env, timeout)
        else:
            stack.user_server_url = user_server_url.rstrip("/")
        private_port = user_server_port(stack.user_server_url)
        stack._start_tiauth(tiauth_binary or binary_path(), private_port, child_env, timeout)
    except BaseException:
        stack.stop()
        raise
    return stack


def user_server_port(url: str) -> int:
    """The port of a user server URL; it must be ``http://127.0.0.2:<port>``, the only
    address the auth server calls."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != USER_SERVER_HOST or not parts.port:
        raise ValueError(
            f"user server URL must be http://{USER_SERVER_HOST}:<port> (the auth server "
            f"calls its user server on {USER_SERVER_HOST}), got {url!r}"
        )
    return parts.port


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _wait_alive(url: str, process: _Process, timeout: float) -> bool:
    """Polls ``GET /alive`` until it answers 200 (True), the process ends or the time runs
    out (False). A server binding its port has no other signal to wait on."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline and process.exited() is None:
        try:
            with open_url(urllib.request.Request(url + "/alive"), timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    return False


def _failure(name: str, process: _Process, timeout: float) -> str:
    status = process.exited()
    if status is None:
        what = f"{name} did not become ready within {timeout:g} s"
    else:
        what = f"{name} exited with status {status} before it was ready"
    return f"{what}; end of {process.log_path}:\n{process.log_tail()}"


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with open_url(request, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise StackError(f"POST {url} answered {error.code}") from None
