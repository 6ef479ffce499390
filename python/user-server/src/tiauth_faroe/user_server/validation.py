"""Reading the ``/invoke`` request envelope and the arguments of the seven actions.

Every failure raises ``ValueError``: ``Invalid request object``, ``Missing or invalid
'action' field``, ``Missing or invalid 'arguments' field`` or ``Invalid or missing
'<argument>' field``. Integers must be integers (booleans are rejected) and bytes
strict standard base64 with padding.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Dict, Tuple


def parse_action_request(json_object: Any) -> Tuple[str, Dict[str, Any]]:
    """The ``action`` name and ``arguments`` object of a decoded request body."""
    if not isinstance(json_object, dict):
        raise ValueError("Invalid request object")
    action = json_object.get("action")
    if not isinstance(action, str):
        raise ValueError("Missing or invalid 'action' field")
    arguments = json_object.get("arguments")
    if not isinstance(arguments, dict):
        raise ValueError("Missing or invalid 'arguments' field")
    return action, arguments


def _invalid(argument: str) -> ValueError:
    return ValueError(f"Invalid or missing '{argument}' field")


def validate_str_argument(argument: str, arguments_json_object: Dict[str, Any]) -> str:
    """The string argument ``argument``."""
    value = arguments_json_object.get(argument)
    if not isinstance(value, str):
        raise _invalid(argument)
    return value


def validate_int_argument(argument: str, arguments_json_object: Dict[str, Any]) -> int:
    """The integer argument ``argument`` (a boolean is not an integer)."""
    value = arguments_json_object.get(argument)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(argument)
    return value


def validate_base64_argument(argument: str, arguments_json_object: Dict[str, Any]) -> bytes:
    """The bytes of the base64 argument ``argument`` (standard alphabet, padded)."""
    value = validate_str_argument(argument, arguments_json_object)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(argument) from None


def validate_user_id_argument(arguments_json_object: Dict[str, Any]) -> str:
    """The ``user_id`` argument."""
    return validate_str_argument("user_id", arguments_json_object)


def validate_email_address_argument(arguments_json_object: Dict[str, Any]) -> str:
    """The ``email_address`` argument."""
    return validate_str_argument("email_address", arguments_json_object)


def validate_create_user_arguments(
    arguments_json_object: Dict[str, Any],
) -> Tuple[str, bytes, str, bytes]:
    """``create_user``: e-mail address, password hash, its algorithm id, salt."""
    return (
        validate_str_argument("email_address", arguments_json_object),
        validate_base64_argument("password_hash", arguments_json_object),
        validate_str_argument("password_hash_algorithm_id", arguments_json_object),
        validate_base64_argument("password_salt", arguments_json_object),
    )


def validate_update_email_address_arguments(
    arguments_json_object: Dict[str, Any],
) -> Tuple[str, str, int]:
    """``update_user_email_address``: user id, new address, e-mail address counter."""
    return (
        validate_str_argument("user_id", arguments_json_object),
        validate_str_argument("email_address", arguments_json_object),
        validate_int_argument("user_email_address_counter", arguments_json_object),
    )


def validate_update_password_hash_arguments(
    arguments_json_object: Dict[str, Any],
) -> Tuple[str, bytes, str, bytes, int]:
    """``update_user_password_hash``: user id, hash, algorithm id, salt, counter."""
    return (
        validate_str_argument("user_id", arguments_json_object),
        validate_base64_argument("password_hash", arguments_json_object),
        validate_str_argument("password_hash_algorithm_id", arguments_json_object),
        validate_base64_argument("password_salt", arguments_json_object),
        validate_int_argument("user_password_hash_counter", arguments_json_object),
    )


def validate_increment_sessions_counter_arguments(
    arguments_json_object: Dict[str, Any],
) -> Tuple[str, int]:
    """``increment_user_sessions_counter``: user id, sessions counter."""
    return (
        validate_str_argument("user_id", arguments_json_object),
        validate_int_argument("user_sessions_counter", arguments_json_object),
    )
