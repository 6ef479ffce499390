"""The three distributions carry the one version of python/VERSION and ship py.typed."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
from pathlib import Path

import pytest

VERSION = (Path(__file__).parents[1] / "VERSION").read_text().strip()
PACKAGES = {
    "tiauth-faroe-client": "tiauth_faroe.client",
    "tiauth-faroe-user-server": "tiauth_faroe.user_server",
    "tiauth-faroe-sync-reference-server": "tiauth_faroe.sync_reference_server",
}


@pytest.mark.parametrize("distribution", sorted(PACKAGES))
def test_one_version(distribution: str) -> None:
    assert importlib.metadata.version(distribution) == VERSION


@pytest.mark.parametrize("package", sorted(PACKAGES.values()))
def test_typed(package: str) -> None:
    assert importlib.resources.files(package).joinpath("py.typed").is_file()


@pytest.mark.parametrize("distribution", sorted(PACKAGES))
def test_license_expression(distribution: str) -> None:
    metadata = importlib.metadata.metadata(distribution)
    assert metadata["License-Expression"] == "MIT"
