"""pytest plugin: a running Tiauth Faroe stack for an application's tests.

Registered through the ``pytest11`` entry point of ``tiauth-faroe-server``, so its
fixtures are there as soon as the wheel is installed. Nothing starts until a test asks
for one of them. See the package's README for the fixtures and settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from .commands import UserServerCommands
from .stack import StackError, TiauthStack, start_stack, user_server_port

RESET_POLICIES = ("test", "module", "session")
_LOG_LINES = 200

_stack_key = pytest.StashKey[TiauthStack]()
_log_offsets_key = pytest.StashKey[Dict[str, int]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tiauth", "Tiauth Faroe test stack (tiauth_faroe.testing)")
    group.addoption(
        "--tiauth-user-server-url", metavar="URL", default=None,
        help="run tiauth in front of this user server (http://127.0.0.2:PORT) instead of "
        "the mock backend [env TIAUTH_USER_SERVER_URL, ini tiauth_user_server_url]",
    )
    group.addoption(
        "--tiauth-reset", choices=RESET_POLICIES, default=None,
        help="wipe the auth state (and the mock backend) before each test (default), each "
        "module, or never during the session [ini tiauth_reset]",
    )
    group.addoption(
        "--tiauth-binary", metavar="PATH", default=None,
        help="tiauth binary to run instead of the installed one [env TIAUTH_BINARY, "
        "ini tiauth_binary]",
    )
    parser.addini(
        "tiauth_user_server_url", "user server URL (http://127.0.0.2:PORT); empty starts "
        "the mock backend", default="",
    )
    parser.addini("tiauth_reset", "test, module or session", default="test")
    parser.addini("tiauth_binary", "tiauth binary to run instead of the installed one", default="")
    parser.addini(
        "tiauth_env", "extra FAROE_* variables for tiauth, one KEY=VALUE per line",
        type="linelist", default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    # Settings are checked up front, so a typo stops the run before any test.
    _reset_policy(config)
    _extra_env(config)
    url = _setting(config, "tiauth_user_server_url", "TIAUTH_USER_SERVER_URL", "tiauth_user_server_url")
    if url:
        try:
            user_server_port(url)
        except ValueError as error:
            raise pytest.UsageError(str(error)) from None


def _setting(config: pytest.Config, option: str, env: Optional[str], ini: str) -> str:
    """Command line, then environment, then ini file; empty means unset."""
    value = config.getoption(option)
    if not value and env is not None:
        value = os.environ.get(env, "")
    if not value:
        value = config.getini(ini)
    return str(value or "")


def _extra_env(config: pytest.Config) -> Dict[str, str]:
    extra: Dict[str, str] = {}
    for line in config.getini("tiauth_env"):
        key, separator, value = line.partition("=")
        if not separator or not key.strip():
            raise pytest.UsageError(f"tiauth_env: expected KEY=VALUE, got {line!r}")
        extra[key.strip()] = value.strip()
    return extra


def _reset_policy(config: pytest.Config) -> str:
    policy = _setting(config, "tiauth_reset", None, "tiauth_reset")
    if policy not in RESET_POLICIES:
        raise pytest.UsageError(f"tiauth_reset must be one of {', '.join(RESET_POLICIES)}, got {policy!r}")
    return policy


@pytest.fixture(scope="session")
def tiauth_app_user_server_url(pytestconfig: pytest.Config) -> Optional[str]:
    """The application's own user server (``http://127.0.0.2:PORT``), or None to start the
    mock backend. From ``--tiauth-user-server-url``, ``TIAUTH_USER_SERVER_URL`` or the ini
    option; override this fixture to start your user server and return its URL."""
    url = _setting(pytestconfig, "tiauth_user_server_url", "TIAUTH_USER_SERVER_URL",
                   "tiauth_user_server_url")
    return url or None


@pytest.fixture(scope="session")
def tiauth_stack(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory,
    tiauth_app_user_server_url: Optional[str],
) -> Iterator[TiauthStack]:
    """The running stack of this session (of this worker under pytest-xdist), with a fresh
    database. Never reset by the plugin; most tests want ``tiauth`` instead."""
    binary = _setting(pytestconfig, "tiauth_binary", "TIAUTH_BINARY", "tiauth_binary")
    try:
        stack = start_stack(
            tmp_path_factory.mktemp("tiauth"),
            user_server_url=tiauth_app_user_server_url,
            env=_extra_env(pytestconfig),
            tiauth_binary=Path(binary) if binary else None,
        )
    # FileNotFoundError: the wheel's binaries are missing; ValueError: a bad URL from an
    # overridden tiauth_app_user_server_url.
    except (StackError, FileNotFoundError, ValueError) as error:
        pytest.fail(str(error), pytrace=False)
    pytestconfig.stash[_stack_key] = stack
    try:
        yield stack
    finally:
        del pytestconfig.stash[_stack_key]
        stack.stop()


@pytest.fixture(scope="session")
def _tiauth_reset_state() -> Dict[str, Any]:
    return {"key": None}


@pytest.fixture
def tiauth(
    request: pytest.FixtureRequest, tiauth_stack: TiauthStack,
    _tiauth_reset_state: Dict[str, Any],
) -> TiauthStack:
    """The stack, reset as configured: before every test (``tiauth_reset = test``, the
    default), whenever a test of another module follows (``module``), or never
    (``session``). A reset wipes all auth state and, when the stack runs the mock backend,
    its users, codes, journals and faults."""
    policy = _reset_policy(request.config)
    key = {"test": request.node.nodeid, "module": str(request.node.path), "session": ""}[policy]
    if _tiauth_reset_state["key"] is not None and _tiauth_reset_state["key"] != key:
        tiauth_stack.reset()
    _tiauth_reset_state["key"] = key
    return tiauth_stack


@pytest.fixture
def tiauth_url(tiauth: TiauthStack) -> str:
    """The auth server's action endpoint, ``http://127.0.0.1:<port>``."""
    return tiauth.url


