"""How long N concurrent async calls take against a slow server, per transport.

A local HTTP server answers every action after DELAY ms (threads, so it serves
any number at once). For each async transport it times one call, then N calls
with asyncio.gather, and prints the ratio: about 1 means the calls overlapped
fully, N means they ran one after another. The first row is the floor of this
machine in the same run: a minimal keep-alive client on bare asyncio streams,
with next to no work per call; the gap to it is the transport's own CPU time
per call (multiplied by the calls, on a machine short of CPU).

    python python/bench/async_client_concurrency.py [--calls 50] [--delay-ms 200]

A benchmark, not a test (the test of the same property is
client/tests/test_concurrency.py): it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Tuple, Type

from tiauth_faroe.client import AsyncClient, HttpAsyncClient
from tiauth_faroe.client.http import decode_answer, encode_action_invocation
from tiauth_faroe.client.models import JSONValue
from tiauth_faroe.client.httpx_clients import HttpxAsyncClient

ANSWER = json.dumps({"ok": False, "action_invocation_id": "x" * 24, "error_code": "invalid_session_token"}).encode()


def slow_server(delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # one segment per response (see the reference server)
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(delay)  # the slow server being measured against
            self.send_response(200)
            self.send_header("Content-Length", str(len(ANSWER)))
            self.end_headers()
            self.wfile.write(ANSWER)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

    return Server(("127.0.0.1", 0), Handler)


class StreamsAsyncClient(AsyncClient):
    """The floor: HTTP/1.1 on kept-alive asyncio streams, nothing else."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.idle: List[Tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def send_action_invocation_request(self, _body: JSONValue) -> JSONValue:
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection(*self.address)
        body = encode_action_invocation(_body)
        writer.write(b"POST / HTTP/1.1\r\nHost: bench\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        head = await reader.readuntil(b"\r\n\r\n")
        match = re.search(rb"(?i)content-length: *([0-9]+)", head)
        answer = await reader.readexactly(int(match.group(1)) if match else 0)
        self.idle.append((reader, writer))
        return decode_answer(int(head.split(b" ")[1]), answer)

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def timed(client: AsyncClient, calls: int) -> Tuple[float, float]:
    """Wall time of ``calls`` concurrent calls, and this process's CPU time per call."""
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client.get_session("t") for _ in range(calls)))
    return time.perf_counter() - started, (time.process_time() - cpu) / calls


async def measure(cls: Type[AsyncClient], url: str, calls: int) -> Tuple[float, float, float]:
    client = cls(url)  # type: ignore[call-arg]
    try:
        await timed(client, calls)  # warm-up: connect (and start threads)
        one, _ = await timed(client, 1)
        many, cpu_per_call = await timed(client, calls)
        return one, many, cpu_per_call
    finally:
        if isinstance(client, (HttpxAsyncClient, StreamsAsyncClient)):
            await client.aclose()


def serve(delay: float, ports: "multiprocessing.Queue[int]") -> None:
    server = slow_server(delay)
    ports.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--delay-ms", type=float, default=200.0)
    args = parser.parse_args()
    # The server runs in a process of its own, so its threads do not compete with
    # the client's event loop for this interpreter's lock.
    ports: "multiprocessing.Queue[int]" = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.delay_ms / 1000, ports), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}"
    print(f"{args.calls} concurrent get_session calls, server delay {args.delay_ms:g} ms")
    print(f"{'transport':<24}{'1 call s':>10}{f'{args.calls} calls s':>12}{'ratio':>8}{'client CPU ms/call':>20}")
    transports: List[Tuple[str, Type[AsyncClient]]] = [
        ("asyncio streams (floor)", StreamsAsyncClient),
        ("urllib (threads)", HttpAsyncClient),
        ("httpx (pooled)", HttpxAsyncClient),
    ]
    for name, cls in transports:
        one, many, cpu = asyncio.run(measure(cls, url, args.calls))
        print(f"{name:<24}{one:>10.3f}{many:>12.3f}{many / one:>8.2f}{cpu * 1000:>20.2f}")
    server.terminate()
    server.join()


if __name__ == "__main__":
    main()
