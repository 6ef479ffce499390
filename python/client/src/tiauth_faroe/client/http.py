"""Ready HTTP transports (standard library only).

``HttpSyncClient`` posts with :mod:`urllib.request`; ``HttpAsyncClient`` runs the
same request in a worker thread (:func:`asyncio.to_thread`), so neither needs a
third-party HTTP library.

Only HTTP 200 carries an action result. The server answers 400 with an empty
body when it rejects the request envelope itself (not JSON, not an object,
an argument missing or not a string, unknown action); that raises
:class:`ActionInvocationRejectedError`. Any other non-200 status raises
:class:`ActionInvocationHTTPError`. A 200 body that is not JSON raises
``ValueError`` (as every malformed response does).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Mapping, Optional

from .clients import AsyncClient, SyncClient
from .logic import loads_typed
from .models import JSONValue

DEFAULT_TIMEOUT_SECONDS = 30.0


class ActionInvocationHTTPError(Exception):
    """The server answered with a status other than 200."""

    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body
        text = body.decode("utf-8", errors="replace")
        detail = f": {text[:200]}" if text else " (empty body)"
        super().__init__(f"action invocation failed with HTTP status {status_code}{detail}")


class ActionInvocationRejectedError(ActionInvocationHTTPError):
    """HTTP 400: the server rejected the request envelope (bad JSON, missing or
    non-string argument, unknown action)."""

    def __init__(self, status_code: int, body: bytes) -> None:
        super().__init__(status_code, body)
        self.args = (
            "the server rejected the action invocation request (HTTP 400): "
            "the body was not a valid action envelope, an argument was missing or "
            "not a string, or the action is unknown",
        )


def normalise_url(base_url: str) -> str:
    """The URL actions are posted to: ``base_url``, with ``/`` when it has no path."""
    if "://" not in base_url:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    scheme, rest = base_url.split("://", 1)
    if "/" not in rest:
        return f"{scheme}://{rest}/"
    return base_url


def encode_action_invocation(body: JSONValue) -> bytes:
    """The request body: compact JSON in UTF-8."""
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


REQUEST_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def decode_answer(status: int, payload: bytes) -> JSONValue:
    """The decoded JSON of a 200 answer; raises for any other status."""
    if status == 400:
        raise ActionInvocationRejectedError(status, payload)
    if status != 200:
        raise ActionInvocationHTTPError(status, payload)
    try:
        return loads_typed(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"response body is not valid JSON: {error}") from None


def post_action_invocation(
    url: str,
    body: JSONValue,
    timeout: Optional[float],
    headers: Optional[Mapping[str, str]] = None,
) -> JSONValue:
    """POSTs ``body`` as JSON to ``url`` and returns the decoded 200 response."""
    request_headers = {**REQUEST_HEADERS, **(headers or {})}
    request = urllib.request.Request(
        url, data=encode_action_invocation(body), headers=request_headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            payload = response.read()
    except urllib.error.HTTPError as error:
        status = error.code
        payload = error.read() or b""
        error.close()
    return decode_answer(status, payload)


class HttpSyncClient(SyncClient):
    """:class:`SyncClient` over HTTP. ``base_url`` is the auth server's action
    endpoint, e.g. ``http://127.0.0.1:3777`` (actions are posted to its path,
    ``/`` when it has none)."""

    def __init__(
        self,
        base_url: str,
        timeout: Optional[float] = DEFAULT_TIMEOUT_SECONDS,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.url = normalise_url(base_url)
        self.timeout = timeout
        self.headers = dict(headers or {})

    def send_action_invocation_request(self, body: JSONValue) -> JSONValue:
        return post_action_invocation(self.url, body, self.timeout, self.headers)


class HttpAsyncClient(AsyncClient):
    """:class:`AsyncClient` over HTTP; each request runs urllib in a worker thread
    (the default executor's, so only a few run at once: for many concurrent calls
    use :class:`tiauth_faroe.client.httpx_clients.HttpxAsyncClient`)."""

    def __init__(
        self,
        base_url: str,
        timeout: Optional[float] = DEFAULT_TIMEOUT_SECONDS,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.url = normalise_url(base_url)
        self.timeout = timeout
        self.headers = dict(headers or {})

    async def send_action_invocation_request(self, _body: JSONValue) -> JSONValue:
        return await asyncio.to_thread(
            post_action_invocation, self.url, _body, self.timeout, self.headers
        )
