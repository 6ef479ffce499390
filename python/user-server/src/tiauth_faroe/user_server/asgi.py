"""A pure-ASGI app serving the user server's ``POST /invoke`` and ``POST /email``.

Standalone (``uvicorn module:app --host 127.0.0.2 --port 8079``) or in front of
your own app, which gets every other request::

    app = FastAPI()
    ...
    application = create_asgi_app(MyAsyncStore(), MyMailer(), fallback=app)

Paths are matched below the scope's ``root_path``, so mounting it under a prefix
works too. Answers: ``/invoke`` as :func:`handle_http_request_async`; ``/email``
200 ``{}`` once ``send_email`` returned, 400 for a malformed body, 500 (logged)
when it raised; other methods on the two paths 405; bodies over 1 MiB 413.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional

from .emails import AsyncEmailSender, parse_email
from .models import AsyncServer, HttpResult
from .processing import (
    INTERNAL_SERVER_ERROR,
    bad_request,
    error_result,
    handle_http_request_async,
    logger,
)
from .routing import (
    EMPTY_OK,
    MAX_BODY_BYTES,
    TOO_LARGE,
    decode_json,
    not_found,
    route_of,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_asgi_app(
    server: AsyncServer, email_sender: AsyncEmailSender, fallback: Optional[ASGIApp] = None
) -> ASGIApp:
    """The ASGI app of a user server with this store and e-mail sender."""

    async def invoke(body: bytes) -> HttpResult:
        decoded = decode_json(body)
        if isinstance(decoded, HttpResult):
            return decoded
        return await handle_http_request_async(decoded, server)

    async def email(body: bytes) -> HttpResult:
        decoded = decode_json(body)
        if isinstance(decoded, HttpResult):
            return decoded
        try:
            message = parse_email(decoded)
        except ValueError as error:
            return bad_request(str(error))
        try:
            await email_sender.send_email(message)
        except Exception as error:  # the auth server sees a 500 and fails the action
            logger.error("sending a %s e-mail failed: %s: %s", message.TYPE, type(error).__name__, error)
            return INTERNAL_SERVER_ERROR
        return EMPTY_OK

    handlers: Dict[str, Callable[[bytes], Awaitable[HttpResult]]] = {
        "/invoke": invoke,
        "/email": email,
    }

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if fallback is not None:
                await fallback(scope, receive, send)
            elif scope["type"] == "lifespan":
                await _lifespan(receive, send)
            return
        route = route_of(scope["path"], scope.get("root_path", ""))
        handler = handlers.get(route)
        if handler is None:
            if fallback is not None:
                await fallback(scope, receive, send)
            else:
                await _reply(send, not_found())
            return
        if scope["method"] != "POST":
            await _reply(send, error_result(405, "Method Not Allowed"), allow="POST")
            return
        body = await _read_body(receive)
        await _reply(send, TOO_LARGE if body is None else await handler(body))

    return app


async def _read_body(receive: Receive) -> Optional[bytes]:
    chunks: List[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _reply(send: Send, result: HttpResult, allow: Optional[str] = None) -> None:
    body = result.response_json.encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if allow is not None:
        headers.append((b"allow", allow.encode("ascii")))
    await send({"type": "http.response.start", "status": result.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


__all__ = ["ASGIApp", "create_asgi_app"]
