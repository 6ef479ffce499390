"""Every action against a fake transport: request shape, success, error and
validation failures, for both the sync and the async client."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect

import pytest

import tiauth_faroe.client as client_module
from tiauth_faroe.client import (
    ActionErrorResult,
    ActionSuccessResult,
    AsyncClient,
    Session,
    SyncClient,
)

from recorded import (
    ACTIONS,
    ACTIONS_WITH_MODEL,
    AID,
    MODELS,
    TOKEN,
    FakeAsyncClient,
    FakeSyncClient,
    argument_values,
    error_response,
    success_response,
)

ACTION_IDS = [row[0] for row in ACTIONS]
MODEL_ACTION_IDS = [row[0] for row in ACTIONS_WITH_MODEL]


def call(kind, response, action, arguments):
    """Invokes `action` on a fake client of `kind` ("sync"/"async")."""
    if kind == "sync":
        fake = FakeSyncClient(response)
        result = getattr(fake, action)(**arguments)
    else:
        fake = FakeAsyncClient(response)
        result = asyncio.run(getattr(fake, action)(**arguments))
    return fake, result


@pytest.fixture(params=["sync", "async"])
def kind(request):
    return request.param


def test_there_are_39_actions_and_both_clients_have_exactly_them():
    assert len(ACTIONS) == 39
    assert len(set(ACTION_IDS)) == 39
    for cls in (SyncClient, AsyncClient):
        public = {
            name
            for name, _ in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")
            and name not in ("send_action_invocation_request", "manage_action_invocation_request")
        }
        assert public == set(ACTION_IDS)


@pytest.mark.parametrize("row", ACTIONS, ids=ACTION_IDS)
def test_signatures_match_argument_order(row):
    action, argument_names = row[0], row[1]
    for cls in (SyncClient, AsyncClient):
        parameters = list(inspect.signature(getattr(cls, action)).parameters)
        assert parameters == ["self"] + argument_names
    assert inspect.iscoroutinefunction(getattr(AsyncClient, action))
    assert not inspect.iscoroutinefunction(getattr(SyncClient, action))


@pytest.mark.parametrize("row", ACTIONS, ids=ACTION_IDS)
def test_success(row, kind):
    action, argument_names, model, token, result_class, _ = row
    arguments = argument_values(argument_names)
    fake, result = call(kind, success_response(model, token), action, arguments)

    assert fake.requests == [{"action": action, "arguments": arguments}]
    assert list(fake.requests[0]) == ["action", "arguments"]
    assert list(fake.requests[0]["arguments"]) == argument_names

    assert type(result).__name__ == result_class
    assert type(result) is getattr(client_module, result_class)
    assert result.ok is True
    assert result.action_invocation_id == AID
    if model is not None:
        expected = {k: v for k, v in MODELS[model].items() if k != "unregistered_user_id"}
        assert dataclasses.asdict(getattr(result, model)) == expected
    if token is not None:
        assert getattr(result, token) == TOKEN


@pytest.mark.parametrize("row", ACTIONS, ids=ACTION_IDS)
def test_error_result(row, kind):
    action, argument_names, _, _, _, error_code = row
    _, result = call(kind, error_response(error_code), action, argument_values(argument_names))
    assert result == ActionErrorResult(action_invocation_id=AID, error_code=error_code)
    assert result.ok is False


@pytest.mark.parametrize("row", ACTIONS, ids=ACTION_IDS)
def test_internal_error_result(row, kind):
    _, result = call(kind, error_response("internal_error"), row[0], argument_values(row[1]))
    assert isinstance(result, ActionErrorResult)
    assert result.error_code == "internal_error"


@pytest.mark.parametrize("row", ACTIONS, ids=ACTION_IDS)
def test_extra_members_are_ignored(row, kind):
    action, argument_names, model, token, result_class, _ = row
    response = success_response(model, token)
    response["extra"] = [1, 2]
    response["values"]["extra"] = None
    if model is not None:
        response["values"][model]["extra"] = {"x": 1}
    _, result = call(kind, response, action, argument_values(argument_names))
    assert type(result).__name__ == result_class


# --- envelope validation (same for every action) -----------------------------

ENVELOPE_FAILURES = [
    ([], "JSON value is not an object!"),
    ("ok", "JSON value is not an object!"),
    (None, "JSON value is not an object!"),
    ({"ok": True, "values": {}}, "Missing 'action_invocation_id' field"),
    ({"ok": True, "action_invocation_id": 5, "values": {}}, "Invalid 'action_invocation_id' field: not a str"),
    ({"action_invocation_id": AID, "values": {}}, "Missing 'ok' field"),
    ({"ok": 1, "action_invocation_id": AID, "values": {}}, "Invalid 'ok' field: not a bool"),
    ({"ok": "true", "action_invocation_id": AID, "values": {}}, "Invalid 'ok' field: not a bool"),
    ({"ok": False, "action_invocation_id": AID}, "Missing 'error_code' field"),
    ({"ok": False, "action_invocation_id": AID, "error_code": None}, "Invalid 'error_code' field: not a str"),
    ({"ok": True, "action_invocation_id": AID, "values": []}, "Invalid 'values' field: not a dict"),
    ({"ok": True, "action_invocation_id": AID, "values": None}, "Invalid 'values' field: not a dict"),
]


@pytest.mark.parametrize("row", ACTIONS, ids=ACTION_IDS)
@pytest.mark.parametrize("response,message", ENVELOPE_FAILURES)
def test_envelope_validation(row, response, message):
    with pytest.raises(ValueError) as excinfo:
        call("sync", response, row[0], argument_values(row[1]))
    assert str(excinfo.value) == message


@pytest.mark.parametrize("row", [r for r in ACTIONS if r[2] is None], ids=lambda r: r[0])
def test_actions_without_values_accept_missing_values(row, kind):
    _, result = call(kind, {"ok": True, "action_invocation_id": AID}, row[0], argument_values(row[1]))
    assert result == ActionSuccessResult(action_invocation_id=AID)


# --- values validation (actions that return a model) ---------------------------


@pytest.mark.parametrize("row", ACTIONS_WITH_MODEL, ids=MODEL_ACTION_IDS)
def test_missing_values_member(row, kind):
    response = {"ok": True, "action_invocation_id": AID}
    with pytest.raises(ValueError, match="^Expected 'values' field in response but got None$"):
        call(kind, response, row[0], argument_values(row[1]))


@pytest.mark.parametrize("row", ACTIONS_WITH_MODEL, ids=MODEL_ACTION_IDS)
def test_missing_or_mistyped_model(row, kind):
    action, argument_names, model, token = row[:4]
    response = success_response(model, token)
    del response["values"][model]
    with pytest.raises(ValueError, match=f"^Missing '{model}' field$"):
        call(kind, response, action, argument_values(argument_names))
    response["values"][model] = "not an object"
    with pytest.raises(ValueError, match=f"^Invalid '{model}' field: not a dict$"):
        call(kind, response, action, argument_values(argument_names))


@pytest.mark.parametrize("row", [r for r in ACTIONS_WITH_MODEL if r[3]], ids=lambda r: r[0])
def test_missing_or_mistyped_token(row, kind):
    action, argument_names, model, token = row[:4]
    response = success_response(model, token)
    del response["values"][token]
    with pytest.raises(ValueError, match=f"^Missing '{token}' field$"):
        call(kind, response, action, argument_values(argument_names))
    response["values"][token] = 49
    with pytest.raises(ValueError, match=f"^Invalid '{token}' field: not a str$"):
        call(kind, response, action, argument_values(argument_names))


def _field_type(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "str"


def _model_field_cases():
    """(action row, field, bad value, expected message) for every field of every model."""
    cases = []
    for row in ACTIONS_WITH_MODEL:
        model = row[2]
        for field, value in MODELS[model].items():
            if field == "unregistered_user_id":
                continue
            cases.append((row, field, "<missing>", f"Missing '{field}' field"))
            kind = _field_type(value)
            if kind == "str":
                cases.append((row, field, 7, f"Invalid '{field}' field: not a str"))
            elif kind == "bool":
                cases.append((row, field, 0, f"Invalid '{field}' field: not a bool"))
                cases.append((row, field, None, f"Invalid '{field}' field: not a bool"))
            else:
                or_none = " or None" if (model == "session" and field == "expires_at") else ""
                # booleans are never integers
                cases.append((row, field, True, f"Invalid '{field}' field: not an int{or_none}"))
                cases.append((row, field, "1700000000", f"Invalid '{field}' field: not an int{or_none}"))
                cases.append((row, field, 1.5, f"Invalid '{field}' field: not an int{or_none}"))
                if field == "created_at":
                    cases.append((row, field, -1, "Invalid 'created_at' field: negative timestamp"))
                if field == "expires_at":
                    cases.append((row, field, 0, "Invalid 'expires_at' field: non-positive timestamp"))
                    cases.append((row, field, -5, "Invalid 'expires_at' field: non-positive timestamp"))
                if field == "expires_at" and model != "session":
                    cases.append((row, field, None, "Invalid 'expires_at' field: not an int"))
    return cases


MODEL_FIELD_CASES = _model_field_cases()


@pytest.mark.parametrize(
    "row,field,bad,message",
    MODEL_FIELD_CASES,
    ids=[f"{c[0][0]}-{c[1]}-{c[2]!r}" for c in MODEL_FIELD_CASES],
)
def test_model_field_validation(row, field, bad, message):
    action, argument_names, model, token = row[:4]
    response = success_response(model, token)
    if bad == "<missing>":
        del response["values"][model][field]
    else:
        response["values"][model][field] = bad
    for kind in ("sync", "async"):
        with pytest.raises(ValueError) as excinfo:
            call(kind, copy.deepcopy(response), action, argument_values(argument_names))
        assert str(excinfo.value) == message


def test_created_at_zero_is_accepted():
    response = success_response("signup", "signup_token")
    response["values"]["signup"]["created_at"] = 0
    _, result = call("sync", response, "create_signup", {"email_address": "a@b.c"})
    assert result.signup.created_at == 0


@pytest.mark.parametrize(
    "action", ["get_session", "complete_signin", "complete_signup", "complete_user_password_reset"]
)
def test_session_without_absolute_expiry(action, kind):
    row = next(r for r in ACTIONS if r[0] == action)
    response = success_response(row[2], row[3])
    response["values"]["session"]["expires_at"] = None
    _, result = call(kind, response, action, argument_values(row[1]))
    assert result.session == Session(
        id=MODELS["session"]["id"], user_id="1_alice", created_at=1700000000, expires_at=None
    )


def test_base_classes_need_a_transport():
    with pytest.raises(NotImplementedError):
        SyncClient().get_session("t")
    with pytest.raises(NotImplementedError):
        asyncio.run(AsyncClient().get_session("t"))


def test_transport_exceptions_propagate():
    class Broken(SyncClient):
        def send_action_invocation_request(self, body):
            raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        Broken().create_signup("a@b.c")


def test_every_result_class_is_exported():
    for row in ACTIONS:
        assert row[4] in client_module.__all__
    for name in [
        "Signup", "Signin", "Session", "UserEmailAddressUpdate", "UserPasswordUpdate",
        "UserDeletion", "UserPasswordReset", "ActionResult", "ActionErrorResult",
        "ActionSuccessResult", "JSONDict", "JSONValue", "SyncClient", "AsyncClient",
        "HttpSyncClient", "HttpAsyncClient",
    ]:
        assert name in client_module.__all__
        assert hasattr(client_module, name)
