"""How the reference server serves: HTTP/1.1 keep-alive, a real listen backlog,
connections closed after an unreadable body, and no non-loopback address without
--allow-remote (its /command route has no authentication)."""

from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

from tiauth_faroe.sync_reference_server import RemoteAddressRefused, create_server
from tiauth_faroe.sync_reference_server import cli
from tiauth_faroe.sync_reference_server.cli import main
from tiauth_faroe.sync_reference_server.server import LISTEN_BACKLOG, is_loopback

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


def test_concurrent_connections_each_get_answers(srv: Running) -> None:
    failures: list[BaseException] = []

    def client() -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            for _ in range(5):
                connection.request("GET", "/health")
                assert connection.getresponse().read() == b'{"status":"ok"}'
            connection.close()
        except BaseException as error:  # collected, asserted below
            failures.append(error)

    threads = [threading.Thread(target=client) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
