"""The /email payload models and the ASGI and WSGI apps, driven directly."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tiauth_faroe.user_server import (
    ActionError,
    Email,
    EmailUpdatedEmail,
    EmailUpdateVerificationEmail,
    Effect,
    EffectResult,
    GetUserEffect,
    PasswordResetEmail,
    PasswordUpdatedEmail,
    SigninNotificationEmail,
    SignupVerificationEmail,
    User,
    parse_email,
)
from tiauth_faroe.user_server.asgi import create_asgi_app
from tiauth_faroe.user_server.wsgi import create_wsgi_app

USER = User("1_a", "a@b.c", b"h", "alg", b"s", False, "", 0, 0, 0, 0)
STAMP = "March 5, 2025 09:07:03"

# The bodies tiauth sends, and what they parse to.
EMAILS = [
    ({"type": "signup_verification", "email": "a@b.c", "code": "12345678"},
     SignupVerificationEmail("a@b.c", "12345678")),
    ({"type": "email_update_verification", "email": "n@b.c", "displayName": "Ann", "code": "87654321"},
     EmailUpdateVerificationEmail("n@b.c", "Ann", "87654321")),
    ({"type": "email_update_verification", "email": "n@b.c", "code": "87654321"},
     EmailUpdateVerificationEmail("n@b.c", "", "87654321")),
    ({"type": "password_reset", "email": "a@b.c", "displayName": "Ann", "code": "tmp-pass"},
     PasswordResetEmail("a@b.c", "Ann", "tmp-pass")),
    ({"type": "signin_notification", "email": "a@b.c", "timestamp": STAMP},
     SigninNotificationEmail("a@b.c", "", STAMP)),
    ({"type": "password_updated", "email": "a@b.c", "displayName": "Ann", "timestamp": STAMP},
     PasswordUpdatedEmail("a@b.c", "Ann", STAMP)),
    ({"type": "email_updated", "email": "a@b.c", "timestamp": STAMP, "newEmail": "n@b.c"},
     EmailUpdatedEmail("a@b.c", "", "n@b.c", STAMP)),
]


@pytest.mark.parametrize("body,expected", EMAILS, ids=[b["type"] for b, _ in EMAILS])
def test_parse_email(body: Dict[str, Any], expected: Email) -> None:
    assert parse_email(body) == expected
    assert expected.TYPE == body["type"]


@pytest.mark.parametrize(
    "body,message",
    [
        ([], "Invalid request object"),
        ({"type": "spam", "email": "a@b.c"}, "Unknown e-mail type 'spam'"),
        ({"type": "signup_verification", "code": "1"}, "Invalid or missing 'email' field"),
        ({"type": "signup_verification", "email": "a@b.c"}, "Invalid or missing 'code' field"),
        ({"type": "password_updated", "email": "a@b.c", "displayName": 3, "timestamp": STAMP},
         "Invalid or missing 'displayName' field"),
        ({"type": "email_updated", "email": "a@b.c", "timestamp": STAMP}, "Invalid or missing 'newEmail' field"),
    ],
)
def test_parse_email_errors(body: Any, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_email(body)
    assert str(excinfo.value) == message


class Store:
    def __init__(self) -> None:
        self.effects: List[Effect] = []
        self.fail = False

    def execute_effect(self, effect: Effect) -> EffectResult:
        self.effects.append(effect)
        if self.fail:
            raise RuntimeError("database is down")
        return USER if isinstance(effect, GetUserEffect) else ActionError("user_not_found")


class AsyncStore(Store):
    async def execute_effect(self, effect: Effect) -> EffectResult:  # type: ignore[override]
        return Store.execute_effect(self, effect)


class Outbox:
    def __init__(self) -> None:
        self.sent: List[Email] = []
        self.fail = False

    def send_email(self, email: Email) -> None:
        if self.fail:
            raise OSError("smtp down")
        self.sent.append(email)


class AsyncOutbox(Outbox):
    async def send_email(self, email: Email) -> None:  # type: ignore[override]
        Outbox.send_email(self, email)


Reply = Tuple[int, Dict[str, str], Any]


def asgi_call(app: Any, method: str, path: str, body: bytes = b"", root_path: str = "",
              scope_type: str = "http") -> Reply:
    sent: List[Dict[str, Any]] = []
    chunks = [body[:3], body[3:]]

    async def receive() -> Dict[str, Any]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": scope_type, "method": method, "path": root_path + path, "root_path": root_path}
    asyncio.run(app(scope, receive, send))
    start, payload = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, json.loads(payload["body"])


def wsgi_call(app: Any, method: str, path: str, body: bytes = b"", root_path: str = "") -> Reply:
    captured: Dict[str, Any] = {}

    def start_response(status: str, headers: List[Tuple[str, str]]) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = {k.lower(): v for k, v in headers}

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": root_path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    payload = b"".join(app(environ, start_response))
    return captured["status"], captured["headers"], json.loads(payload)


def make(kind: str, fallback: Optional[Any] = None) -> Tuple[Any, Store, Outbox]:
    if kind == "asgi":
        store: Store = AsyncStore()
        outbox: Outbox = AsyncOutbox()
        return create_asgi_app(store, outbox, fallback), store, outbox  # type: ignore[arg-type]
    store, outbox = Store(), Outbox()
    return create_wsgi_app(store, outbox, fallback), store, outbox


def call(kind: str, app: Any, method: str, path: str, body: Any = None, root_path: str = "") -> Reply:
    raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    if kind == "asgi":
        return asgi_call(app, method, path, raw, root_path)
    return wsgi_call(app, method, path, raw, root_path)


@pytest.fixture(params=["asgi", "wsgi"])
def kind(request: Any) -> str:
    return str(request.param)


def test_invoke(kind: str) -> None:
    app, store, _ = make(kind)
    status, headers, body = call(kind, app, "POST", "/invoke", {"action": "get_user", "arguments": {"user_id": "1_a"}})
    assert status == 200 and headers["content-type"] == "application/json"
    assert body["ok"] is True and body["values"]["user"]["id"] == "1_a"
    assert body["action_invocation_id"] == store.effects[0].action_invocation_id
    status, _, body = call(kind, app, "POST", "/invoke", {"action": "delete_user", "arguments": {"user_id": "x"}})
    assert (status, body["ok"], body["error_code"]) == (200, False, "user_not_found")


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"{not json", "Invalid JSON body"),
        (b"\xff", "Invalid JSON body"),
        (json.dumps({"action": "nope", "arguments": {}}).encode(), "Unknown action nope"),
        (json.dumps({"action": "get_user", "arguments": {}}).encode(), "Invalid or missing 'user_id' field"),
    ],
)
def test_invoke_bad_requests(kind: str, raw: bytes, message: str) -> None:
    app, store, _ = make(kind)
    assert call(kind, app, "POST", "/invoke", raw)[::2] == (400, {"error": message, "status_code": 400})
    assert store.effects == []


def test_invoke_store_failure_is_500(kind: str) -> None:
    app, store, _ = make(kind)
    store.fail = True
    status, _, body = call(kind, app, "POST", "/invoke", {"action": "get_user", "arguments": {"user_id": "1_a"}})
    assert (status, body) == (500, {"error": "Internal Server Error", "status_code": 500})


@pytest.mark.parametrize("body,expected", EMAILS, ids=[b["type"] for b, _ in EMAILS])
def test_email(kind: str, body: Dict[str, Any], expected: Email) -> None:
    app, _, outbox = make(kind)
    assert call(kind, app, "POST", "/email", body)[::2] == (200, {})
    assert outbox.sent == [expected]


def test_email_errors(kind: str) -> None:
    app, _, outbox = make(kind)
    status, _, body = call(kind, app, "POST", "/email", {"type": "spam", "email": "a@b.c"})
    assert (status, body["error"]) == (400, "Unknown e-mail type 'spam'")
    outbox.fail = True
    status, _, body = call(kind, app, "POST", "/email", EMAILS[0][0])
    assert (status, body["error"]) == (500, "Internal Server Error")
    assert outbox.sent == []


def test_other_routes_and_methods(kind: str) -> None:
    app, _, _ = make(kind)
    status, headers, body = call(kind, app, "GET", "/invoke")
    assert (status, body["error"]) == (405, "Method Not Allowed")
    assert "POST" in headers.values()
    assert call(kind, app, "POST", "/elsewhere", {})[::2] == (404, {"error": "Not Found", "status_code": 404})


def test_too_large_body(kind: str) -> None:
    app, store, _ = make(kind)
    status, _, body = call(kind, app, "POST", "/invoke", b" " * ((1 << 20) + 1))
    assert (status, body["error"]) == (413, "Request body too large")
    assert store.effects == []


def test_fallback_gets_other_requests() -> None:
    async def asgi_fallback(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b'{"from": "fallback"}'})

    def wsgi_fallback(environ: Any, start_response: Any) -> List[bytes]:
        start_response("299 Fallback", [])
        return [b'{"from": "fallback"}']

    app, _, _ = make("asgi", asgi_fallback)
    assert asgi_call(app, "GET", "/profile")[::2] == (299, {"from": "fallback"})
    assert asgi_call(app, "POST", "/invoke", b"{}")[0] == 400  # still ours
    app, _, _ = make("wsgi", wsgi_fallback)
    assert wsgi_call(app, "GET", "/profile")[::2] == (299, {"from": "fallback"})


def test_asgi_mounted_under_a_prefix() -> None:
    app, _, outbox = make("asgi")
    assert asgi_call(app, "POST", "/email", json.dumps(EMAILS[0][0]).encode(), root_path="/users")[0] == 200
    assert outbox.sent == [EMAILS[0][1]]


def test_asgi_lifespan_without_fallback() -> None:
    app, _, _ = make("asgi")
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
