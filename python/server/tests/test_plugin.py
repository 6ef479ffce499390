"""The pytest plugin, run the way an application's test suite runs it: pytest in a
subprocess on small test files, with the plugin loaded through its entry point."""

import json
import re
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tiauth_faroe.server import mock_backend_path

# Shared by the test files below: one full signup through the stack.
SIGN_UP = '''
def sign_up(client, codes, email, password="a long passphrase nobody guesses 7"):
    created = client.create_signup(email)
    assert created.ok, created
    verified = client.verify_signup_email_address_verification_code(
        created.signup_token, codes.signup_code(email))
    assert verified.ok, verified
    assert client.set_signup_password(created.signup_token, password).ok
    completed = client.complete_signup(created.signup_token)
    assert completed.ok, completed
    return completed
'''


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=300)


def test_a_test_with_only_the_fixtures_runs_a_full_signup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_signup='''
import asyncio

def test_signup(tiauth_client, tiauth_codes):
    created = tiauth_client.create_signup("ann@example.com")
    code = tiauth_codes.signup_code("ann@example.com")
    assert tiauth_client.verify_signup_email_address_verification_code(created.signup_token, code).ok
    assert tiauth_client.set_signup_password(created.signup_token, "correct horse battery 42").ok
    completed = tiauth_client.complete_signup(created.signup_token)
    assert completed.ok, completed
    session = tiauth_client.get_session(completed.session_token)
    assert session.ok and session.session.user_id == completed.session.user_id
    assert [user["email_address"] for user in tiauth_codes.users()] == ["ann@example.com"]

def test_async_client(tiauth_async_client):
    created = asyncio.run(tiauth_async_client.create_signup("bob@example.com"))
    assert created.ok, created
''')
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("policy", "users_seen"),
    [("test", [0, 0, 0]), ("module", [0, 1, 0]), ("session", [0, 1, 2])],
)
def test_reset_policy(pytester: pytest.Pytester, policy: str, users_seen: list) -> None:
    # Each test notes how many users the mock backend has and whether the previous test's
    # session is still known to tiauth, then signs up one more user.
    preamble = SIGN_UP + "import json, os\n"
    test = '''
def test_{name}(tiauth_client, tiauth_codes):
    seen = {{"users": len(tiauth_codes.users())}}
    if os.path.exists("session.txt"):
        seen["session_known"] = tiauth_client.get_session(open("session.txt").read()).ok
    with open("seen.jsonl", "a") as out:
        out.write(json.dumps(seen) + "\\n")
    completed = sign_up(tiauth_client, tiauth_codes, "{name}@example.com")
    open("session.txt", "w").write(completed.session_token)
'''
    pytester.makepyfile(
        test_a=preamble + test.format(name="one") + test.format(name="two"),
        test_b=preamble + test.format(name="three"),
    )
    run(pytester, f"--tiauth-reset={policy}").assert_outcomes(passed=3)
    seen = [json.loads(line) for line in (pytester.path / "seen.jsonl").read_text().splitlines()]
    assert [entry["users"] for entry in seen] == users_seen
    # A reset wipes tiauth's state too: sessions survive exactly when users do.
    assert [entry["session_known"] for entry in seen[1:]] == [n > 0 for n in users_seen[1:]]


def test_reset_policy_from_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntiauth_reset = session\n")
    pytester.makepyfile(test_keep=SIGN_UP + '''
def test_first(tiauth_client, tiauth_codes):
    sign_up(tiauth_client, tiauth_codes, "ann@example.com")

def test_second(tiauth_codes):
    assert len(tiauth_codes.users()) == 1
''')
    run(pytester).assert_outcomes(passed=2)


def test_an_unknown_reset_policy_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntiauth_reset = sometimes\n")
    pytester.makepyfile(test_x="def test_x(): pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*tiauth_reset must be one of test, module, session, got 'sometimes'*"])


def test_a_failing_test_shows_what_the_stack_logged_during_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fault='''
def test_passes(tiauth_client):
    assert tiauth_client.create_signup("ann@example.com").ok

def test_fails(tiauth_client, tiauth_codes):
    tiauth_codes.command("set_fault", target="email", fault={"kind": "http_500"})
    result = tiauth_client.create_signup("bob@example.com")
    assert result.ok, result
''')
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    section = output[output.index("tiauth log (call)"):]
    assert "create_signup" in section  # the internal error, logged with its action
    # Only what was logged during the failing test: not the start-up lines.
    assert "tiauth listening on" not in section
    assert "mock-backend log (call)" in output


