"""Actions 8-12: signin."""

import asyncio

from tiauth_faroe.client import (
    ActionSuccessResult,
    CompleteSigninActionSuccessResult,
    CreateSigninActionSuccessResult,
    GetSigninActionSuccessResult,
)

from flows import expect_error, expect_ok, sign_up, strong_password, unique_email


def test_full_signin_flow_with_its_error_codes(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    user_id = signed_up.session.user_id

    created = expect_ok(client.create_signin(email), CreateSigninActionSuccessResult)
    assert created.signin.user_id == user_id
    assert created.signin.user_first_factor_verified is False
    assert created.signin.expires_at - created.signin.created_at == 600
    token = created.signin_token

    assert expect_ok(client.get_signin(token), GetSigninActionSuccessResult).signin == created.signin
    expect_error(client.complete_signin(token), "user_first_factor_not_verified")
    expect_error(client.verify_signin_user_password(token, strong_password()), "incorrect_password")
    expect_ok(client.verify_signin_user_password(token, password), ActionSuccessResult)
    expect_error(client.verify_signin_user_password(token, password), "user_first_factor_already_verified")
    assert client.get_signin(token).signin.user_first_factor_verified is True

    completed = expect_ok(client.complete_signin(token), CompleteSigninActionSuccessResult)
    assert completed.session.user_id == user_id
    assert completed.session_token != signed_up.session_token
    expect_ok(client.get_session(completed.session_token))
    expect_error(client.get_signin(token), "invalid_signin_token")

    notices = [e for e in user_server.emails() if e["type"] == "signin_notification"]
    assert [e["email"] for e in notices] == [email]


def test_create_signin_errors(client, user_server):
    expect_error(client.create_signin("nobody"), "invalid_email_address")
    expect_error(client.create_signin(unique_email("ghost")), "user_not_found")


def test_delete_signin(client, user_server):
    email, _, _ = sign_up(client, user_server)
    token = expect_ok(client.create_signin(email)).signin_token
    expect_ok(client.delete_signin(token), ActionSuccessResult)
    expect_error(client.get_signin(token), "invalid_signin_token")
    expect_error(client.delete_signin(token), "invalid_signin_token")
    expect_error(client.verify_signin_user_password(token, "whatever1234"), "invalid_signin_token")
    expect_error(client.complete_signin(token), "invalid_signin_token")


def test_disabled_user(client, user_server):
    email, _, signed_up = sign_up(client, user_server)
    pending = expect_ok(client.create_signin(email)).signin_token
    user_server.disable(signed_up.session.user_id)
    expect_error(client.create_signin(email), "user_disabled")
    expect_error(client.get_signin(pending), "invalid_signin_token")
    expect_error(client.get_session(signed_up.session_token), "invalid_session_token")


def test_password_attempts_are_rate_limited(client, user_server):
    email, password, _ = sign_up(client, user_server)
    token = expect_ok(client.create_signin(email)).signin_token
    for _ in range(5):
        expect_error(client.verify_signin_user_password(token, strong_password()), "incorrect_password")
    expect_error(client.verify_signin_user_password(token, password), "rate_limited")


def test_async_client_signin(client, async_client, user_server):
    email, password, _ = sign_up(client, user_server)

    async def flow():
        created = await async_client.create_signin(email)
        assert isinstance(created, CreateSigninActionSuccessResult)
        assert (await async_client.verify_signin_user_password(created.signin_token, password)).ok
        completed = await async_client.complete_signin(created.signin_token)
        assert isinstance(completed, CompleteSigninActionSuccessResult)
        return (await async_client.get_session(completed.session_token)).session

    session = asyncio.run(flow())
    assert session.user_id.endswith("_" + email.split("@")[0])
