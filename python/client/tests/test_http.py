"""The ready HTTP transports against a small in-process HTTP server."""

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

from recorded import AID, error_response, success_response


class CannedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), CannedHandler)
        self.status = 200
        self.body = b""
        self.received = []


class CannedHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.server.received.append(
            {
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "extra": self.headers.get("X-Extra"),
                "body": json.loads(self.rfile.read(length)),
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


def test_sync_success_and_request_shape(server):
    server.body = json.dumps(success_response("signup", "signup_token")).encode()
    client = HttpSyncClient(url(server), timeout=5, headers={"X-Extra": "1"})
    result = client.create_signup("alice@example.com")
    assert isinstance(result, CreateSignupActionSuccessResult)
    assert server.received == [
        {
            "path": "/",
            "content_type": "application/json",
            "extra": "1",
            "body": {"action": "create_signup", "arguments": {"email_address": "alice@example.com"}},
        }
    ]


def test_sync_keeps_a_given_path(server):
    server.body = json.dumps(error_response("invalid_session_token")).encode()
    result = HttpSyncClient(url(server, "/faroe")).get_session("x.y")
    assert result == ActionErrorResult(AID, "invalid_session_token")
    assert server.received[0]["path"] == "/faroe"


def test_async_success(server):
    server.body = json.dumps(success_response("session", None)).encode()
    result = asyncio.run(HttpAsyncClient(url(server), timeout=5).get_session("x.y"))
    assert result.session.user_id == "1_alice"
    assert server.received[0]["body"]["action"] == "get_session"


@pytest.mark.parametrize("async_", [False, True])
def test_400_raises_rejected_error(server, async_):
    server.status = 400
    server.body = b""
    with pytest.raises(ActionInvocationRejectedError) as excinfo:
        if async_:
            asyncio.run(HttpAsyncClient(url(server)).get_signup("x"))
        else:
            HttpSyncClient(url(server)).get_signup("x")
    assert excinfo.value.status_code == 400
    assert "rejected" in str(excinfo.value)
    assert isinstance(excinfo.value, ActionInvocationHTTPError)


@pytest.mark.parametrize("status", [404, 500, 204])
def test_other_statuses_raise_http_error(server, status):
    server.status = status
    server.body = b"" if status == 204 else b"oops"
    with pytest.raises(ActionInvocationHTTPError) as excinfo:
        HttpSyncClient(url(server)).delete_session("x")
    assert excinfo.value.status_code == status
    assert not isinstance(excinfo.value, ActionInvocationRejectedError)


def test_non_json_200_body_is_a_value_error(server):
    server.body = b'{"ok": tru'
    with pytest.raises(ValueError, match="not valid JSON"):
        HttpSyncClient(url(server)).delete_session("x")


def test_invalid_base_url():
    with pytest.raises(ValueError):
        HttpSyncClient("localhost:3777")
