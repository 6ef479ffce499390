"""start_stack outside pytest's fixtures."""

import socket
from urllib.parse import urlsplit

import pytest

from tiauth_faroe.client import HttpSyncClient
from tiauth_faroe.testing import start_stack


def refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_stack_serves_resets_and_stops(tmp_path):
    with start_stack(tmp_path) as stack:
        client = HttpSyncClient(stack.url, timeout=30)
        token = client.create_signup("ann@example.com").signup_token
        assert client.get_signup(token).ok
        stack.reset()
        assert client.get_signup(token).error_code == "invalid_signup_token"
        with pytest.raises(LookupError, match="no signup_verification code was e-mailed to ann@example.com"):
            stack.user_server.signup_code("ann@example.com")  # the mock was cleared too
        token = client.create_signup("ann@example.com").signup_token
        assert set(stack.log_paths) == {"tiauth", "mock-backend"}
        urls = (stack.url, stack.user_server_url)
    assert all(refused(url) for url in urls)

    # The same directory again: a fresh database, not the last one's.
    with start_stack(tmp_path) as again:
        assert HttpSyncClient(again.url).get_signup(token).error_code == "invalid_signup_token"
