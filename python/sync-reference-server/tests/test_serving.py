"""How the reference server serves: HTTP/1.1 keep-alive, a real listen backlog,
connections closed after an unreadable body, and no non-loopback address without
--allow-remote (its /command route has no authentication)."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
from typing import Any, Optional

import pytest

from tiauth_faroe.sync_reference_server import RemoteAddressRefused, create_server
from tiauth_faroe.sync_reference_server import cli
from tiauth_faroe.sync_reference_server.cli import main
from tiauth_faroe.sync_reference_server.server import (
    LISTEN_BACKLOG,
    ReferenceRequestHandler,
    is_loopback,
)

from conftest import Running


def test_many_requests_share_one_keep_alive_connection(srv: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        ports = set()
        for i in range(20):
            body = json.dumps({"action": "get_user", "arguments": {"user_id": f"{i}_x"}})
            connection.request("POST", "/invoke", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.version == 11
            assert response.getheader("Connection") != "close"
            assert json.loads(response.read())["error_code"] == "user_not_found"
            ports.add(connection.sock.getsockname()[1])
        assert len(ports) == 1  # never reconnected
    finally:
        connection.close()


def test_an_unreadable_body_closes_the_connection(srv: Running) -> None:
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n{}")
        answer = b""
        while chunk := sock.recv(4096):  # the server closes: recv returns b""
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"Connection: close" in head
    assert json.loads(body) == {"error": "Invalid Content-Length", "status_code": 400}


def test_listen_backlog() -> None:
    server = create_server("127.0.0.1", 0)
    try:
        assert server.request_queue_size == LISTEN_BACKLOG == 1024
    finally:
        server.server_close()


@pytest.mark.parametrize(
    "host,loopback",
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("", False), ("::", False), ("192.0.2.7", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "", "192.0.2.7"])
def test_non_loopback_host_is_refused_without_allow_remote(host: str) -> None:
    with pytest.raises(RemoteAddressRefused, match="tests and development only.*--allow-remote"):
        create_server(host, 0)


def test_cli_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--host", "0.0.0.0", "--port", "0"])
    assert exit_info.value.code == 2
    assert "refusing to listen on '0.0.0.0'" in capsys.readouterr().err


def test_cli_allow_remote_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(cli, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    main(["--host", "0.0.0.0", "--port", "0", "--allow-remote", "--quiet"])
    assert calls == [(("0.0.0.0", 0, ":memory:"), {"verbose": False, "allow_remote": True})]


def test_help_says_tests_and_development_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "for tests and development only" in text
    assert "--allow-remote" in text


CLIENTS = 64
#: Bounds the wait for the other clients at each step; never reached when all connect.
GATHER_TIMEOUT_SECONDS = 30.0


def test_64_clients_connected_at_once_see_no_connection_error(srv: Running) -> None:
    # All 64 connect at the same moment (a burst the old backlog of 5 dropped),
    # are connected together, then each sends 10 get_user calls on its kept-alive
    # connection, every one a read of the shared SQLite database from its own thread.
    status, body = srv.invoke("create_user", email_address="load@example.com",
                              password_hash="aGFzaA==", password_hash_algorithm_id="alg",
                              password_salt="c2FsdA==")
    assert status == 200 and body["ok"] is True, body
    user_id = body["values"]["user"]["id"]
    request = json.dumps({"action": "get_user", "arguments": {"user_id": user_id}})
    gather = threading.Barrier(CLIENTS, timeout=GATHER_TIMEOUT_SECONDS)
    failures: list[BaseException] = []
    answered: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=GATHER_TIMEOUT_SECONDS)
        try:
            gather.wait()
            connection.connect()
            gather.wait()  # all 64 connections are open now
            ports = set()
            for _ in range(10):
                connection.request("POST", "/invoke", body=request,
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                assert response.status == 200 and answer["values"]["user"]["id"] == user_id, answer
                ports.add(connection.sock.getsockname()[1])
            assert len(ports) == 1  # one connection throughout
            with lock:
                answered.append(10)
        except BaseException as error:  # collected, asserted below
            with lock:
                failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(answered) == CLIENTS * 10


class _RecordingRaw(io.RawIOBase):
    """The socket's send side: records each write (one write is one send call)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.writes.append(bytes(data))
        return len(data)


class _FakeConnection:
    def __init__(self, incoming: bytes) -> None:
        self.incoming = incoming
        self.sent = _RecordingRaw()
        self.options: list[tuple[int, int, int]] = []

    def settimeout(self, timeout: Optional[float]) -> None:
        pass

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.options.append((level, option, int(value)))

    def sendall(self, data: bytes) -> None:  # used when writes are unbuffered
        self.sent.write(data)

    def makefile(self, mode: str, buffering: int) -> Any:
        if "r" in mode:
            return io.BufferedReader(io.BytesIO(self.incoming))  # type: ignore[arg-type]
        return io.BufferedWriter(self.sent, buffer_size=buffering)

    def close(self) -> None:
        pass


def test_each_response_leaves_in_one_send_without_nagle() -> None:
    # Headers and body in separate sends would make a kept-alive client wait for
    # its delayed ACK before the body arrives (about 40 ms per request).
    body = json.dumps({"action": "get_user", "arguments": {"user_id": "1_x"}}).encode()
    request = b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    connection = _FakeConnection(request * 2 + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    server = create_server("127.0.0.1", 0)
    try:
        ReferenceRequestHandler(connection, ("127.0.0.1", 1), server)  # type: ignore[arg-type]
    finally:
        server.server_close()
    assert len(connection.sent.writes) == 3
    assert all(write.startswith(b"HTTP/1.1 200") for write in connection.sent.writes)
    assert connection.sent.writes[2].endswith(b'{"status":"ok"}')
    assert (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) in connection.options