def test_everything_is_stopped_at_the_end(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_urls='''
def test_urls(tiauth_url, tiauth_user_server_url):
    open("urls.txt", "w").write(tiauth_url + " " + tiauth_user_server_url)
''')
    run(pytester).assert_outcomes(passed=1)
    urls = (pytester.path / "urls.txt").read_text().split()
    assert [urlsplit(url).hostname for url in urls] == ["127.0.0.1", "127.0.0.2"]
    for url in urls:
        parts = urlsplit(url)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((parts.hostname, parts.port), timeout=5).close()


def test_one_stack_per_xdist_worker(pytester: pytest.Pytester) -> None:
    # Every test signs up the same address: that only works with a stack of its own.
    tests = "".join(f'''
def test_{n}(tiauth_client, tiauth_codes, tiauth_url, worker_id):
    sign_up(tiauth_client, tiauth_codes, "ann@example.com")
    with open("workers.txt", "a") as out:
        out.write(worker_id + " " + tiauth_url + "\\n")
''' for n in range(4))
    pytester.makepyfile(test_workers=SIGN_UP + tests)
    run(pytester, "-n", "2").assert_outcomes(passed=4)
    lines = (pytester.path / "workers.txt").read_text().split("\n")
    url_of = {}
    for worker, url in (line.split() for line in lines if line):
        assert url_of.setdefault(worker, url) == url
    assert len(url_of) == 2 and len(set(url_of.values())) == 2


def test_the_applications_own_user_server(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Any user server on 127.0.0.2 will do; this one is a second mock backend.
    own = subprocess.Popen(
        [str(mock_backend_path()), "--host", "127.0.0.2", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert own.stdout is not None
        line = own.stdout.readline()
        url = "http://" + re.sub(r"^mock-backend listening on http://", "", line.strip())
        pytester.makepyfile(test_own=SIGN_UP + f'''
def test_first(tiauth_client, tiauth_codes, tiauth_user_server_url):
    assert tiauth_user_server_url == "{url}"
    sign_up(tiauth_client, tiauth_codes, "ann@example.com")

def test_second(tiauth_client, tiauth_codes):
    # Resets wipe tiauth only: the application's users stay.
    assert [user["email_address"] for user in tiauth_codes.users()] == ["ann@example.com"]
    assert tiauth_client.create_signup("ann@example.com").error_code == "email_address_already_used"
''')
        run(pytester, "--tiauth-user-server-url", url).assert_outcomes(passed=2)
    finally:
        own.terminate()
        own.wait(10)


def test_a_user_server_url_off_127_0_0_2_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(tiauth_client): pass\n")
    result = run(pytester, "--tiauth-user-server-url", "http://localhost:8079")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*user server URL must be http://127.0.0.2:<port>*'http://localhost:8079'*"])


def test_tiauth_env_sets_server_variables_and_the_callers_are_ignored(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(test_expiry=SIGN_UP + '''
import os

def test_expiry(tiauth_client, tiauth_codes):
    completed = sign_up(tiauth_client, tiauth_codes, "ann@example.com")
    expected_off = os.environ["EXPECT_EXPIRY_OFF"] == "1"
    assert (completed.session.expires_at is None) == expected_off
''')
    # The caller's FAROE_* variables do not reach the stack...
    monkeypatch.setenv("FAROE_SESSION_EXPIRATION", "0")
    monkeypatch.setenv("EXPECT_EXPIRY_OFF", "0")
    run(pytester).assert_outcomes(passed=1)
    # ...tiauth_env does.
    monkeypatch.delenv("FAROE_SESSION_EXPIRATION")
    monkeypatch.setenv("EXPECT_EXPIRY_OFF", "1")
    pytester.makeini("[pytest]\ntiauth_env =\n    FAROE_SESSION_EXPIRATION=0\n")
    run(pytester).assert_outcomes(passed=1)


def test_a_tiauth_that_does_not_start_fails_with_its_output(pytester: pytest.Pytester) -> None:
    broken = pytester.path / "broken-tiauth"
    broken.write_text("#!/bin/sh\necho 'tiauth: cannot open the database' >&2\nexit 3\n")
    broken.chmod(0o755)
    pytester.makepyfile(test_x="def test_x(tiauth_client): pass\n")
    result = run(pytester, "--tiauth-binary", str(broken))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*tiauth exited with status 3 before it was ready*",
        "*tiauth: cannot open the database*",
    ])


def test_tests_without_the_fixtures_start_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain='''
import os

def test_plain(tmp_path_factory):
    assert not list(tmp_path_factory.getbasetemp().glob("tiauth*"))
''')
    run(pytester).assert_outcomes(passed=1)


def test_a_tiauth_binary_that_does_not_exist_is_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(tiauth_client): pass\n")
    result = run(pytester, "--tiauth-binary", "/nonexistent/tiauth")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot run tiauth (/nonexistent/tiauth): *No such file*"])
