"""Load benchmark of the Python reference user server behind tiauth.

Starts the reference server (``python -m tiauth_faroe.sync_reference_server``) and
tiauth on free loopback ports, makes one user and session through the real
signup flow, then drives ``get_session`` (one ``get_user`` call to the reference
server each, with tiauth's user cache off) from CONCURRENCY clients, each with one
keep-alive connection and one request in flight, for SECONDS. ``GET /alive`` at the
same concurrency is measured first: the ceiling of tiauth and this load generator
on this machine, which the get_session figures are given against; the same
get_session load with the Rust mock-backend as user server (when its binary is
next to tiauth's, or MOCK_BACKEND_BIN) is the baseline of a fast user server.

    python python/bench/reference_server_load.py [--concurrency 64] [--seconds 10]

tiauth is TIAUTH_BIN (default: target/debug/tiauth; a release build gives higher
figures). It is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from tiauth_faroe.client import ActionErrorResult, HttpSyncClient

REPOSITORY = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"tiauth listening on http://([0-9.]+):([0-9]+)")


def drain(process: "subprocess.Popen[str]") -> None:
    threading.Thread(target=lambda: [None for _ in process.stdout or []], daemon=True).start()


def start_user_server(command: List[str]) -> Tuple["subprocess.Popen[str]", int]:
    """Starts a user server on 127.0.0.2, port 0, and reads the port it prints."""
    process = subprocess.Popen(
        command + ["--host", "127.0.0.2", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(?:Server running on |listening on http://)[0-9.]+:([0-9]+)", line)
    if match is None:
        raise SystemExit(f"{command[0]} did not start: {line}")
    drain(process)
    return process, int(match.group(1))


def start_tiauth(binary: Path, private_port: int, db: Path) -> Tuple["subprocess.Popen[str]", int]:
    process = subprocess.Popen(
        [str(binary), "--env-file", "/dev/null", "--host", "127.0.0.1", "--port", "0",
         "--private-port", str(private_port), "--db-path", str(db)],
        env={**os.environ, "FAROE_PWNED_PASSWORDS": "off", "FAROE_LOG": "info",
             "FAROE_SESSION_USER_CACHE": "0", "NO_COLOR": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        match = LISTENING.search(line)
        if match:
            drain(process)
            return process, int(match.group(2))
    raise SystemExit("tiauth exited before listening")


def make_session(auth_url: str, user_server_url: str) -> str:
    client = HttpSyncClient(auth_url)
    email = "bench@example.com"
    signup = client.create_signup(email)
    assert not isinstance(signup, ActionErrorResult), signup
    request = json.dumps({"command": "get_token", "action": "signup_verification", "email": email})
    import urllib.request
    with urllib.request.urlopen(urllib.request.Request(
        user_server_url + "/command", data=request.encode(), method="POST",
        headers={"Content-Type": "application/json"})) as response:
        code = json.loads(response.read())["code"]
    for result in (
        client.verify_signup_email_address_verification_code(signup.signup_token, code),
        client.set_signup_password(signup.signup_token, "a long bench password 1234"),
    ):
        assert not isinstance(result, ActionErrorResult), result
    completed = client.complete_signup(signup.signup_token)
    assert not isinstance(completed, ActionErrorResult), completed
    return completed.session_token


async def one_client(port: int, request: bytes, expect: bytes, deadline: float,
                     latencies: List[float], errors: Dict[str, int]) -> None:
    reader: Optional[asyncio.StreamReader] = None
    writer: Optional[asyncio.StreamWriter] = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *([0-9]+)", head).group(1))  # type: ignore[union-attr]
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or expect not in body:
                errors["bad answer"] = errors.get("bad answer", 0) + 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def run_load(port: int, request: bytes, expect: bytes, concurrency: int, seconds: float) -> Dict[str, float]:
    latencies: List[float] = []
    errors: Dict[str, int] = {}

    async def go() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(one_client(port, request, expect, deadline, latencies, errors)
                               for _ in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(go())
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"requests": len(latencies), "rate": len(latencies) / elapsed, "p50": percentile(0.50),
            "p99": percentile(0.99), "max": latencies[-1] * 1000 if latencies else float("nan"),
            "errors": sum(errors.values()), "error_kinds": errors}  # type: ignore[dict-item]


def measure(user_server: List[str], binary: Path, work: Path, concurrency: int,
            seconds: float, with_ceiling: bool) -> Dict[str, Dict[str, float]]:
    """The rows measured against one tiauth + user server pair."""
    server, user_port = start_user_server(user_server)
    tiauth, auth_port = start_tiauth(binary, user_port, work / f"tiauth-{user_port}.sqlite")
    rows = {}
    try:
        token = make_session(f"http://127.0.0.1:{auth_port}", f"http://127.0.0.2:{user_port}")
        body = json.dumps({"action": "get_session", "arguments": {"session_token": token}}).encode()
        get_session = (b"POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                       b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        warm_up = min(1.0, seconds / 5)
        if with_ceiling:
            alive = b"GET /alive HTTP/1.1\r\nHost: bench\r\n\r\n"
            run_load(auth_port, alive, b"", concurrency, warm_up)
            rows["alive"] = run_load(auth_port, alive, b"", concurrency, seconds)
        run_load(auth_port, get_session, b'"ok":true', concurrency, warm_up)
        rows["get_session"] = run_load(auth_port, get_session, b'"ok":true', concurrency, seconds)
    finally:
        for process in (tiauth, server):
            process.terminate()
            process.wait()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    binary = Path(os.environ.get("TIAUTH_BIN", REPOSITORY / "target" / "debug" / "tiauth"))
    mock = Path(os.environ.get("MOCK_BACKEND_BIN", binary.parent / "mock-backend"))
    print(f"tiauth {binary} | concurrency {args.concurrency}, {args.seconds:g} s per row")
    table = []
    with tempfile.TemporaryDirectory() as work:
        reference = measure([sys.executable, "-m", "tiauth_faroe.sync_reference_server", "--quiet"],
                            binary, Path(work), args.concurrency, args.seconds, with_ceiling=True)
        table.append(("GET /alive (ceiling)", reference["alive"]))
        table.append(("get_session, reference server", reference["get_session"]))
        if mock.is_file():
            baseline = measure([str(mock)], binary, Path(work), args.concurrency, args.seconds,
                               with_ceiling=False)
            table.append(("get_session, Rust mock-backend", baseline["get_session"]))
    ceiling = table[0][1]["rate"]
    print(f"{'row':<34}{'req/s':>9}{'vs alive':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'conn. errors':>14}")
    for name, row in table:
        print(f"{name:<34}{row['rate']:>9.0f}{row['rate'] / ceiling:>10.2f}{row['p50']:>9.1f}"
              f"{row['p99']:>9.1f}{row['max']:>9.1f}{row['errors']:>14.0f}")
        if row["error_kinds"]:
            print(f"    errors: {row['error_kinds']}")


if __name__ == "__main__":
    main()
