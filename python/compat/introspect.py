"""Describes the public names of the Python packages as JSON-able data.

``python introspect.py`` prints the description of the four modules that
upstream's packages define (see ``upstream-api.json``, which was made this way
from upstream's sources at commit be7ee65). A name is public when it does not
start with ``_`` and is not a module, a ``TypeVar`` or a standard-library helper
imported for the module's own use (``Generator``, ``dataclass``, ...).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import types
import typing
from typing import Any, Dict, List, Optional

MODULES = (
    "tiauth_faroe.client",
    "tiauth_faroe.client.clients",
    "tiauth_faroe.client.logic",
    "tiauth_faroe.user_server",
)


def _parameters(function: Any) -> List[List[Optional[str]]]:
    """[name, kind, repr(default) or None] for each parameter."""
    return [
        [
            parameter.name,
            parameter.kind.name,
            None if parameter.default is inspect.Parameter.empty else repr(parameter.default),
        ]
        for parameter in inspect.signature(function).parameters.values()
    ]


def _function(function: Any) -> Dict[str, Any]:
    return {
        "kind": "function",
        "parameters": _parameters(function),
        "coroutine": inspect.iscoroutinefunction(function),
    }


def _class(cls: type) -> Dict[str, Any]:
    methods = {
        name: _function(member)
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }
    described: Dict[str, Any] = {
        "kind": "exception" if issubclass(cls, BaseException) else "class",
        "methods": methods,
    }
    if dataclasses.is_dataclass(cls):
        described["fields"] = [
            [field.name, None if field.default is dataclasses.MISSING else repr(field.default)]
            for field in dataclasses.fields(cls)
        ]
    else:
        described["init"] = _parameters(cls.__init__) if "__init__" in vars(cls) else None
    return described


def _type_name(value: Any) -> str:
    """``Union`` for both union spellings, ``list`` for ``List[X]`` and ``list[X]``."""
    origin = typing.get_origin(value)
    if origin is typing.Union or origin is types.UnionType:
        return "Union"
    if isinstance(value, (str, typing.ForwardRef)):
        return "forward reference"
    return str(getattr(origin or value, "__name__", repr(value)))


def _alias(value: Any) -> Optional[Dict[str, Any]]:
    members = typing.get_args(value)
    if not members:
        return None
    return {
        "kind": "alias",
        "origin": _type_name(value),
        "members": sorted(_type_name(member) for member in members),
    }


def _is_own(value: Any) -> bool:
    return str(getattr(value, "__module__", "")).startswith("tiauth_faroe")


def describe(module_name: str) -> Dict[str, Any]:
    module = importlib.import_module(module_name)
    described: Dict[str, Any] = {}
    for name in sorted(dir(module)):
        value = getattr(module, name)
        if name.startswith("_") or inspect.ismodule(value) or isinstance(value, typing.TypeVar):
            continue
        if inspect.isclass(value) and _is_own(value):
            described[name] = _class(value)
        elif inspect.isfunction(value) and _is_own(value):
            described[name] = _function(value)
        elif not callable(value) or typing.get_origin(value) is not None:
            alias = _alias(value)
            if alias is not None:
                described[name] = alias
            elif isinstance(value, (str, int, tuple)):
                described[name] = {"kind": "constant"}
    return described


def describe_all() -> Dict[str, Any]:
    return {name: describe(name) for name in MODULES}


if __name__ == "__main__":
    print(json.dumps(describe_all(), indent=1, sort_keys=True))
