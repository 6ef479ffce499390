"""The ``/invoke`` response bodies."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

from .models import User


def user_to_json(user: User) -> Dict[str, Any]:
    """The user model as the protocol sends it (same members, same order)."""
    return {
        "id": user.id,
        "email_address": user.email_address,
        "password_hash": base64.b64encode(user.password_hash).decode("ascii"),
        "password_hash_algorithm_id": user.password_hash_algorithm_id,
        "password_salt": base64.b64encode(user.password_salt).decode("ascii"),
        "disabled": user.disabled,
        "display_name": user.display_name,
        "email_address_counter": user.email_address_counter,
        "password_hash_counter": user.password_hash_counter,
        "disabled_counter": user.disabled_counter,
        "sessions_counter": user.sessions_counter,
    }


def serialize_user_result(action_invocation_id: str, user: User) -> str:
    """The success body of an action that answers a user."""
    return json.dumps(
        {
            "ok": True,
            "action_invocation_id": action_invocation_id,
            "values": {"user": user_to_json(user)},
        }
    )


def serialize_empty_result(action_invocation_id: str) -> str:
    """The success body of an action that answers no values."""
    return json.dumps({"ok": True, "action_invocation_id": action_invocation_id, "values": {}})


def serialize_error_result(action_invocation_id: str, error_code: str) -> str:
    """The body of an action answered with an error code."""
    return json.dumps(
        {"ok": False, "action_invocation_id": action_invocation_id, "error_code": error_code}
    )
