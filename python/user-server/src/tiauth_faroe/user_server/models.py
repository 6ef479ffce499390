"""The user model, the seven effects, and the results of handling a request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional, Protocol, Union


@dataclass(frozen=True, slots=True)
class User:
    """A user as the auth server sees it; the counters guard against stale updates."""

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


@dataclass(frozen=True, slots=True)
class CreateUserEffect:
    """``create_user``: store a new user; answer the :class:`User`."""

    action_invocation_id: str
    email_address: str
    password_hash: bytes
    password_hash_algorithm_id: str
    password_salt: bytes


@dataclass(frozen=True, slots=True)
class GetUserEffect:
    """``get_user``: answer the :class:`User` with this id."""

    action_invocation_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class GetUserByEmailAddressEffect:
    """``get_user_by_email_address``: answer the :class:`User` with this address."""

    action_invocation_id: str
    email_address: str


@dataclass(frozen=True, slots=True)
class UpdateUserEmailAddressEffect:
    """``update_user_email_address``, if the counter still matches; answer None."""

    action_invocation_id: str
    user_id: str
    email_address: str
    user_email_address_counter: int


@dataclass(frozen=True, slots=True)
class UpdateUserPasswordHashEffect:
    """``update_user_password_hash``, if the counter still matches; answer None."""

    action_invocation_id: str
    user_id: str
    password_hash: bytes
    password_hash_algorithm_id: str
    password_salt: bytes
    user_password_hash_counter: int


@dataclass(frozen=True, slots=True)
class IncrementUserSessionsCounterEffect:
    """``increment_user_sessions_counter``, if the counter still matches; answer None."""

    action_invocation_id: str
    user_id: str
    user_sessions_counter: int


@dataclass(frozen=True, slots=True)
class DeleteUserEffect:
    """``delete_user``: remove the user; answer None."""

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
        self.error_code = error_code
        super().__init__(error_code)


EffectResult = Union[User, ActionError, None]


@dataclass(frozen=True, slots=True)
class ServerResult:
    """What :func:`handle_request_sync` answers: the response body, and the error
    code of an ``ActionError`` (or the message of an unknown action, whose
    ``response_json`` is empty)."""

    response_json: str
    error: Optional[str] = None


@dataclass(frozen=True, slots=True)
class HttpResult:
    """What :func:`handle_http_request_sync` answers: an HTTP status and JSON body.
    ``error`` is the action's error code (200) or the error message (400, 500)."""

    status_code: int
    response_json: str
    error: Optional[str] = None


class SyncServer(Protocol):
    """Your user store: carries out one effect."""

    def execute_effect(self, effect: Effect) -> EffectResult: ...


class AsyncServer(Protocol):
    """Your user store, with a coroutine ``execute_effect``."""

    async def execute_effect(self, effect: Effect) -> EffectResult: ...


_ID_ALPHABET = "abcdefghjkmnopqrstuvwxyz23456789"


def generate_action_invocation_id() -> str:
    """24 random characters from a 32-symbol alphabet (no i, l, 0, 1)."""
    return "".join(_ID_ALPHABET[b >> 3] for b in secrets.token_bytes(24))
