"""handle_http_request_sync/async: every effect, every result kind and every
request error path, sync and async, each answered with a status and a JSON body."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import pytest

from tiauth_faroe.user_server import (
    USER_ACTIONS,
    ActionError,
    CreateUserEffect,
    DeleteUserEffect,
    GetUserByEmailAddressEffect,
    GetUserEffect,
    IncrementUserSessionsCounterEffect,
    HttpResult,
    UpdateUserEmailAddressEffect,
    UpdateUserPasswordHashEffect,
    User,
    generate_action_invocation_id,
    handle_http_request_async,
    handle_http_request_sync,
)

HASH = b"\x00\x01hash-bytes\xff"
SALT = b"salt-salt-salt-1"
HASH_B64 = base64.b64encode(HASH).decode()
SALT_B64 = base64.b64encode(SALT).decode()

USER = User(
    id="1_alice",
    email_address="alice@example.com",
    password_hash=HASH,
    password_hash_algorithm_id="argon2id.3.65536.1.32",
    password_salt=SALT,
    disabled=False,
    display_name="Alice",
    email_address_counter=1,
    password_hash_counter=2,
    disabled_counter=3,
    sessions_counter=4,
)

USER_JSON = {
    "id": "1_alice",
    "email_address": "alice@example.com",
    "password_hash": HASH_B64,
    "password_hash_algorithm_id": "argon2id.3.65536.1.32",
    "password_salt": SALT_B64,
    "disabled": False,
    "display_name": "Alice",
    "email_address_counter": 1,
    "password_hash_counter": 2,
    "disabled_counter": 3,
    "sessions_counter": 4,
}

# action -> (arguments, expected effect without the id, returns a user?)
REQUESTS = {
    "create_user": (
        {
            "email_address": "alice@example.com",
            "password_hash": HASH_B64,
            "password_hash_algorithm_id": "argon2id.3.65536.1.32",
            "password_salt": SALT_B64,
        },
        lambda aid: CreateUserEffect(aid, "alice@example.com", HASH, "argon2id.3.65536.1.32", SALT),
        True,
    ),
    "get_user": ({"user_id": "1_alice"}, lambda aid: GetUserEffect(aid, "1_alice"), True),
    "get_user_by_email_address": (
        {"email_address": "alice@example.com"},
        lambda aid: GetUserByEmailAddressEffect(aid, "alice@example.com"),
        True,
    ),
    "update_user_email_address": (
        {"user_id": "1_alice", "email_address": "a@b.c", "user_email_address_counter": 1},
        lambda aid: UpdateUserEmailAddressEffect(aid, "1_alice", "a@b.c", 1),
        False,
    ),
    "update_user_password_hash": (
        {
            "user_id": "1_alice",
            "password_hash": HASH_B64,
            "password_hash_algorithm_id": "alg",
            "password_salt": SALT_B64,
            "user_password_hash_counter": 0,
        },
        lambda aid: UpdateUserPasswordHashEffect(aid, "1_alice", HASH, "alg", SALT, 0),
        False,
    ),
    "increment_user_sessions_counter": (
        {"user_id": "1_alice", "user_sessions_counter": 4294967295},
        lambda aid: IncrementUserSessionsCounterEffect(aid, "1_alice", 4294967295),
        False,
    ),
    "delete_user": ({"user_id": "1_alice"}, lambda aid: DeleteUserEffect(aid, "1_alice"), False),
}

ARGUMENT_KINDS = {
    "email_address": "str",
    "user_id": "str",
    "password_hash_algorithm_id": "str",
    "password_hash": "bytes",
    "password_salt": "bytes",
    "user_email_address_counter": "int",
    "user_password_hash_counter": "int",
    "user_sessions_counter": "int",
}


class Recorder:
    """Server that records effects and answers with a fixed outcome."""

    def __init__(self, outcome=None, raise_=None):
        self.outcome = outcome
        self.raise_ = raise_
        self.effects = []

    def execute_effect(self, effect):
        self.effects.append(effect)
        if self.raise_ is not None:
            raise self.raise_
        return self.outcome


class AsyncRecorder(Recorder):
    async def execute_effect(self, effect):
        return Recorder.execute_effect(self, effect)


def handle(kind, obj, outcome=None, raise_=None):
    if kind == "sync":
        server = Recorder(outcome, raise_)
        return handle_http_request_sync(obj, server), server
    server = AsyncRecorder(outcome, raise_)
    return asyncio.run(handle_http_request_async(obj, server)), server


@pytest.fixture(params=["sync", "async"])
def kind(request):
    return request.param


def test_the_seven_actions():
    assert set(USER_ACTIONS) == set(REQUESTS)


def test_action_invocation_id_shape():
    ids = {generate_action_invocation_id() for _ in range(200)}
    assert len(ids) == 200
    for aid in ids:
        assert re.fullmatch(r"[abcdefghjkmnopqrstuvwxyz23456789]{24}", aid)


@pytest.mark.parametrize("action", list(REQUESTS))
def test_effect_and_success_response(action, kind):
    arguments, expected, returns_user = REQUESTS[action]
    outcome = USER if returns_user else None
    result, server = handle(kind, {"action": action, "arguments": arguments}, outcome)
    assert len(server.effects) == 1
    effect = server.effects[0]
    assert effect == expected(effect.action_invocation_id)
    assert re.fullmatch(r"[a-z2-9]{24}", effect.action_invocation_id)

    assert result.status_code == 200
    assert result.error is None
    body = json.loads(result.response_json)
    expected_values = {"user": USER_JSON} if returns_user else {}
    assert body == {
        "ok": True,
        "action_invocation_id": effect.action_invocation_id,
        "values": expected_values,
    }
    assert list(body) == ["ok", "action_invocation_id", "values"]
    if returns_user:
        assert list(body["values"]["user"]) == list(USER_JSON)


@pytest.mark.parametrize("action", list(REQUESTS))
@pytest.mark.parametrize("code", ["user_not_found", "email_address_already_used", "unexpected_error"])
@pytest.mark.parametrize("raised", [False, True])
def test_action_error_response(action, code, raised, kind):
    arguments = REQUESTS[action][0]
    if raised:
        result, server = handle(kind, {"action": action, "arguments": arguments}, raise_=ActionError(code))
    else:
        result, server = handle(kind, {"action": action, "arguments": arguments}, ActionError(code))
    aid = server.effects[0].action_invocation_id
    assert result == HttpResult(
        status_code=200,
        response_json=json.dumps({"ok": False, "action_invocation_id": aid, "error_code": code}),
        error=code,
    )


INTERNAL = HttpResult(500, json.dumps({"error": "Internal Server Error", "status_code": 500}), "Internal Server Error")


@pytest.mark.parametrize("action", list(REQUESTS))
def test_wrong_outcome_type_is_a_logged_500(action, kind, caplog):
    arguments, _, returns_user = REQUESTS[action]
    for bad in (None if returns_user else USER, "something"):
        caplog.clear()
        result, server = handle(kind, {"action": action, "arguments": arguments}, bad)
        assert result == INTERNAL
        aid = server.effects[0].action_invocation_id
        assert aid in caplog.text and "TypeError" in caplog.text


def test_other_exceptions_are_a_logged_500_without_secrets(kind, caplog):
    arguments = REQUESTS["create_user"][0]
    result, server = handle(kind, {"action": "create_user", "arguments": arguments}, raise_=RuntimeError("db down"))
    assert result == INTERNAL
    aid = server.effects[0].action_invocation_id
    assert f"CreateUserEffect (action invocation {aid}) failed: RuntimeError: db down" in caplog.text
    assert HASH_B64 not in caplog.text and repr(HASH) not in caplog.text and repr(SALT) not in caplog.text


def assert_bad_request(result, message):
    assert result.status_code == 400
    assert result.error == message
    assert json.loads(result.response_json) == {"error": message, "status_code": 400}


@pytest.mark.parametrize(
    "obj,message",
    [
        ([], "Invalid request object"),
        ("get_user", "Invalid request object"),
        (None, "Invalid request object"),
        ({"arguments": {}}, "Missing or invalid 'action' field"),
        ({"action": 3, "arguments": {}}, "Missing or invalid 'action' field"),
        ({"action": "get_user"}, "Missing or invalid 'arguments' field"),
        ({"action": "get_user", "arguments": []}, "Missing or invalid 'arguments' field"),
        ({"action": "create_users", "arguments": {}}, "Unknown action create_users"),
        ({"action": "", "arguments": {}}, "Unknown action "),
    ],
)
def test_bad_envelope(obj, message, kind):
    result, server = handle(kind, obj, USER)
    assert_bad_request(result, message)
    assert server.effects == []


def _bad_argument_cases():
    cases = []
    for action, (arguments, _, _) in REQUESTS.items():
        for name in arguments:
            kind = ARGUMENT_KINDS[name]
            cases.append((action, name, "<missing>"))
            cases.append((action, name, None))
            if kind == "str":
                cases += [(action, name, 5), (action, name, ["x"])]
            elif kind == "int":
                cases += [(action, name, True), (action, name, False), (action, name, "1"), (action, name, 1.0)]
            else:
                cases += [
                    (action, name, 5),
                    (action, name, "aGVsbG8"),  # padding missing
                    (action, name, "aGVs!bG8="),  # junk character
                    (action, name, "aGVs bG8="),  # whitespace
                    (action, name, "aGVs\nbG8="),  # newline
                    (action, name, "aGVsbG8-"),  # url-safe alphabet
                ]
    return cases


BAD_ARGUMENTS = _bad_argument_cases()


@pytest.mark.parametrize("action,name,bad", BAD_ARGUMENTS, ids=[f"{a}-{n}-{b!r}" for a, n, b in BAD_ARGUMENTS])
def test_bad_argument(action, name, bad, kind):
    arguments = dict(REQUESTS[action][0])
    if bad == "<missing>":
        del arguments[name]
    else:
        arguments[name] = bad
    result, server = handle(kind, {"action": action, "arguments": arguments}, USER)
    assert_bad_request(result, f"Invalid or missing '{name}' field")
    assert server.effects == []


def test_empty_base64_is_valid():
    arguments = dict(REQUESTS["create_user"][0], password_salt="")
    result, server = handle("sync", {"action": "create_user", "arguments": arguments}, USER)
    assert result.status_code == 200
    assert server.effects[0].password_salt == b""


def test_extra_arguments_and_members_are_ignored():
    obj = {"action": "get_user", "arguments": {"user_id": "1_a", "extra": -1}, "extra": True}
    result, server = handle("sync", obj, USER)
    assert result.status_code == 200
    assert server.effects == [GetUserEffect(server.effects[0].action_invocation_id, "1_a")]


def test_disabled_user_and_empty_bytes_serialise():
    user = User("2_bob", "bob@x.y", b"", "alg", b"", True, "", 0, 0, 0, 0)
    result, _ = handle("sync", {"action": "get_user", "arguments": {"user_id": "2_bob"}}, user)
    values = json.loads(result.response_json)["values"]["user"]
    assert values["disabled"] is True
    assert values["password_hash"] == "" and values["password_salt"] == ""
