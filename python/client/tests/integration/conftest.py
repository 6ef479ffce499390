"""Integration suite: the client against a running auth server and user server.

Needs TIAUTH_SERVER_URL (the auth server's action endpoint) and USER_SERVER_URL
(a user server speaking the /command vocabulary: the reference server or the
mock backend). Without them the run stops with an error; it never skips.
"""

import os
import sys
from pathlib import Path

import pytest

MISSING = [name for name in ("TIAUTH_SERVER_URL", "USER_SERVER_URL") if not os.environ.get(name)]
if MISSING:
    pytest.exit(
        "integration suite: set " + " and ".join(MISSING)
        + " (e.g. TIAUTH_SERVER_URL=http://127.0.0.1:3777 USER_SERVER_URL=http://127.0.0.2:8079)",
        returncode=2,
    )

sys.path.insert(0, str(Path(__file__).parent))

from flows import UserServer  # noqa: E402

from tiauth_faroe.client import HttpAsyncClient, HttpSyncClient  # noqa: E402


@pytest.fixture(scope="session")
def user_server():
    return UserServer(os.environ["USER_SERVER_URL"])


@pytest.fixture
def client():
    return HttpSyncClient(os.environ["TIAUTH_SERVER_URL"], timeout=30)


@pytest.fixture
def async_client():
    return HttpAsyncClient(os.environ["TIAUTH_SERVER_URL"], timeout=30)


@pytest.fixture(autouse=True)
def clean_user_server(user_server):
    user_server.command("clear_all")
    yield
