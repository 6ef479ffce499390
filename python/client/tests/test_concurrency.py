"""The httpx async transport has 50 calls in flight at once.

The fake server holds every request until 50 are waiting together (a barrier),
then answers them all; a request that waits in vain (the client ran fewer at
once) gets 503 after the barrier's timeout. So the 50 calls succeed only if they
are all sent concurrently, which is what makes 50 slow calls take one call's time.
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, List

import pytest

from tiauth_faroe.client import GetSessionActionSuccessResult
from tiauth_faroe.client.httpx_clients import HttpxAsyncClient

from recorded import success_response

CALLS = 50
BARRIER_TIMEOUT_SECONDS = 20.0


class GatheringServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GatheringHandler)
        self.barrier = threading.Barrier(CALLS, timeout=BARRIER_TIMEOUT_SECONDS)
        self.lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0
        self.body = json.dumps(success_response("session", None)).encode()


class GatheringHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: GatheringServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.waiting += 1
            self.server.most_waiting = max(self.server.most_waiting, self.server.waiting)
        try:
            self.server.barrier.wait()
            status, body = 200, self.server.body
        except threading.BrokenBarrierError:
            status, body = 503, b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[GatheringServer]:
    srv = GatheringServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


def test_fifty_concurrent_async_calls_are_in_flight_together(server: GatheringServer) -> None:
    async def go() -> List[Any]:
        async with HttpxAsyncClient(f"http://127.0.0.1:{server.server_address[1]}") as client:
            return await asyncio.gather(*(client.get_session(f"token-{i}") for i in range(CALLS)))

    results = asyncio.run(go())
    assert all(isinstance(result, GetSessionActionSuccessResult) for result in results)
    assert server.most_waiting == CALLS
