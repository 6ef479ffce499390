"""Library for writing a Tiauth Faroe user server.

The auth server calls its user server with ``POST /invoke`` and a JSON body
``{"action": <name>, "arguments": {...}}`` for seven user actions. This library
turns such a (decoded) body into an *effect* dataclass, lets your server carry it
out (``execute_effect``), and serialises the outcome into the response body.

    result = handle_request_sync(json.loads(body), my_server)
    reply(result.status_code, result.response_json)

``ServerResult.status_code`` is 200 for every answered action, success or
``ActionError``. A request that is not a valid action envelope (not an object,
``action`` or ``arguments`` missing or mistyped, unknown action, a missing or
mistyped argument, base64 that is not strict standard base64) is answered with
``status_code`` 400 and a JSON body ``{"error": <message>, "status_code": 400}``;
``ServerResult.error`` carries the same message. Exceptions raised by
``execute_effect`` propagate (map them to HTTP 500), and so does a ``TypeError``
when ``execute_effect`` returns a value of the wrong type.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from typing import Any, Dict, Optional, Protocol, Tuple, Union

__all__ = [
    "User",
    "CreateUserEffect",
    "GetUserEffect",
    "GetUserByEmailAddressEffect",
    "UpdateUserEmailAddressEffect",
    "UpdateUserPasswordHashEffect",
    "IncrementUserSessionsCounterEffect",
    "DeleteUserEffect",
    "Effect",
    "ActionError",
    "EffectResult",
    "ServerResult",
    "SyncServer",
    "AsyncServer",
    "handle_request_sync",
    "handle_request_async",
    "generate_action_invocation_id",
    "USER_ACTIONS",
]


@dataclass
class User:
    id: str
    email_address: str
    password_hash: bytes
    password_hash_algorithm_id: str
    password_salt: bytes
    disabled: bool
    display_name: str
    email_address_counter: int
    password_hash_counter: int
    disabled_counter: int
    sessions_counter: int


@dataclass
class CreateUserEffect:
    action_invocation_id: str
    email_address: str
    password_hash: bytes
    password_hash_algorithm_id: str
    password_salt: bytes


@dataclass
class GetUserEffect:
    action_invocation_id: str
    user_id: str


@dataclass
class GetUserByEmailAddressEffect:
    action_invocation_id: str
    email_address: str


@dataclass
class UpdateUserEmailAddressEffect:
    action_invocation_id: str
    user_id: str
    email_address: str
    user_email_address_counter: int


@dataclass
class UpdateUserPasswordHashEffect:
    action_invocation_id: str
    user_id: str
    password_hash: bytes
    password_hash_algorithm_id: str
    password_salt: bytes
    user_password_hash_counter: int


@dataclass
class IncrementUserSessionsCounterEffect:
    action_invocation_id: str
    user_id: str
    user_sessions_counter: int


@dataclass
class DeleteUserEffect:
    action_invocation_id: str
    user_id: str


Effect = Union[
    CreateUserEffect,
    GetUserEffect,
    GetUserByEmailAddressEffect,
    UpdateUserEmailAddressEffect,
    UpdateUserPasswordHashEffect,
    IncrementUserSessionsCounterEffect,
    DeleteUserEffect,
]


class ActionError(Exception):
    """An action outcome the auth server understands, e.g. ``user_not_found``
    or ``email_address_already_used``. Return it (or raise it) from
    ``execute_effect``."""

    def __init__(self, error_code: str) -> None:
        super().__init__(error_code)
        self.error_code = error_code


EffectResult = Union[User, ActionError, None]


@dataclass
class ServerResult:
    response_json: str
    error: Optional[str] = None
    status_code: int = 200


class SyncServer(Protocol):
    def execute_effect(self, effect: Effect) -> EffectResult: ...


class AsyncServer(Protocol):
    async def execute_effect(self, effect: Effect) -> EffectResult: ...


_ID_ALPHABET = "abcdefghjkmnopqrstuvwxyz23456789"


def generate_action_invocation_id() -> str:
    """24 random characters from a 32-symbol alphabet (no i, l, 0, 1)."""
    return "".join(_ID_ALPHABET[b >> 3] for b in secrets.token_bytes(24))


# --- request parsing -------------------------------------------------------------


class _BadRequest(Exception):
    pass


_STR = "str"
_BYTES = "bytes"
_INT = "int"

# action -> (effect class, [(argument, kind)], returns a user?)
_ACTIONS: Dict[str, Tuple[type, Tuple[Tuple[str, str], ...], bool]] = {
    "create_user": (
        CreateUserEffect,
        (
            ("email_address", _STR),
            ("password_hash", _BYTES),
            ("password_hash_algorithm_id", _STR),
            ("password_salt", _BYTES),
        ),
        True,
    ),
    "get_user": (GetUserEffect, (("user_id", _STR),), True),
    "get_user_by_email_address": (GetUserByEmailAddressEffect, (("email_address", _STR),), True),
    "update_user_email_address": (
        UpdateUserEmailAddressEffect,
        (("user_id", _STR), ("email_address", _STR), ("user_email_address_counter", _INT)),
        False,
    ),
    "update_user_password_hash": (
        UpdateUserPasswordHashEffect,
        (
            ("user_id", _STR),
            ("password_hash", _BYTES),
            ("password_hash_algorithm_id", _STR),
            ("password_salt", _BYTES),
            ("user_password_hash_counter", _INT),
        ),
        False,
    ),
    "increment_user_sessions_counter": (
        IncrementUserSessionsCounterEffect,
        (("user_id", _STR), ("user_sessions_counter", _INT)),
        False,
    ),
    "delete_user": (DeleteUserEffect, (("user_id", _STR),), False),
}

USER_ACTIONS = tuple(_ACTIONS)


def _read_argument(arguments: Dict[str, Any], name: str, kind: str) -> Any:
    value = arguments.get(name)
    if kind == _STR:
        if isinstance(value, str):
            return value
    elif kind == _INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise _BadRequest(f"Invalid or missing '{name}' field")


def _parse_request(obj: Any) -> Tuple[Effect, bool]:
    if not isinstance(obj, dict):
        raise _BadRequest("Invalid request object")
    action = obj.get("action")
    if not isinstance(action, str):
        raise _BadRequest("Missing or invalid 'action' field")
    arguments = obj.get("arguments")
    if not isinstance(arguments, dict):
        raise _BadRequest("Missing or invalid 'arguments' field")
    spec = _ACTIONS.get(action)
    if spec is None:
        raise _BadRequest(f"Unknown action {action}")
    effect_class, argument_specs, returns_user = spec
    values = [_read_argument(arguments, name, kind) for name, kind in argument_specs]
    effect = effect_class(generate_action_invocation_id(), *values)
    return effect, returns_user


def _bad_request_result(message: str) -> ServerResult:
    return ServerResult(
        response_json=json.dumps({"error": message, "status_code": 400}),
        error=message,
        status_code=400,
    )


# --- response serialisation ----------------------------------------------------------


def _user_json(user: User) -> Dict[str, Any]:
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


def _result_for(effect: Effect, returns_user: bool, outcome: Any) -> ServerResult:
    action_invocation_id = effect.action_invocation_id
    if isinstance(outcome, ActionError):
        body = {
            "ok": False,
            "action_invocation_id": action_invocation_id,
            "error_code": outcome.error_code,
        }
        return ServerResult(response_json=json.dumps(body), error=outcome.error_code)
    if returns_user:
        if not isinstance(outcome, User):
            raise TypeError(
                f"execute_effect returned {type(outcome).__name__} for "
                f"{type(effect).__name__}, expected User or ActionError"
            )
        values: Dict[str, Any] = {"user": _user_json(outcome)}
    else:
        if outcome is not None:
            raise TypeError(
                f"execute_effect returned {type(outcome).__name__} for "
                f"{type(effect).__name__}, expected None or ActionError"
            )
        values = {}
    body = {"ok": True, "action_invocation_id": action_invocation_id, "values": values}
    return ServerResult(response_json=json.dumps(body))


def handle_request_sync(obj: Any, server: SyncServer) -> ServerResult:
    """Handles one decoded ``/invoke`` body with a synchronous server."""
    try:
        effect, returns_user = _parse_request(obj)
    except _BadRequest as error:
        return _bad_request_result(str(error))
    try:
        outcome = server.execute_effect(effect)
    except ActionError as error:
        outcome = error
    return _result_for(effect, returns_user, outcome)


async def handle_request_async(obj: Any, server: AsyncServer) -> ServerResult:
    """Handles one decoded ``/invoke`` body with an asyncio server."""
    try:
        effect, returns_user = _parse_request(obj)
    except _BadRequest as error:
        return _bad_request_result(str(error))
    try:
        outcome = await server.execute_effect(effect)
    except ActionError as error:
        outcome = error
    return _result_for(effect, returns_user, outcome)
