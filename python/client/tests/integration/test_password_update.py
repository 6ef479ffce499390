"""Actions 23-28: user password update."""

from tiauth_faroe.client import (
    ActionSuccessResult,
    CreateUserPasswordUpdateActionSuccessResult,
    GetUserPasswordUpdateActionSuccessResult,
)

from flows import expect_error, expect_ok, sign_in, sign_up, strong_password


def test_full_password_update_flow_with_its_error_codes(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    new_password = strong_password()

    created = expect_ok(client.create_user_password_update(session_token), CreateUserPasswordUpdateActionSuccessResult)
    update = created.user_password_update
    assert (update.user_id, update.session_id) == (signed_up.session.user_id, signed_up.session.id)
    assert (update.user_identity_verified, update.new_password_set) == (False, False)
    assert update.expires_at - update.created_at == 600
    token = created.user_password_update_token
    got = expect_ok(client.get_user_password_update(session_token, token), GetUserPasswordUpdateActionSuccessResult)
    assert got.user_password_update == update

    expect_error(client.set_user_password_update_new_password(session_token, token, new_password), "user_identity_not_verified")
    expect_error(client.complete_user_password_update(session_token, token), "user_identity_not_verified")
    expect_error(client.verify_user_password_update_user_password(session_token, token, strong_password()), "incorrect_password")
    expect_ok(client.verify_user_password_update_user_password(session_token, token, password), ActionSuccessResult)
    expect_error(client.verify_user_password_update_user_password(session_token, token, password), "user_identity_already_verified")

    expect_error(client.complete_user_password_update(session_token, token), "new_password_not_set")
    expect_error(client.set_user_password_update_new_password(session_token, token, "short"), "invalid_password_length")
    expect_ok(client.set_user_password_update_new_password(session_token, token, new_password), ActionSuccessResult)
    expect_error(client.set_user_password_update_new_password(session_token, token, strong_password()), "new_password_already_set")
    state = client.get_user_password_update(session_token, token).user_password_update
    assert (state.user_identity_verified, state.new_password_set) == (True, True)

    result = expect_ok(client.complete_user_password_update(session_token, token))
    assert type(result) is ActionSuccessResult
    expect_error(client.get_user_password_update(session_token, token), "invalid_password_update_token")

    expect_ok(client.get_session(session_token))  # sessions survive a password change
    signin_token = expect_ok(client.create_signin(email)).signin_token
    expect_error(client.verify_signin_user_password(signin_token, password), "incorrect_password")
    expect_ok(client.verify_signin_user_password(signin_token, new_password))
    assert [e["email"] for e in user_server.emails() if e["type"] == "password_updated"] == [email]


def test_delete_password_update_and_bad_tokens(client, user_server):
    _, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    token = expect_ok(client.create_user_password_update(session_token)).user_password_update_token
    expect_ok(client.delete_user_password_update(session_token, token), ActionSuccessResult)
    for call in [
        lambda: client.get_user_password_update(session_token, token),
        lambda: client.delete_user_password_update(session_token, token),
        lambda: client.verify_user_password_update_user_password(session_token, token, password),
        lambda: client.set_user_password_update_new_password(session_token, token, strong_password()),
        lambda: client.complete_user_password_update(session_token, token),
    ]:
        expect_error(call(), "invalid_password_update_token")
    expect_error(client.create_user_password_update("bad.token"), "invalid_session_token")
    expect_error(client.get_user_password_update("bad.token", token), "invalid_session_token")


def test_session_mismatch(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    other_session = sign_in(client, email, password).session_token
    token = expect_ok(client.create_user_password_update(signed_up.session_token)).user_password_update_token
    expect_error(client.get_user_password_update(other_session, token), "session_mismatch")
    expect_error(client.verify_user_password_update_user_password(other_session, token, password), "session_mismatch")
    expect_error(client.delete_user_password_update(other_session, token), "session_mismatch")
