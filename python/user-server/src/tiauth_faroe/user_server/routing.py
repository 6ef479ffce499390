"""What the ASGI and WSGI adapters share: paths, body limits, JSON error answers."""

from __future__ import annotations

import json
from typing import Any, Union

from .models import HttpResult
from .processing import bad_request, error_result

#: The largest request body the adapters read.
MAX_BODY_BYTES = 1 << 20

EMPTY_OK = HttpResult(200, "{}")


TOO_LARGE = error_result(413, "Request body too large")


def not_found() -> HttpResult:
    return error_result(404, "Not Found")


def route_of(path: str, root_path: str) -> str:
    """The path below the mount point (``root_path``), if the path starts with it."""
    if root_path and path.startswith(root_path):
        return path[len(root_path):] or "/"
    return path


def decode_json(body: bytes) -> Union[Any, HttpResult]:
    """The decoded body, or a 400 answer when it is not UTF-8 JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return bad_request("Invalid JSON body")
