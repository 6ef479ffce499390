"""Every public name of upstream's packages exists in ours with the same shape:
the same kind, parameter names, kinds and defaults, coroutine or not, the same
public methods and dataclass fields, the same alias members. Ours may add names,
methods and keyword parameters; it may not drop or rename any."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from introspect import MODULES, describe

UPSTREAM: Dict[str, Dict[str, Any]] = json.loads(
    (Path(__file__).parent / "upstream-api.json").read_text()
)

CASES: List[Tuple[str, str]] = [
    (module, name) for module in MODULES for name in sorted(UPSTREAM[module])
]


def test_the_committed_list_covers_the_four_modules() -> None:
    assert sorted(UPSTREAM) == sorted(MODULES)
    # Upstream's surface, as counted when the list was made.
    assert {module: len(names) for module, names in UPSTREAM.items()} == {
        "tiauth_faroe.client": 15,
        "tiauth_faroe.client.clients": 24,
        "tiauth_faroe.client.logic": 35,
        "tiauth_faroe.user_server": 31,
    }


@pytest.fixture(scope="module")
def ours() -> Dict[str, Dict[str, Any]]:
    return {module: describe(module) for module in MODULES}


@pytest.mark.parametrize("module,name", CASES, ids=[f"{m}:{n}" for m, n in CASES])
def test_upstream_name_has_the_same_shape_here(
    module: str, name: str, ours: Dict[str, Dict[str, Any]]
) -> None:
    upstream = UPSTREAM[module][name]
    assert name in ours[module], f"{module}.{name} is missing"
    here = ours[module][name]
    assert here["kind"] == upstream["kind"]
    if upstream["kind"] == "function":
        assert here == upstream
    elif upstream["kind"] == "alias":
        assert here == upstream
    else:
        for method, signature in upstream["methods"].items():
            assert here["methods"].get(method) == signature, f"{name}.{method}"
        assert here.get("fields") == upstream.get("fields")
        assert here.get("init") == upstream.get("init")


def test_a_changed_signature_would_be_caught(ours: Dict[str, Dict[str, Any]]) -> None:
    # The comparison is not vacuous: a renamed keyword differs.
    upstream = UPSTREAM["tiauth_faroe.user_server"]["handle_request_sync"]
    renamed = json.loads(json.dumps(upstream))
    renamed["parameters"][0][0] = "obj"
    assert ours["tiauth_faroe.user_server"]["handle_request_sync"] == upstream
    assert ours["tiauth_faroe.user_server"]["handle_request_sync"] != renamed
