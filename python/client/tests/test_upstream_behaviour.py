"""The upstream package's names behave as upstream's do: the sans-IO generators of
tiauth_faroe.client.logic driven by hand or by send_gen_sync/async, the
manage_action_invocation_request hook, and the validators' messages."""

from __future__ import annotations

import asyncio
import json
from typing import Any, List

import pytest

from tiauth_faroe.client import clients, logic
from tiauth_faroe.client.clients import AsyncClient, SyncClient, send_gen_async, send_gen_sync
from tiauth_faroe.client.logic import (
    ActionErrorResult,
    ActionParseResult,
    ActionParseSuccessResult,
    ActionSuccessResult,
    CreateSignupActionSuccessResult,
    JSONDict,
    expect_values,
    loads_typed,
    map_json_object_to_session,
    map_json_object_to_signin,
    map_json_object_to_signup,
    parse_action_invocation_response,
    validate_bool_argument,
    validate_dict_argument,
    validate_int_argument,
    validate_optional_int_argument,
    validate_str_argument,
)

from recorded import ACTIONS, AID, MODELS, TOKEN, argument_values, error_response, success_response


@pytest.mark.parametrize("row", ACTIONS, ids=[row[0] for row in ACTIONS])
def test_every_action_has_a_generator_driven_by_hand(row: Any) -> None:
    action, argument_names, model, token, result_class, _ = row
    arguments = argument_values(argument_names)
    generator = getattr(logic, action)(**arguments)
    assert next(generator) == arguments
    with pytest.raises(StopIteration) as stop:
        generator.send(parse_action_invocation_response(success_response(model, token)))
    result = stop.value.value
    assert type(result).__name__ == result_class
    if token is not None:
        assert getattr(result, token) == TOKEN
    # The same function is importable from clients, as upstream has it.
    assert getattr(clients, action) is getattr(logic, action)


def test_generator_passes_an_error_result_through() -> None:
    generator = logic.get_session(session_token="t")
    next(generator)
    with pytest.raises(StopIteration) as stop:
        generator.send(ActionErrorResult(AID, "invalid_session_token"))
    assert stop.value.value == ActionErrorResult(AID, "invalid_session_token")


def test_send_gen_sync_and_async() -> None:
    sent: List[Any] = []

    def send(action: str, arguments: JSONDict) -> ActionParseResult:
        sent.append((action, arguments))
        return parse_action_invocation_response(success_response("signup", "signup_token"))

    async def send_async(action: str, arguments: JSONDict) -> ActionParseResult:
        return send(action, arguments)

    result = send_gen_sync(gen=logic.create_signup("a@b.c"), action="create_signup", send_request=send)
    assert isinstance(result, CreateSignupActionSuccessResult)
    result = asyncio.run(
        send_gen_async(gen=logic.create_signup("a@b.c"), action="create_signup", send_request=send_async)
    )
    assert isinstance(result, CreateSignupActionSuccessResult)
    assert sent == [("create_signup", {"email_address": "a@b.c"})] * 2


def test_manage_action_invocation_request_is_a_hook() -> None:
    class Counting(SyncClient):
        def __init__(self) -> None:
            self.actions: List[str] = []

        def send_action_invocation_request(self, body: Any) -> Any:
            return {"ok": True, "action_invocation_id": AID}

        def manage_action_invocation_request(self, action: str, arguments: JSONDict) -> ActionParseResult:
            self.actions.append(action)
            return super().manage_action_invocation_request(action, arguments)

    class AsyncCounting(AsyncClient):
        def __init__(self) -> None:
            self.actions: List[str] = []

        async def send_action_invocation_request(self, _body: Any) -> Any:
            return {"ok": True, "action_invocation_id": AID}

        async def manage_action_invocation_request(self, action: str, arguments: JSONDict) -> ActionParseResult:
            self.actions.append(action)
            return await super().manage_action_invocation_request(action, arguments)

    client = Counting()
    assert client.delete_session("t") == ActionSuccessResult(AID)
    assert client.manage_action_invocation_request(action="get_session", arguments={"session_token": "t"}) == (
        ActionParseSuccessResult(AID, None)
    )
    assert client.actions == ["delete_session", "get_session"]
    async_client = AsyncCounting()
    assert asyncio.run(async_client.delete_signin("t")) == ActionSuccessResult(AID)
    assert async_client.actions == ["delete_signin"]


def test_parse_action_invocation_response() -> None:
    assert parse_action_invocation_response(response=error_response("x")) == ActionErrorResult(AID, "x")
    parsed = parse_action_invocation_response(success_response("session", None))
    assert isinstance(parsed, ActionParseSuccessResult)
    assert expect_values(parsed)["session"] == MODELS["session"]
    assert parsed.as_success() == ActionSuccessResult(AID)
    with pytest.raises(ValueError, match="^Expected 'values' field in response but got None$"):
        expect_values(ActionParseSuccessResult(AID, None))


def test_validators_and_their_messages() -> None:
    obj = {"s": "x", "i": 3, "b": False, "d": {}, "n": None, "t": True}
    assert validate_str_argument(argument="s", arguments_json_object=obj) == "x"
    assert validate_int_argument("i", obj) == 3
    assert validate_bool_argument("b", obj) is False
    assert validate_dict_argument("d", obj) == {}
    assert validate_optional_int_argument("n", obj) is None
    assert validate_optional_int_argument("i", obj) == 3
    cases = [
        (validate_str_argument, "i", "Invalid 'i' field: not a str"),
        (validate_int_argument, "s", "Invalid 's' field: not an int"),
        (validate_int_argument, "t", "Invalid 't' field: not an int"),  # stricter: bool is no int
        (validate_bool_argument, "i", "Invalid 'i' field: not a bool"),
        (validate_dict_argument, "s", "Invalid 's' field: not a dict"),
        (validate_optional_int_argument, "s", "Invalid 's' field: not an int or None"),
        (validate_str_argument, "missing", "Missing 'missing' field"),
        (validate_optional_int_argument, "missing", "Missing 'missing' field"),
    ]
    for function, name, message in cases:
        with pytest.raises(ValueError) as excinfo:
            function(name, obj)
        assert str(excinfo.value) == message


def test_model_mappers_and_loads_typed() -> None:
    assert map_json_object_to_signup(json_object=MODELS["signup"]).email_address == "alice@example.com"
    assert map_json_object_to_signin(MODELS["signin"]).user_id == "1_alice"
    assert map_json_object_to_session(MODELS["session"]).expires_at == MODELS["session"]["expires_at"]
    assert loads_typed(s=json.dumps({"a": [1, None]})) == {"a": [1, None]}


@pytest.mark.parametrize("row", ACTIONS, ids=[row[0] for row in ACTIONS])
def test_every_action_has_a_one_line_docstring_with_its_errors(row: Any) -> None:
    action, error_code = row[0], row[5]
    for function in (getattr(SyncClient, action), getattr(AsyncClient, action), getattr(logic, action)):
        doc = function.__doc__ or ""
        assert "\n" not in doc.strip()
        summary, _, errors = doc.partition("; errors: ")
        assert summary and errors.endswith(".")
        assert error_code in errors.rstrip(".").split(", ")
