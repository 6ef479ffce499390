"""The Tiauth Faroe binaries installed by the ``tiauth-faroe-server`` wheel.

The wheel puts ``tiauth`` (the auth server), ``tiauth-dev`` (auth server and mock user
server in one process) and ``mock-backend`` (the mock user server) into the environment's
scripts directory (``bin/`` of a venv). These functions return their paths, so code can
start them without relying on ``PATH``.
"""

from __future__ import annotations

import os
import sysconfig
from importlib import metadata
from pathlib import Path

__all__ = [
    "binary_path",
    "dev_binary_path",
    "mock_backend_path",
    "find_binary",
    "__version__",
]

#: The version of the wheel, which is the version of the ``tiauth`` binary it ships.
__version__ = metadata.version("tiauth-faroe-server")


def binary_path() -> Path:
    """Path of the installed ``tiauth`` auth server binary."""
    return find_binary("tiauth")


def dev_binary_path() -> Path:
    """Path of the installed ``tiauth-dev`` binary (auth server + mock user server)."""
    return find_binary("tiauth-dev")


def mock_backend_path() -> Path:
    """Path of the installed ``mock-backend`` binary (the mock user server)."""
    return find_binary("mock-backend")


def find_binary(name: str) -> Path:
    """Path of one of the wheel's binaries (``tiauth``, ``tiauth-dev``, ``mock-backend``).

    Looks in the scripts directories pip may have installed the wheel into: the
    environment's, then the user scheme's (``pip install --user``), then next to this
    package for ``pip install --target``. Raises ``FileNotFoundError`` naming the places
    searched when the binary is in none of them.
    """
    file_name = name + (sysconfig.get_config_var("EXE") or "")
    candidates = [Path(sysconfig.get_path("scripts"))]
    candidates.append(Path(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user"))))
    # pip install --target DIR puts the scripts into DIR/bin.
    candidates.append(Path(__file__).resolve().parents[2] / "bin")
    for directory in candidates:
        path = directory / file_name
        if path.is_file() and os.access(path, os.X_OK):
            return path
    searched = ", ".join(str(directory) for directory in candidates)
    raise FileNotFoundError(
        f"{file_name} is not installed (searched {searched}); "
        "install the tiauth-faroe-server wheel into this environment"
    )

