"""Actions 34-39: user password reset."""

from tiauth_faroe.client import (
    ActionSuccessResult,
    CompleteUserPasswordResetActionSuccessResult,
    CreateUserPasswordResetActionSuccessResult,
    GetUserPasswordResetActionSuccessResult,
)

from flows import (
    WRONG_TEMPORARY_PASSWORD,
    expect_error,
    expect_ok,
    sign_in,
    sign_up,
    strong_password,
    unique_email,
)


def test_full_password_reset_flow_with_its_error_codes(client, user_server):
    email, old_password, signed_up = sign_up(client, user_server)
    new_password = strong_password()

    created = expect_ok(client.create_user_password_reset(email), CreateUserPasswordResetActionSuccessResult)
    reset = created.user_password_reset
    assert reset.user_id == signed_up.session.user_id
    assert (reset.user_first_factor_verified, reset.new_password_set) == (False, False)
    assert reset.expires_at - reset.created_at == 1200
    token = created.user_password_reset_token
    temporary_password = user_server.get_token("password_reset", email)
    assert len(temporary_password) == 12

    got = expect_ok(client.get_user_password_reset(token), GetUserPasswordResetActionSuccessResult)
    assert got.user_password_reset == reset

    expect_error(client.set_user_password_reset_new_password(token, new_password), "user_first_factor_not_verified")
    expect_error(client.complete_user_password_reset(token), "user_first_factor_not_verified")
    expect_error(client.verify_user_password_reset_temporary_password(token, WRONG_TEMPORARY_PASSWORD), "incorrect_temporary_password")
    expect_ok(client.verify_user_password_reset_temporary_password(token, temporary_password), ActionSuccessResult)
    expect_error(client.verify_user_password_reset_temporary_password(token, temporary_password), "user_first_factor_already_verified")

    expect_error(client.complete_user_password_reset(token), "new_password_not_set")
    expect_error(client.set_user_password_reset_new_password(token, "short"), "invalid_password_length")
    expect_ok(client.set_user_password_reset_new_password(token, new_password), ActionSuccessResult)
    expect_error(client.set_user_password_reset_new_password(token, strong_password()), "new_password_already_set")
    state = client.get_user_password_reset(token).user_password_reset
    assert (state.user_first_factor_verified, state.new_password_set) == (True, True)

    completed = expect_ok(client.complete_user_password_reset(token), CompleteUserPasswordResetActionSuccessResult)
    assert completed.session.user_id == signed_up.session.user_id
    expect_ok(client.get_session(completed.session_token))
    expect_error(client.get_user_password_reset(token), "invalid_user_password_reset_token")

    signin_token = expect_ok(client.create_signin(email)).signin_token
    expect_error(client.verify_signin_user_password(signin_token, old_password), "incorrect_password")
    expect_ok(client.verify_signin_user_password(signin_token, new_password))


def test_create_password_reset_errors(client, user_server):
    expect_error(client.create_user_password_reset("nope"), "invalid_email_address")
    expect_error(client.create_user_password_reset(unique_email("ghost")), "user_not_found")
    email, _, signed_up = sign_up(client, user_server)
    user_server.disable(signed_up.session.user_id)
    expect_error(client.create_user_password_reset(email), "user_disabled")


def test_bad_reset_tokens(client):
    for token in ["", "nodot", "a" * 24 + "." + "b" * 24]:
        expect_error(client.get_user_password_reset(token), "invalid_user_password_reset_token")
        expect_error(client.delete_user_password_reset(token), "invalid_user_password_reset_token")
        expect_error(client.verify_user_password_reset_temporary_password(token, WRONG_TEMPORARY_PASSWORD), "invalid_user_password_reset_token")
        expect_error(client.set_user_password_reset_new_password(token, strong_password()), "invalid_user_password_reset_token")
        expect_error(client.complete_user_password_reset(token), "invalid_user_password_reset_token")


def test_delete_password_reset(client, user_server):
    email, _, _ = sign_up(client, user_server)
    token = expect_ok(client.create_user_password_reset(email)).user_password_reset_token
    expect_ok(client.delete_user_password_reset(token), ActionSuccessResult)
    expect_error(client.get_user_password_reset(token), "invalid_user_password_reset_token")
    expect_error(client.delete_user_password_reset(token), "invalid_user_password_reset_token")


def test_reset_is_invalidated_by_a_password_change(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    stale = expect_ok(client.create_user_password_reset(email)).user_password_reset_token
    session_token = signed_up.session_token
    token = expect_ok(client.create_user_password_update(session_token)).user_password_update_token
    expect_ok(client.verify_user_password_update_user_password(session_token, token, password))
    new_password = strong_password()
    expect_ok(client.set_user_password_update_new_password(session_token, token, new_password))
    expect_ok(client.complete_user_password_update(session_token, token))
    expect_error(client.get_user_password_reset(stale), "invalid_user_password_reset_token")
    sign_in(client, email, new_password)


def test_temporary_password_attempts_are_rate_limited(client, user_server):
    email, _, _ = sign_up(client, user_server)
    token = expect_ok(client.create_user_password_reset(email)).user_password_reset_token
    temporary_password = user_server.get_token("password_reset", email)
    for _ in range(5):
        expect_error(client.verify_user_password_reset_temporary_password(token, WRONG_TEMPORARY_PASSWORD), "incorrect_temporary_password")
    expect_error(client.verify_user_password_reset_temporary_password(token, temporary_password), "rate_limited")
    expect_error(client.create_user_password_reset(email), "rate_limited")
