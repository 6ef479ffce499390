"""The ready HTTP transports (urllib and httpx, sync and async) against a small
in-process HTTP server."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tiauth_faroe.client import (
    ActionErrorResult,
    ActionInvocationHTTPError,
    ActionInvocationRejectedError,
    CreateSignupActionSuccessResult,
    HttpAsyncClient,
    HttpSyncClient,
)

from tiauth_faroe.client.httpx_clients import HttpxAsyncClient, HttpxSyncClient

from recorded import AID, error_response, success_response


class CannedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self):
        super().__init__(("127.0.0.1", 0), CannedHandler)
        self.status = 200
        self.body = b""
        self.received = []


class CannedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse shows

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.server.received.append(
            {
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "extra": self.headers.get("X-Extra"),
                "body": json.loads(self.rfile.read(length)),
                "client_port": self.client_address[1],
            }
        )
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server():
    srv = CannedServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


def url(srv, path=""):
    return f"http://127.0.0.1:{srv.server_address[1]}{path}"


TRANSPORTS = ["urllib-sync", "urllib-async", "httpx-sync", "httpx-async"]


def run(transport, base_url, action, *args, **options):
    """Calls one action through a fresh client of the given transport."""
    sync_class, async_class = (
        (HttpSyncClient, HttpAsyncClient) if transport.startswith("urllib") else (HttpxSyncClient, HttpxAsyncClient)
    )
    if transport.endswith("-sync"):
        client = sync_class(base_url, **options)
        try:
            return getattr(client, action)(*args)
        finally:
            if hasattr(client, "close"):
                client.close()

    async def go():
        client = async_class(base_url, **options)
        try:
            return await getattr(client, action)(*args)
        finally:
            if hasattr(client, "aclose"):
                await client.aclose()

    return asyncio.run(go())


@pytest.fixture(params=TRANSPORTS)
def transport(request):
    return request.param


def test_success_and_request_shape(server, transport):
    server.body = json.dumps(success_response("signup", "signup_token")).encode()
    result = run(transport, url(server), "create_signup", "alice@example.com", timeout=5, headers={"X-Extra": "1"})
    assert isinstance(result, CreateSignupActionSuccessResult)
    assert result.signup_token == success_response("signup", "signup_token")["values"]["signup_token"]
    assert [{k: v for k, v in entry.items() if k != "client_port"} for entry in server.received] == [
        {
            "path": "/",
            "content_type": "application/json",
            "extra": "1",
            "body": {"action": "create_signup", "arguments": {"email_address": "alice@example.com"}},
        }
    ]


def test_keeps_a_given_path(server, transport):
    server.body = json.dumps(error_response("invalid_session_token")).encode()
    result = run(transport, url(server, "/faroe"), "get_session", "x.y")
    assert result == ActionErrorResult(AID, "invalid_session_token")
    assert server.received[0]["path"] == "/faroe"


def test_400_raises_rejected_error(server, transport):
    server.status = 400
    server.body = b""
    with pytest.raises(ActionInvocationRejectedError) as excinfo:
        run(transport, url(server), "get_signup", "x")
    assert excinfo.value.status_code == 400
    assert "rejected" in str(excinfo.value)
    assert isinstance(excinfo.value, ActionInvocationHTTPError)


@pytest.mark.parametrize("status", [404, 500, 204])
def test_other_statuses_raise_http_error(server, status, transport):
    server.status = status
    server.body = b"" if status == 204 else b"oops"
    with pytest.raises(ActionInvocationHTTPError) as excinfo:
        run(transport, url(server), "delete_session", "x")
    assert excinfo.value.status_code == status
    assert not isinstance(excinfo.value, ActionInvocationRejectedError)


def test_non_json_200_body_is_a_value_error(server, transport):
    server.body = b'{"ok": tru'
    with pytest.raises(ValueError, match="not valid JSON"):
        run(transport, url(server), "delete_session", "x")


@pytest.mark.parametrize("cls", [HttpSyncClient, HttpAsyncClient, HttpxSyncClient, HttpxAsyncClient])
def test_invalid_base_url(cls):
    with pytest.raises(ValueError):
        cls("localhost:3777")


def test_httpx_sync_client_reuses_one_connection(server):
    server.body = json.dumps(error_response("invalid_session_token")).encode()
    with HttpxSyncClient(url(server)) as client:
        for _ in range(3):
            client.get_session("x.y")
    assert len(server.received) == 3
    assert len({entry["client_port"] for entry in server.received}) == 1
