"""The example against a real tiauth: signup with the e-mailed code, session
cookie, /api/me, signout, signin (wrong and right password).

tiauth is the binary in TIAUTH_BIN (default: the workspace's target/debug/tiauth,
built by `cargo build --bin tiauth`). The test binds both of the example's sockets
first (port 0), so tiauth can be told the user server's port and nothing waits for
a server to come up: connections queue in the listen backlog until it serves.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import threading
from pathlib import Path
from typing import Iterator, Tuple

import httpx
import pytest

from main import Example, build, listen, serve

REPOSITORY = Path(__file__).resolve().parents[4]
TIAUTH_BIN = Path(os.environ.get("TIAUTH_BIN", REPOSITORY / "target" / "debug" / "tiauth"))
LISTENING = re.compile(r"tiauth listening on (http://[0-9.]+:[0-9]+)")


def start_tiauth(private_port: int, db_path: Path) -> Tuple[subprocess.Popen[str], str]:
    if not TIAUTH_BIN.is_file():
        pytest.fail(f"{TIAUTH_BIN} not found: run `cargo build --bin tiauth` or set TIAUTH_BIN")
    process = subprocess.Popen(
        [str(TIAUTH_BIN), "--env-file", "/dev/null", "--host", "127.0.0.1", "--port", "0",
         "--private-port", str(private_port), "--db-path", str(db_path)],
        env={**os.environ, "FAROE_PWNED_PASSWORDS": "off", "FAROE_LOG": "info", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # until it says where it listens (or exits)
        seen.append(line)
        match = LISTENING.search(line)
        if match:
            # Keep draining its output so it never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout or []], daemon=True).start()
            return process, match.group(1)
    process.wait()
    pytest.fail("tiauth exited before listening:\n" + "".join(seen))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Tuple[Example, str]]:
    public, private = listen("127.0.0.1", 0), listen("127.0.0.2", 0)
    tiauth, tiauth_url = start_tiauth(private.getsockname()[1], tmp_path / "tiauth.sqlite")
    example = build(tiauth_url, str(tmp_path / "example.sqlite"), secure_cookies=False)
    thread = threading.Thread(target=asyncio.run, args=(serve(example, [public], [private]),))
    thread.start()
    try:
        yield example, f"http://127.0.0.1:{public.getsockname()[1]}"
    finally:
        example.public.should_exit = example.private.should_exit = True
        thread.join(timeout=30)
        tiauth.terminate()
        tiauth.wait(timeout=30)
        example.database.close()


def test_signup_session_signout_signin(stack: Tuple[Example, str]) -> None:
    example, url = stack
    email = f"user-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(18)
    with httpx.Client(base_url=url, timeout=60) as web:
        assert web.get("/api/me").status_code == 401

        started = web.post("/api/signup", json={"email": email})
        assert started.status_code == 200, started.text
        assert started.json() == {"email_address": email}
        [(kind, code)] = example.outbox.sent(email)
        assert kind == "signup_verification" and code

        wrong = web.post("/api/signup/verify", json={"code": "00000000" if code != "00000000" else "11111111"})
        assert (wrong.status_code, wrong.json()) == (400, {"detail": "incorrect_email_address_verification_code"})
        assert web.post("/api/signup/verify", json={"code": code}).status_code == 200
        assert web.post("/api/signup/password", json={"password": password}).status_code == 200
        completed = web.post("/api/signup/complete")
        assert completed.status_code == 200, completed.text
        user_id = completed.json()["user_id"]
        assert "session_token" in web.cookies and "signup_token" not in web.cookies

        me = web.get("/api/me")
        assert (me.status_code, me.json()) == (200, {"user_id": user_id, "email_address": email})

        assert web.post("/api/signout").json() == {"signed_out": True}
        assert web.get("/api/me").status_code == 401

        refused = web.post("/api/signin", json={"email": email, "password": password + "x"})
        assert (refused.status_code, refused.json()) == (400, {"detail": "incorrect_password"})
        signed_in = web.post("/api/signin", json={"email": email, "password": password})
        assert (signed_in.status_code, signed_in.json()) == (200, {"user_id": user_id})
        assert web.get("/api/me").json()["email_address"] == email
        # tiauth told the user about the signin through the user server's /email.
        assert [kind for kind, _ in example.outbox.sent(email)] == ["signup_verification", "signin_notification"]
