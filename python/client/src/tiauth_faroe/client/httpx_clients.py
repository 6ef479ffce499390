"""Pooled HTTP transports on ``httpx`` (install the ``httpx`` extra).

``HttpxSyncClient`` and ``HttpxAsyncClient`` keep connections alive in a pool
(``limits``, default :data:`DEFAULT_LIMITS`: 100 connections, all kept alive)
and apply ``timeout`` to connecting,
reading, writing and waiting for a pooled connection. Answers are handled as by
:mod:`tiauth_faroe.client.http`: 400 raises :class:`ActionInvocationRejectedError`,
other non-200 statuses :class:`ActionInvocationHTTPError`, and transport errors
are httpx's own (``httpx.ConnectError``, ``httpx.TimeoutException``, ...).

Close them when done (``close()`` / ``await aclose()``, or use them as context
managers), or pass an ``httpx`` client of your own, which you then close.
"""

from __future__ import annotations

from types import TracebackType
from typing import Mapping, Optional, Type

import httpx

from .clients import AsyncClient, SyncClient
from .http import (
    DEFAULT_TIMEOUT_SECONDS,
    REQUEST_HEADERS,
    decode_answer,
    encode_action_invocation,
    normalise_url,
)
from .models import JSONValue

__all__ = ["DEFAULT_LIMITS", "HttpxSyncClient", "HttpxAsyncClient", "ShardedAsyncTransport"]

#: Up to 100 calls in flight at once, and every connection of a burst kept for
#: the next one (httpx's own default keeps 20, so a burst of 50 would open 30
#: new connections each time). A bare ``httpx.Limits()`` means no limit at all.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """``limits`` spread over several httpx connection pools; each request goes
    to the pool with the fewest requests in flight.

    httpcore's pool rescans all its connections for every waiting request on
    each request and response, so a single pool with 50 calls in flight spends
    about 9 ms of CPU per call (measured by bench/async_client_concurrency.py)
    and 50 concurrent calls take several times one call's time on a busy CPU.
    Pools of a few connections each keep that near httpx's base cost of under
    1 ms per call."""

    def __init__(self, limits: httpx.Limits = DEFAULT_LIMITS, shards: int = 16) -> None:
        total = limits.max_connections
        count = max(1, min(shards, total)) if total is not None else shards

        def share(limit: Optional[int], index: int) -> Optional[int]:
            if limit is None:
                return None
            quotient, remainder = divmod(limit, count)
            return quotient + (1 if index < remainder else 0)

        self.shard_limits = [
            httpx.Limits(
                max_connections=share(limits.max_connections, index),
                max_keepalive_connections=share(limits.max_keepalive_connections, index),
                keepalive_expiry=limits.keepalive_expiry,
            )
            for index in range(count)
        ]
        tls = httpx.create_ssl_context()  # one for all: each takes milliseconds to make
        self.pools = [
            httpx.AsyncHTTPTransport(verify=tls, limits=shard) for shard in self.shard_limits
        ]
        self.in_flight = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self.pools)), key=self.in_flight.__getitem__)
        self.in_flight[index] += 1
        try:  # counted until the headers are in: the bodies here are small
            return await self.pools[index].handle_async_request(request)
        finally:
            self.in_flight[index] -= 1

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()


def _headers(headers: Optional[Mapping[str, str]]) -> dict[str, str]:
    return {**REQUEST_HEADERS, **(headers or {})}


class HttpxSyncClient(SyncClient):
    """:class:`SyncClient` over a pooled ``httpx.Client``."""

    def __init__(
        self,
        base_url: str,
        timeout: Optional[float] = DEFAULT_TIMEOUT_SECONDS,
        headers: Optional[Mapping[str, str]] = None,
        *,
        limits: Optional[httpx.Limits] = None,
        client: Optional[httpx.Client] = None,
    ) -> None:
        self.url = normalise_url(base_url)
        self.headers = _headers(headers)
        self._owns_client = client is None
        self.client = client or httpx.Client(
            timeout=timeout, limits=limits or DEFAULT_LIMITS
        )

    def send_action_invocation_request(self, body: JSONValue) -> JSONValue:
        response = self.client.post(
            self.url, content=encode_action_invocation(body), headers=self.headers
        )
        return decode_answer(response.status_code, response.content)

    def close(self) -> None:
        """Closes the pool (unless the ``httpx.Client`` was passed in)."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> HttpxSyncClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


class HttpxAsyncClient(AsyncClient):
    """:class:`AsyncClient` over a pooled ``httpx.AsyncClient``: concurrent calls
    share the pool instead of waiting for worker threads. Its own client spreads
    ``limits`` over a :class:`ShardedAsyncTransport`."""

    def __init__(
        self,
        base_url: str,
        timeout: Optional[float] = DEFAULT_TIMEOUT_SECONDS,
        headers: Optional[Mapping[str, str]] = None,
        *,
        limits: Optional[httpx.Limits] = None,
        client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        self.url = normalise_url(base_url)
        self.headers = _headers(headers)
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=timeout, transport=ShardedAsyncTransport(limits or DEFAULT_LIMITS)
        )

    async def send_action_invocation_request(self, _body: JSONValue) -> JSONValue:
        response = await self.client.post(
            self.url, content=encode_action_invocation(_body), headers=self.headers
        )
        return decode_answer(response.status_code, response.content)

    async def aclose(self) -> None:
        """Closes the pool (unless the ``httpx.AsyncClient`` was passed in)."""
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> HttpxAsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.aclose()
