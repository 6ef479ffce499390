"""A WSGI app serving the user server's ``POST /invoke`` and ``POST /email``.

Standalone, or in front of your own app (Django, Flask, ...), which gets every
other request::

    application = create_wsgi_app(MyStore(), MyMailer(), fallback=get_wsgi_application())

Answers as :mod:`tiauth_faroe.user_server.asgi` does, with a synchronous store
(:class:`SyncServer`) and sender (:class:`SyncEmailSender`).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .emails import SyncEmailSender, parse_email
from .models import HttpResult, SyncServer
from .processing import (
    INTERNAL_SERVER_ERROR,
    bad_request,
    error_result,
    handle_http_request_sync,
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

__all__ = ["WSGIApp", "create_wsgi_app"]

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
}


def create_wsgi_app(
    server: SyncServer, email_sender: SyncEmailSender, fallback: Optional[WSGIApp] = None
) -> WSGIApp:
    """The WSGI app of a user server with this store and e-mail sender."""

    def invoke(body: bytes) -> HttpResult:
        decoded = decode_json(body)
        if isinstance(decoded, HttpResult):
            return decoded
        return handle_http_request_sync(decoded, server)

    def email(body: bytes) -> HttpResult:
        decoded = decode_json(body)
        if isinstance(decoded, HttpResult):
            return decoded
        try:
            message = parse_email(decoded)
        except ValueError as error:
            return bad_request(str(error))
        try:
            email_sender.send_email(message)
        except Exception as error:  # the auth server sees a 500 and fails the action
            logger.error("sending a %s e-mail failed: %s: %s", message.TYPE, type(error).__name__, error)
            return INTERNAL_SERVER_ERROR
        return EMPTY_OK

    handlers: Dict[str, Callable[[bytes], HttpResult]] = {"/invoke": invoke, "/email": email}

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        route = route_of(environ.get("PATH_INFO", "") or "/", "")
        handler = handlers.get(route)
        if handler is None:
            if fallback is not None:
                return fallback(environ, start_response)
            return _reply(start_response, not_found())
        if environ.get("REQUEST_METHOD") != "POST":
            return _reply(start_response, error_result(405, "Method Not Allowed"), [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, bad_request("Invalid Content-Length"))
        if length < 0:
            return _reply(start_response, bad_request("Invalid Content-Length"))
        if length > MAX_BODY_BYTES:
            return _reply(start_response, TOO_LARGE)
        body = environ["wsgi.input"].read(length) if length else b""
        return _reply(start_response, handler(body))

    return app


def _reply(
    start_response: StartResponse,
    result: HttpResult,
    extra_headers: Optional[List[Tuple[str, str]]] = None,
) -> Iterable[bytes]:
    body = result.response_json.encode("utf-8")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(f"{result.status_code} {_REASONS[result.status_code]}", headers + (extra_headers or []))
    return [body]
