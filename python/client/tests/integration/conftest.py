"""Integration suite: the client against a running auth server and user server.

Needs TIAUTH_SERVER_URL (the auth server's action endpoint) and USER_SERVER_URL
(a user server speaking the /command vocabulary: the reference server or the
mock backend), or, with neither set, the tiauth-faroe-server wheel, whose pytest
plugin starts tiauth and the mock backend. Otherwise the run stops with an error;
it never skips.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

MISSING = [name for name in ("TIAUTH_SERVER_URL", "USER_SERVER_URL") if not os.environ.get(name)]
USE_PLUGIN = len(MISSING) == 2 and importlib.util.find_spec("tiauth_faroe.testing") is not None
if MISSING and not USE_PLUGIN:
    pytest.exit(
        "integration suite: set " + " and ".join(MISSING)
        + " (e.g. TIAUTH_SERVER_URL=http://127.0.0.1:3777 USER_SERVER_URL=http://127.0.0.2:8079)"
        + ", or set neither and install the tiauth-faroe-server wheel",
        returncode=2,
    )

sys.path.insert(0, str(Path(__file__).parent))

from flows import UserServer  # noqa: E402

from tiauth_faroe.client import HttpAsyncClient, HttpSyncClient  # noqa: E402


@pytest.fixture(scope="session")
def server_url(request):
    if USE_PLUGIN:
        return request.getfixturevalue("tiauth_stack").url
    return os.environ["TIAUTH_SERVER_URL"]


@pytest.fixture(scope="session")
def user_server_url(request):
    if USE_PLUGIN:
        return request.getfixturevalue("tiauth_stack").user_server_url
    return os.environ["USER_SERVER_URL"]


@pytest.fixture(scope="session")
def user_server(user_server_url):
    return UserServer(user_server_url)


@pytest.fixture
def client(server_url):
    return HttpSyncClient(server_url, timeout=30)


@pytest.fixture
def async_client(server_url):
    return HttpAsyncClient(server_url, timeout=30)


@pytest.fixture(autouse=True)
def clean_user_server(user_server):
    user_server.command("clear_all")
    yield
