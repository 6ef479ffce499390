"""Pooled HTTP transports on ``httpx`` (install the ``httpx`` extra).

``HttpxSyncClient`` and ``HttpxAsyncClient`` keep connections alive in a pool
(``httpx.Limits``, default 100 connections) and apply ``timeout`` to connecting,
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

__all__ = ["HttpxSyncClient", "HttpxAsyncClient"]


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
            timeout=timeout, limits=limits or httpx.Limits()
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
    share the pool instead of waiting for worker threads."""

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
            timeout=timeout, limits=limits or httpx.Limits()
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
