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

    python python/bench/reference_server_load.py [--concurrency 64] [--seconds 10] [--wrk]

tiauth is TIAUTH_BIN (default: target/debug/tiauth; a release build,
``cargo build --release -p tiauth-faroe``, gives higher figures). With --wrk the
load comes from wrk (one thread per core, CONCURRENCY connections) instead of
this process's asyncio clients, which leaves more of a small machine's CPU to the
servers; a get_session answer without ``"ok":true`` counts as an error either way.
It is a benchmark, not a test: it prints figures and asserts nothing.
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


WRK_SCRIPT = """
wrk.method = "%(method)s"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, %(expect)s, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("RESULT %%d %%f %%f %%f %%f %%d %%d %%d %%d %%d\\n",
    summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, total))
end
"""


def lua_string(text: bytes) -> str:
    return '"' + "".join(f"\\{byte:03d}" for byte in text) + '"'


def run_wrk(port: int, path: str, body: Optional[bytes], expect: bytes, concurrency: int,
            seconds: float, work: Path) -> Dict[str, float]:
    script = work / "bench.lua"
    script.write_text(WRK_SCRIPT % {"method": "POST" if body is not None else "GET",
                                    "body": lua_string(body) if body is not None else "nil",
                                    "expect": lua_string(expect)})
    output = subprocess.run(
        ["wrk", "-t", str(os.cpu_count() or 1), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True).stdout
    fields = next(line for line in output.splitlines() if line.startswith("RESULT ")).split()[1:]
    requests, p50, p99, most, duration = (float(field) for field in fields[:5])
    connect, read, write, timeout, bad = (int(field) for field in fields[5:])
    kinds = {name: count for name, count in (("connect", connect), ("read", read), ("write", write),
                                             ("timeout", timeout), ("bad answer", bad)) if count}
    return {"requests": requests, "rate": requests / duration, "p50": p50, "p99": p99, "max": most,
            "errors": connect + read + write + timeout + bad, "error_kinds": kinds}  # type: ignore[dict-item]


def measure(user_server: List[str], binary: Path, work: Path, concurrency: int,
            seconds: float, with_ceiling: bool, wrk: bool = False) -> Dict[str, Dict[str, float]]:
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

        def load(request: bytes, path: str, body: Optional[bytes], expect: bytes,
                 duration: float) -> Dict[str, float]:
            if wrk:
                return run_wrk(auth_port, path, body, expect, concurrency, duration, work)
            return run_load(auth_port, request, expect, concurrency, duration)

        if with_ceiling:
            alive = b"GET /alive HTTP/1.1\r\nHost: bench\r\n\r\n"
            load(alive, "/alive", None, b"", warm_up)
            rows["alive"] = load(alive, "/alive", None, b"", seconds)
        load(get_session, "/", body, b'"ok":true', warm_up)
        rows["get_session"] = load(get_session, "/", body, b'"ok":true', seconds)
    finally:
        for process in (tiauth, server):
            process.terminate()
            process.wait()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--wrk", action="store_true", help="generate the load with wrk")
    args = parser.parse_args()
    binary = Path(os.environ.get("TIAUTH_BIN", REPOSITORY / "target" / "debug" / "tiauth"))
    mock = Path(os.environ.get("MOCK_BACKEND_BIN", binary.parent / "mock-backend"))
    print(f"tiauth {binary} | concurrency {args.concurrency}, {args.seconds:g} s per row, "
          f"load from {'wrk' if args.wrk else 'asyncio clients'}")
    table = []
    with tempfile.TemporaryDirectory() as work:
        reference = measure([sys.executable, "-m", "tiauth_faroe.sync_reference_server", "--quiet"],
                            binary, Path(work), args.concurrency, args.seconds, with_ceiling=True,
                            wrk=args.wrk)
        table.append(("GET /alive (ceiling)", reference["alive"]))
        table.append(("get_session, reference server", reference["get_session"]))
        if mock.is_file():
            baseline = measure([str(mock)], binary, Path(work), args.concurrency, args.seconds,
                               with_ceiling=False, wrk=args.wrk)
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
