"""Actions 13-15: sessions."""

import pytest

from tiauth_faroe.client import ActionInvocationRejectedError, ActionSuccessResult, GetSessionActionSuccessResult

from flows import expect_error, expect_ok, sign_in, sign_up


def test_get_and_delete_session(client, user_server):
    _, _, signed_up = sign_up(client, user_server)
    token = signed_up.session_token
    session = expect_ok(client.get_session(token), GetSessionActionSuccessResult).session
    assert session == signed_up.session
    expect_ok(client.delete_session(token), ActionSuccessResult)
    expect_error(client.get_session(token), "invalid_session_token")
    expect_error(client.delete_session(token), "invalid_session_token")


def test_delete_all_sessions(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    second = sign_in(client, email, password)
    expect_ok(client.delete_all_sessions(second.session_token), ActionSuccessResult)
    expect_error(client.get_session(signed_up.session_token), "invalid_session_token")
    expect_error(client.get_session(second.session_token), "invalid_session_token")
    expect_error(client.delete_all_sessions(second.session_token), "invalid_session_token")
    third = sign_in(client, email, password)
    expect_ok(client.get_session(third.session_token))


def test_bad_session_tokens(client):
    for token in ["", "nodot", "a" * 24 + "." + "b" * 24]:
        expect_error(client.get_session(token), "invalid_session_token")
        expect_error(client.delete_session(token), "invalid_session_token")
        expect_error(client.delete_all_sessions(token), "invalid_session_token")


def test_rejected_envelope_raises(client):
    with pytest.raises(ActionInvocationRejectedError):
        client.send_action_invocation_request({"action": "no_such_action", "arguments": {}})
    with pytest.raises(ActionInvocationRejectedError):
        client.send_action_invocation_request({"action": "get_session", "arguments": {}})
