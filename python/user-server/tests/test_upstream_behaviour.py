"""The upstream package's entry points behave as upstream's do: handle_request_*
raise ValueError for a bad envelope or argument, answer an unknown action with
ServerResult("", "Unknown action <name>"), let exceptions from execute_effect
propagate, and raise TypeError for an outcome of the wrong type."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any, List

import pytest

from tiauth_faroe.user_server import (
    ActionError,
    CreateUserEffect,
    Effect,
    EffectResult,
    GetUserEffect,
    ServerResult,
    User,
    handle_request_async,
    handle_request_sync,
    parse_action_request,
    process_request_gen,
    serialize_empty_result,
    serialize_error_result,
    serialize_user_result,
    validate_base64_argument,
    validate_create_user_arguments,
    validate_email_address_argument,
    validate_increment_sessions_counter_arguments,
    validate_int_argument,
    validate_str_argument,
    validate_update_email_address_arguments,
    validate_update_password_hash_arguments,
    validate_user_id_argument,
)

USER = User("1_a", "a@b.c", b"\x01\x02", "alg", b"\x03", False, "A", 1, 2, 3, 4)


class Store:
    def __init__(self, outcome: Any = None, raise_: Any = None) -> None:
        self.outcome = outcome
        self.raise_ = raise_
        self.effects: List[Effect] = []

    def execute_effect(self, effect: Effect) -> EffectResult:
        self.effects.append(effect)
        if self.raise_ is not None:
            raise self.raise_
        result: EffectResult = self.outcome
        return result


class AsyncStore(Store):
    async def execute_effect(self, effect: Effect) -> EffectResult:  # type: ignore[override]
        return Store.execute_effect(self, effect)


def run(kind: str, request: Any, store: Store) -> ServerResult:
    if kind == "sync":
        return handle_request_sync(request_json_object=request, server=store)
    return asyncio.run(handle_request_async(request_json_object=request, server=store))  # type: ignore[arg-type]


@pytest.fixture(params=["sync", "async"])
def kind(request: Any) -> str:
    return str(request.param)


def make_store(kind: str, **kwargs: Any) -> Store:
    return Store(**kwargs) if kind == "sync" else AsyncStore(**kwargs)


def test_success_is_a_server_result_with_the_body(kind: str) -> None:
    store = make_store(kind, outcome=USER)
    result = run(kind, {"action": "get_user", "arguments": {"user_id": "1_a"}}, store)
    aid = store.effects[0].action_invocation_id
    assert result == ServerResult(serialize_user_result(aid, USER))
    assert result.error is None


def test_action_error_returned_or_raised(kind: str) -> None:
    for store in (make_store(kind, outcome=ActionError("user_not_found")),
                  make_store(kind, raise_=ActionError("user_not_found"))):
        result = run(kind, {"action": "delete_user", "arguments": {"user_id": "x"}}, store)
        aid = store.effects[0].action_invocation_id
        assert result == ServerResult(serialize_error_result(aid, "user_not_found"), "user_not_found")


@pytest.mark.parametrize(
    "request_object,message",
    [
        ([], "Invalid request object"),
        ({"arguments": {}}, "Missing or invalid 'action' field"),
        ({"action": "get_user", "arguments": None}, "Missing or invalid 'arguments' field"),
        ({"action": "get_user", "arguments": {}}, "Invalid or missing 'user_id' field"),
        ({"action": "get_user", "arguments": {"user_id": 1}}, "Invalid or missing 'user_id' field"),
    ],
)
def test_bad_requests_raise_value_error(kind: str, request_object: Any, message: str) -> None:
    store = make_store(kind, outcome=USER)
    with pytest.raises(ValueError) as excinfo:
        run(kind, request_object, store)
    assert str(excinfo.value) == message
    assert store.effects == []


def test_unknown_action_is_an_empty_result_with_the_message(kind: str) -> None:
    store = make_store(kind, outcome=USER)
    result = run(kind, {"action": "make_coffee", "arguments": {}}, store)
    assert result == ServerResult("", "Unknown action make_coffee")
    assert store.effects == []


def test_exceptions_from_execute_effect_propagate(kind: str) -> None:
    store = make_store(kind, raise_=KeyError("db"))
    with pytest.raises(KeyError):
        run(kind, {"action": "get_user", "arguments": {"user_id": "1_a"}}, store)


def test_wrong_outcome_type_raises_type_error(kind: str) -> None:
    with pytest.raises(TypeError, match=r"^Called `.send\(\)` with incorrect type, expected User or ActionError!$"):
        run(kind, {"action": "get_user", "arguments": {"user_id": "1_a"}}, make_store(kind, outcome=None))
    with pytest.raises(TypeError, match=r"^Called `.send\(\)` with incorrect type, expected None or ActionError!$"):
        run(kind, {"action": "delete_user", "arguments": {"user_id": "1_a"}}, make_store(kind, outcome=USER))


def test_process_request_gen_by_hand() -> None:
    gen = process_request_gen(
        request_json_object={
            "action": "create_user",
            "arguments": {
                "email_address": "a@b.c",
                "password_hash": "AQI=",
                "password_hash_algorithm_id": "alg",
                "password_salt": "Aw==",
            },
        }
    )
    effect = next(gen)
    assert isinstance(effect, CreateUserEffect)
    assert (effect.password_hash, effect.password_salt) == (b"\x01\x02", b"\x03")
    with pytest.raises(StopIteration) as stop:
        gen.send(USER)
    result = stop.value.value
    assert json.loads(result.response_json)["values"]["user"]["id"] == "1_a"
    assert json.loads(result.response_json)["action_invocation_id"] == effect.action_invocation_id


def test_parse_action_request() -> None:
    assert parse_action_request(json_object={"action": "a", "arguments": {"x": 1}}) == ("a", {"x": 1})


def test_validators_with_upstream_keywords() -> None:
    arguments = {
        "user_id": "u",
        "email_address": "e@x.y",
        "password_hash": base64.b64encode(b"h").decode(),
        "password_salt": base64.b64encode(b"s").decode(),
        "password_hash_algorithm_id": "alg",
        "user_email_address_counter": 1,
        "user_password_hash_counter": 2,
        "user_sessions_counter": 3,
    }
    assert validate_str_argument(argument="user_id", arguments_json_object=arguments) == "u"
    assert validate_int_argument(argument="user_sessions_counter", arguments_json_object=arguments) == 3
    assert validate_base64_argument(argument="password_hash", arguments_json_object=arguments) == b"h"
    assert validate_user_id_argument(arguments_json_object=arguments) == "u"
    assert validate_email_address_argument(arguments_json_object=arguments) == "e@x.y"
    assert validate_create_user_arguments(arguments_json_object=arguments) == ("e@x.y", b"h", "alg", b"s")
    assert validate_update_email_address_arguments(arguments_json_object=arguments) == ("u", "e@x.y", 1)
    assert validate_update_password_hash_arguments(arguments_json_object=arguments) == ("u", b"h", "alg", b"s", 2)
    assert validate_increment_sessions_counter_arguments(arguments_json_object=arguments) == ("u", 3)


@pytest.mark.parametrize(
    "function,argument,value",
    [
        (validate_str_argument, "x", 5),
        (validate_int_argument, "x", "5"),
        # Stricter than upstream: booleans are not integers, base64 must be strict.
        (validate_int_argument, "x", True),
        (validate_base64_argument, "x", "aGVsbG8"),
        (validate_base64_argument, "x", "aGVs bG8="),
    ],
)
def test_validator_errors(function: Any, argument: str, value: Any) -> None:
    for arguments in ({}, {argument: value}):
        with pytest.raises(ValueError) as excinfo:
            function(argument, arguments)
        assert str(excinfo.value) == f"Invalid or missing '{argument}' field"


def test_serializers() -> None:
    assert json.loads(serialize_empty_result(action_invocation_id="i")) == {
        "ok": True, "action_invocation_id": "i", "values": {}
    }
    assert json.loads(serialize_error_result(action_invocation_id="i", error_code="c")) == {
        "ok": False, "action_invocation_id": "i", "error_code": "c"
    }
    user = json.loads(serialize_user_result(action_invocation_id="i", user=USER))["values"]["user"]
    assert user["password_hash"] == "AQI=" and user["password_salt"] == "Aw=="
    assert user["sessions_counter"] == 4 and user["display_name"] == "A"


def test_effects_and_results_are_frozen() -> None:
    effect = GetUserEffect("i", "u")
    with pytest.raises(AttributeError):
        effect.user_id = "v"  # type: ignore[misc]
    assert not hasattr(effect, "__dict__")
