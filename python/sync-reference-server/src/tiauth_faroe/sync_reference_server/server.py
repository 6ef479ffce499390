"""HTTP layer: routes, body reading, JSON error pages, the listening socket.

HTTP/1.1 with keep-alive (the auth server reuses its connections), a listen
backlog of 1024 (a burst of new connections is queued, not dropped), and one
thread per connection; the state below serialises what must be.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Optional, Tuple, cast
from urllib.parse import urlsplit

from .app import (
    INTERNAL_SERVER_ERROR,
    BadRequest,
    ReferenceServerState,
    Response,
    error_response,
    log_error,
)

MAX_BODY_BYTES = 1 << 20
#: Listen backlog: connections queued while every thread is busy.
LISTEN_BACKLOG = 1024
#: An idle keep-alive connection is closed after this many seconds.
IDLE_TIMEOUT_SECONDS = 120

_POST_ROUTES: Dict[str, Callable[[ReferenceServerState, bytes], Response]] = {
    "/invoke": ReferenceServerState.invoke,
    "/auth/invoke_user_action": ReferenceServerState.invoke,
    "/email": ReferenceServerState.email,
    "/command": ReferenceServerState.command,
    "/auth/clear_tables": ReferenceServerState.clear_tables,
    "/auth/prepare_user": ReferenceServerState.prepare_user,
}
_GET_ROUTES = ("/health", "/")
_HEALTH_BODY = b'{"status":"ok"}'


class ReferenceRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    # A response leaves in one segment, sent at once: buffered writes (flushed when
    # the request is done) and no Nagle delay. Otherwise headers and body go out as
    # two segments, and on a kept-alive connection the second waits for the
    # client's delayed ACK (about 40 ms per request).
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    @property
    def state(self) -> ReferenceServerState:
        return cast(ReferenceHTTPServer, self.server).state

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.state.verbose:
            super().log_message(format, *args)

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Stdlib errors (bad request line, unsupported method, ...) as JSON."""
        code = int(code)
        if message is None:
            message = self.responses.get(code, ("Error",))[0]
        self.log_error("code %d, message %s", code, message)
        body = json.dumps({"error": message, "status_code": code}).encode("utf-8")
        self.close_connection = True
        self.send_response(code)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _bad_body(self, message: str) -> BadRequest:
        # The body was not read, so the connection cannot carry another request.
        self.close_connection = True
        return BadRequest(message)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding") is not None:
            raise self._bad_body("Chunked request bodies are not supported; send Content-Length")
        header = self.headers.get("Content-Length")
        if header is None:
            return b""
        try:
            length = int(header)
        except ValueError:
            raise self._bad_body("Invalid Content-Length") from None
        if length < 0:
            raise self._bad_body("Invalid Content-Length")
        if length > MAX_BODY_BYTES:
            raise self._bad_body("Request body too large")
        return self.rfile.read(length)

    def _dispatch(self, run: Callable[[], Response]) -> None:
        try:
            status, body = run()
        except BadRequest as error:
            status, body = error_response(400, str(error))
        except Exception as error:  # every other failure is a 500, never a crash
            log_error(error)
            status, body = INTERNAL_SERVER_ERROR
        self._reply(status, body)

    def _path(self) -> str:
        return urlsplit(self.path).path

    def do_GET(self) -> None:
        if self._path() in _GET_ROUTES:
            self._reply(200, _HEALTH_BODY)
        else:
            self._reply(*error_response(404, "Not Found"))

    def do_POST(self) -> None:
        route = _POST_ROUTES.get(self._path())
        state = self.state

        def run() -> Response:
            body = self._read_body()  # read even for 404, so the client sees the answer
            if route is None:
                return error_response(404, "Not Found")
            return route(state, body)

        self._dispatch(run)


class ReferenceHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: Tuple[str, int], state: ReferenceServerState) -> None:
        self.state = state
        super().__init__(address, ReferenceRequestHandler)

    def server_close(self) -> None:
        super().server_close()
        self.state.close()


class RemoteAddressRefused(ValueError):
    """A non-loopback address without ``allow_remote``."""


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address."""
    if host == "":
        return False  # all interfaces
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def create_server(host: str = "127.0.0.2", port: int = 8079, db_path: str = ":memory:",
                  verbose: bool = False, allow_remote: bool = False) -> ReferenceHTTPServer:
    """Binds the server (port 0 picks a free port); call ``serve_forever()``.

    ``/command`` has no authentication (it reads codes, lists users and injects
    faults), so a non-loopback ``host`` raises :class:`RemoteAddressRefused`
    unless ``allow_remote`` is true."""
    if not allow_remote and not is_loopback(host):
        raise RemoteAddressRefused(
            f"refusing to listen on {host!r}: not a loopback address, and /command has no "
            "authentication (this server is for tests and development only); "
            "pass --allow-remote to listen there anyway"
        )
    state = ReferenceServerState(db_path, verbose=verbose)
    try:
        return ReferenceHTTPServer((host, port), state)
    except BaseException:
        state.close()
        raise


def run(host: str, port: int, db_path: str, verbose: bool = True, allow_remote: bool = False) -> None:
    server = create_server(host, port, db_path, verbose, allow_remote)
    bound_host, bound_port = server.socket.getsockname()[:2]
    print(f"Server running on {bound_host}:{bound_port}", flush=True)
    print("Press Ctrl+C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Shutting down", file=sys.stderr, flush=True)
    finally:
        server.server_close()
