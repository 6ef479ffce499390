"""Handling one ``/invoke`` request: the sans-IO generator and its drivers.

:func:`process_request_gen` parses the request, yields the effect to carry out, is
sent its outcome and returns the :class:`ServerResult`. Two pairs of drivers run it
against your ``execute_effect``:

- :func:`handle_request_sync` / :func:`handle_request_async` behave as the
  generator does: a bad envelope or argument raises ``ValueError``, an unknown
  action returns ``ServerResult("", "Unknown action <name>")``, an exception from
  ``execute_effect`` propagates (an ``ActionError`` raised there is answered like a
  returned one) and a wrong outcome type raises ``TypeError``.
- :func:`handle_http_request_sync` / :func:`handle_http_request_async` always
  answer with an :class:`HttpResult`: 200 for an answered action, 400 with
  ``{"error": <message>, "status_code": 400}`` for a bad request or unknown action,
  500 (logged with the action and its invocation id) when ``execute_effect`` fails.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Generator, Optional, Tuple, Union

from .models import (
    ActionError,
    AsyncServer,
    CreateUserEffect,
    DeleteUserEffect,
    Effect,
    EffectResult,
    GetUserByEmailAddressEffect,
    GetUserEffect,
    HttpResult,
    IncrementUserSessionsCounterEffect,
    ServerResult,
    SyncServer,
    UpdateUserEmailAddressEffect,
    UpdateUserPasswordHashEffect,
    User,
    generate_action_invocation_id,
)
from .serialization import (
    serialize_empty_result,
    serialize_error_result,
    serialize_user_result,
)
from .validation import (
    parse_action_request,
    validate_create_user_arguments,
    validate_email_address_argument,
    validate_increment_sessions_counter_arguments,
    validate_update_email_address_arguments,
    validate_update_password_hash_arguments,
    validate_user_id_argument,
)

logger = logging.getLogger("tiauth_faroe.user_server")

#: The seven user actions.
USER_ACTIONS = (
    "create_user",
    "get_user",
    "get_user_by_email_address",
    "update_user_email_address",
    "update_user_password_hash",
    "increment_user_sessions_counter",
    "delete_user",
)

_ANSWERS_USER = (CreateUserEffect, GetUserEffect, GetUserByEmailAddressEffect)


def _effect_for(action: str, aid: str, arguments: Dict[str, Any]) -> Optional[Effect]:
    if action == "create_user":
        return CreateUserEffect(aid, *validate_create_user_arguments(arguments))
    if action == "get_user":
        return GetUserEffect(aid, validate_user_id_argument(arguments))
    if action == "get_user_by_email_address":
        return GetUserByEmailAddressEffect(aid, validate_email_address_argument(arguments))
    if action == "update_user_email_address":
        return UpdateUserEmailAddressEffect(aid, *validate_update_email_address_arguments(arguments))
    if action == "update_user_password_hash":
        return UpdateUserPasswordHashEffect(aid, *validate_update_password_hash_arguments(arguments))
    if action == "increment_user_sessions_counter":
        return IncrementUserSessionsCounterEffect(
            aid, *validate_increment_sessions_counter_arguments(arguments)
        )
    if action == "delete_user":
        return DeleteUserEffect(aid, validate_user_id_argument(arguments))
    return None


def process_request_gen(
    request_json_object: Any,
) -> Generator[Effect, EffectResult, ServerResult]:
    """Parses a decoded request body, yields its effect, and returns the result
    for the outcome it is sent (a ``User``, ``None`` or an ``ActionError``)."""
    action, arguments = parse_action_request(request_json_object)
    action_invocation_id = generate_action_invocation_id()
    effect = _effect_for(action, action_invocation_id, arguments)
    if effect is None:
        return ServerResult("", f"Unknown action {action}")
    outcome: object = yield effect
    if isinstance(outcome, ActionError):
        return ServerResult(
            serialize_error_result(action_invocation_id, outcome.error_code), outcome.error_code
        )
    if isinstance(effect, _ANSWERS_USER):
        if not isinstance(outcome, User):
            raise TypeError("Called `.send()` with incorrect type, expected User or ActionError!")
        return ServerResult(serialize_user_result(action_invocation_id, outcome))
    if outcome is not None:
        raise TypeError("Called `.send()` with incorrect type, expected None or ActionError!")
    return ServerResult(serialize_empty_result(action_invocation_id))


def _finish(generator: Generator[Effect, EffectResult, ServerResult], outcome: EffectResult) -> ServerResult:
    try:
        generator.send(outcome)
    except StopIteration as stop:
        result: ServerResult = stop.value
        return result
    raise RuntimeError("the request generator yielded a second effect")


def handle_request_sync(request_json_object: Any, server: SyncServer) -> ServerResult:
    """Handles one decoded ``/invoke`` body with a synchronous server."""
    generator = process_request_gen(request_json_object)
    try:
        effect = next(generator)
    except StopIteration as stop:
        unknown: ServerResult = stop.value
        return unknown
    try:
        outcome = server.execute_effect(effect)
    except ActionError as error:
        outcome = error
    return _finish(generator, outcome)


async def handle_request_async(request_json_object: Any, server: AsyncServer) -> ServerResult:
    """Handles one decoded ``/invoke`` body with an asyncio server."""
    generator = process_request_gen(request_json_object)
    try:
        effect = next(generator)
    except StopIteration as stop:
        unknown: ServerResult = stop.value
        return unknown
    try:
        outcome = await server.execute_effect(effect)
    except ActionError as error:
        outcome = error
    return _finish(generator, outcome)


def error_result(status_code: int, message: str) -> HttpResult:
    """An answer with ``{"error": message, "status_code": status_code}``."""
    body = json.dumps({"error": message, "status_code": status_code})
    return HttpResult(status_code, body, message)


def bad_request(message: str) -> HttpResult:
    """A 400 answer with ``{"error": message, "status_code": 400}``."""
    return error_result(400, message)


INTERNAL_SERVER_ERROR = error_result(500, "Internal Server Error")


def _start(
    request_json_object: Any,
) -> Union[Tuple[Generator[Effect, EffectResult, ServerResult], Effect], HttpResult]:
    generator = process_request_gen(request_json_object)
    try:
        return generator, next(generator)
    except ValueError as error:
        return bad_request(str(error))
    except StopIteration as stop:
        unknown: ServerResult = stop.value
        return bad_request(unknown.error or "Unknown action")


def _answer(
    generator: Generator[Effect, EffectResult, ServerResult], effect: Effect, outcome: EffectResult
) -> HttpResult:
    try:
        result = _finish(generator, outcome)
    except TypeError as error:
        _log_failure(effect, error)
        return INTERNAL_SERVER_ERROR
    return HttpResult(200, result.response_json, result.error)


def _log_failure(effect: Effect, error: BaseException) -> None:
    # Names the effect type and invocation id only: effects carry password hashes.
    logger.error(
        "%s (action invocation %s) failed: %s: %s",
        type(effect).__name__,
        effect.action_invocation_id,
        type(error).__name__,
        error,
    )


def handle_http_request_sync(request_json_object: Any, server: SyncServer) -> HttpResult:
    """Handles one decoded ``/invoke`` body, always answering a status and body."""
    started = _start(request_json_object)
    if isinstance(started, HttpResult):
        return started
    generator, effect = started
    try:
        outcome = server.execute_effect(effect)
    except ActionError as error:
        outcome = error
    except Exception as error:  # answered as 500, never raised into the web framework
        _log_failure(effect, error)
        return INTERNAL_SERVER_ERROR
    return _answer(generator, effect, outcome)


async def handle_http_request_async(request_json_object: Any, server: AsyncServer) -> HttpResult:
    """Handles one decoded ``/invoke`` body, always answering a status and body."""
    started = _start(request_json_object)
    if isinstance(started, HttpResult):
        return started
    generator, effect = started
    try:
        outcome = await server.execute_effect(effect)
    except ActionError as error:
        outcome = error
    except Exception as error:  # answered as 500, never raised into the web framework
        _log_failure(effect, error)
        return INTERNAL_SERVER_ERROR
    return _answer(generator, effect, outcome)