@pytest.fixture
def tiauth_user_server_url(tiauth: TiauthStack) -> str:
    """The user server the auth server calls, ``http://127.0.0.2:<port>``."""
    return tiauth.user_server_url


@pytest.fixture
def tiauth_client(tiauth: TiauthStack) -> Any:
    """A ``tiauth_faroe.client.HttpSyncClient`` for the stack."""
    client = _client_module()
    return client.HttpSyncClient(tiauth.url, timeout=30)


@pytest.fixture
def tiauth_async_client(tiauth: TiauthStack) -> Any:
    """A ``tiauth_faroe.client.HttpAsyncClient`` for the stack."""
    client = _client_module()
    return client.HttpAsyncClient(tiauth.url, timeout=30)


@pytest.fixture
def tiauth_codes(tiauth: TiauthStack) -> UserServerCommands:
    """Reads the codes e-mailed through the user server (``signup_code(email)``,
    ``email_update_code``, ``temporary_password``, ``code(type, email)``), plus
    ``emails()``, ``users()`` and ``command(name, ...)``. Needs a user server speaking the
    ``/command`` vocabulary: the mock backend or the Python reference server."""
    return tiauth.user_server


def _client_module() -> Any:
    try:
        import tiauth_faroe.client as client
    except ImportError:
        pytest.fail(
            "the tiauth client fixtures need the tiauth-faroe-client package "
            "(pip install ./python/client from the Tiauth Faroe repository)",
            pytrace=False,
        )
    return client


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Where each log stands before the test: a failure shows what the stack logged
    # during it, and nothing for tests that did not touch the stack.
    item.stash[_log_offsets_key] = _log_sizes(item.config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    stack = item.config.stash.get(_stack_key, None)
    if stack is None:
        return
    offsets = item.stash.get(_log_offsets_key, {})
    for name, path in stack.log_paths.items():
        text = _read_from(path, offsets.get(name, 0))
        if text:
            report.sections.append((f"{name} log ({report.when})", text))


def _log_sizes(config: pytest.Config) -> Dict[str, int]:
    stack = config.stash.get(_stack_key, None)
    if stack is None:
        return {}
    return {name: path.stat().st_size for name, path in stack.log_paths.items() if path.exists()}


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            lines: List[str] = log.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    if len(lines) > _LOG_LINES:
        lines = [f"[{len(lines) - _LOG_LINES} earlier lines in {path}]"] + lines[-_LOG_LINES:]
    return "\n".join(lines)
