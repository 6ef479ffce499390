"""The httpx async transport has 50 calls in flight at once.

The fake server holds every request until 50 are waiting together (a barrier),
then answers them all; a request that waits in vain (the client ran fewer at
once) gets 503 once the barrier's timeout has passed. So the 50 calls succeed
only if they are all sent concurrently, which is what makes 50 slow calls take
one call's time (the time itself is measured by bench/async_client_concurrency.py,
not here). A client whose pool is capped at 10 connections shows that the
server does tell the difference.
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, List, Optional

import httpx
import pytest

from tiauth_faroe.client import ActionInvocationHTTPError, GetSessionActionSuccessResult
from tiauth_faroe.client.httpx_clients import HttpxAsyncClient, ShardedAsyncTransport

from recorded import success_response

CALLS = 50
#: Bounds the wait of a request whose 49 companions never come. Generous, since
#: the successful path never waits it out.
BARRIER_TIMEOUT_SECONDS = 20.0


class GatheringServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, barrier_timeout: float) -> None:
        super().__init__(("127.0.0.1", 0), GatheringHandler)
        self.barrier = threading.Barrier(CALLS, timeout=barrier_timeout)
        self.lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0
        self.connections = 0
        self.body = json.dumps(success_response("session", None)).encode()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class GatheringHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: GatheringServer

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

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
        with self.server.lock:
            self.server.waiting -= 1
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def running(barrier_timeout: float) -> Iterator[GatheringServer]:
    srv = GatheringServer(barrier_timeout)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


@pytest.fixture
def server() -> Iterator[GatheringServer]:
    yield from running(BARRIER_TIMEOUT_SECONDS)


@pytest.fixture
def impatient_server() -> Iterator[GatheringServer]:
    # Only for the capped client, whose first ten requests must wait it out.
    yield from running(0.5)


async def bursts(client: HttpxAsyncClient, count: int) -> List[Any]:
    results: List[Any] = []
    async with client:
        for _ in range(count):
            results += await asyncio.gather(
                *(client.get_session(f"token-{i}") for i in range(CALLS)), return_exceptions=True
            )
    return results


def test_fifty_concurrent_async_calls_are_in_flight_together(server: GatheringServer) -> None:
    # Default settings: the pool neither caps the calls below 50 nor drops the
    # connections of one burst before the next.
    results = asyncio.run(bursts(HttpxAsyncClient(server.url()), 2))
    assert [type(result) for result in results] == [GetSessionActionSuccessResult] * 2 * CALLS
    assert server.most_waiting == CALLS
    assert server.connections == CALLS


def test_a_pool_capped_below_fifty_cannot_gather_them(impatient_server: GatheringServer) -> None:
    capped = HttpxAsyncClient(impatient_server.url(), limits=httpx.Limits(max_connections=10))
    results = asyncio.run(bursts(capped, 1))
    statuses: List[Optional[int]] = [
        result.status_code if isinstance(result, ActionInvocationHTTPError) else None for result in results
    ]
    assert statuses == [503] * CALLS
    # At most the cap: how many of the ten arrive within the short wait depends
    # on the machine's load.
    assert 1 <= impatient_server.most_waiting <= 10


@pytest.mark.parametrize(
    "limits,pools,connections,kept_alive",
    [
        (None, 16, 100, 100),
        (httpx.Limits(max_connections=10, max_keepalive_connections=5), 10, 10, 5),
        (httpx.Limits(max_connections=37, max_keepalive_connections=None), 16, 37, None),
        (httpx.Limits(max_connections=None), 16, None, None),
    ],
)
def test_the_sharded_transport_splits_the_limits_exactly(
    limits: Optional[httpx.Limits], pools: int, connections: Optional[int], kept_alive: Optional[int]
) -> None:
    client = HttpxAsyncClient("http://127.0.0.1:1", limits=limits)
    transport = client.client._transport
    assert isinstance(transport, ShardedAsyncTransport)
    shards = transport.shard_limits
    assert len(shards) == len(transport.pools) == pools

    def total(values: List[Optional[int]]) -> Optional[int]:
        return None if any(value is None for value in values) else sum(v or 0 for v in values)

    assert total([shard.max_connections for shard in shards]) == connections
    assert total([shard.max_keepalive_connections for shard in shards]) == kept_alive
    asyncio.run(client.aclose())
