"""The installed wheel: binaries where tiauth_faroe.server says, with its version."""

import os
import subprocess
import sys
from importlib import metadata

import pytest

import tiauth_faroe.server as server


@pytest.mark.parametrize(
    ("function", "name"),
    [
        (server.binary_path, "tiauth"),
        (server.dev_binary_path, "tiauth-dev"),
        (server.mock_backend_path, "mock-backend"),
    ],
)
def test_each_binary_is_installed_in_the_environments_scripts(function, name):
    path = function()
    assert path.name == name
    assert path.parent == server.find_binary("tiauth").parent
    assert os.access(path, os.X_OK)
    assert path.is_relative_to(sys.prefix)


def test_tiauth_version_is_the_distribution_version():
    version = metadata.version("tiauth-faroe-server")
    assert server.__version__ == version
    out = subprocess.run([server.binary_path(), "--version"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == f"tiauth {version}"


def test_tiauth_dev_and_mock_backend_explain_themselves():
    for path, expected in ((server.dev_binary_path(), "--users-db"),
                           (server.mock_backend_path(), "--db")):
        out = subprocess.run([path, "--help"], capture_output=True, text=True, check=True).stdout
        assert expected in out


def test_python_dash_m_runs_tiauth():
    out = subprocess.run([sys.executable, "-m", "tiauth_faroe.server", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"tiauth {server.__version__}"


def test_an_unknown_binary_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match=r"no-such-binary is not installed \(searched "):
        server.find_binary("no-such-binary")
