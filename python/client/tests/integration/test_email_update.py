"""Actions 16-22: user e-mail address update."""

from tiauth_faroe.client import (
    ActionSuccessResult,
    CreateUserEmailAddressUpdateActionSuccessResult,
    GetUserEmailAddressUpdateActionSuccessResult,
)

from flows import WRONG_CODE, expect_error, expect_ok, sign_in, sign_up, strong_password, unique_email


def test_full_email_update_flow_with_its_error_codes(client, user_server):
    old_email, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    new_email = unique_email("moved")

    created = expect_ok(
        client.create_user_email_address_update(session_token, new_email),
        CreateUserEmailAddressUpdateActionSuccessResult,
    )
    update = created.user_email_address_update
    assert (update.user_id, update.session_id, update.new_email_address) == (
        signed_up.session.user_id, signed_up.session.id, new_email,
    )
    assert (update.new_email_address_verified, update.user_identity_verified) == (False, False)
    assert update.expires_at - update.created_at == 1200
    token = created.user_email_address_update_token
    code = user_server.get_token("email_update_verification", new_email)

    got = expect_ok(client.get_user_email_address_update(session_token, token), GetUserEmailAddressUpdateActionSuccessResult)
    assert got.user_email_address_update == update

    expect_ok(client.send_user_email_address_update_email_address_verification_code(session_token, token), ActionSuccessResult)
    assert user_server.get_token("email_update_verification", new_email) == code

    expect_error(client.verify_user_email_address_update_user_password(session_token, token, password), "email_address_not_verified")
    expect_error(client.complete_user_email_address_update(session_token, token), "email_address_not_verified")
    expect_error(
        client.verify_user_email_address_update_email_address_verification_code(session_token, token, WRONG_CODE),
        "incorrect_email_address_verification_code",
    )
    expect_ok(client.verify_user_email_address_update_email_address_verification_code(session_token, token, code), ActionSuccessResult)
    expect_error(
        client.verify_user_email_address_update_email_address_verification_code(session_token, token, code),
        "email_address_already_verified",
    )
    expect_error(
        client.send_user_email_address_update_email_address_verification_code(session_token, token),
        "email_address_already_verified",
    )

    expect_error(client.complete_user_email_address_update(session_token, token), "user_identity_not_verified")
    expect_error(client.verify_user_email_address_update_user_password(session_token, token, strong_password()), "incorrect_password")
    expect_ok(client.verify_user_email_address_update_user_password(session_token, token, password), ActionSuccessResult)
    expect_error(client.verify_user_email_address_update_user_password(session_token, token, password), "user_identity_already_verified")
    state = client.get_user_email_address_update(session_token, token).user_email_address_update
    assert (state.new_email_address_verified, state.user_identity_verified) == (True, True)

    expect_ok(client.complete_user_email_address_update(session_token, token), ActionSuccessResult)
    expect_error(client.get_user_email_address_update(session_token, token), "invalid_user_email_address_update_token")

    # the session survives; the user now signs in with the new address only
    expect_ok(client.get_session(session_token))
    expect_error(client.create_signin(old_email), "user_not_found")
    sign_in(client, new_email, password)
    notices = [e for e in user_server.emails() if e["type"] == "email_updated"]
    assert [(e["email"], e["newEmail"]) for e in notices] == [(old_email, new_email)]


def test_create_email_update_errors(client, user_server):
    email, _, signed_up = sign_up(client, user_server)
    other_email, _, _ = sign_up(client, user_server)
    token = signed_up.session_token
    expect_error(client.create_user_email_address_update(token, "bad-address"), "invalid_email_address")
    expect_error(client.create_user_email_address_update("bad.token", "bad-address"), "invalid_email_address")
    expect_error(client.create_user_email_address_update("bad.token", unique_email("x")), "invalid_session_token")
    expect_error(client.create_user_email_address_update(token, other_email), "email_address_already_used")
    expect_error(client.create_user_email_address_update(token, email), "email_address_already_used")


def test_delete_email_update_and_bad_tokens(client, user_server):
    _, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    token = expect_ok(client.create_user_email_address_update(session_token, unique_email("n"))).user_email_address_update_token
    expect_ok(client.delete_user_email_address_update(session_token, token), ActionSuccessResult)
    for call in [
        lambda: client.get_user_email_address_update(session_token, token),
        lambda: client.delete_user_email_address_update(session_token, token),
        lambda: client.send_user_email_address_update_email_address_verification_code(session_token, token),
        lambda: client.verify_user_email_address_update_email_address_verification_code(session_token, token, WRONG_CODE),
        lambda: client.verify_user_email_address_update_user_password(session_token, token, password),
        lambda: client.complete_user_email_address_update(session_token, token),
    ]:
        expect_error(call(), "invalid_user_email_address_update_token")
    expect_error(client.get_user_email_address_update("bad.token", token), "invalid_session_token")


def test_session_mismatch(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    other_session = sign_in(client, email, password).session_token
    token = expect_ok(client.create_user_email_address_update(signed_up.session_token, unique_email("m"))).user_email_address_update_token
    expect_error(client.get_user_email_address_update(other_session, token), "session_mismatch")
    expect_error(client.delete_user_email_address_update(other_session, token), "session_mismatch")
    expect_error(client.complete_user_email_address_update(other_session, token), "session_mismatch")


def test_address_taken_before_completion(client, user_server):
    _, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    target = unique_email("contested")
    token = expect_ok(client.create_user_email_address_update(session_token, target)).user_email_address_update_token
    code = user_server.get_token("email_update_verification", target)
    expect_ok(client.verify_user_email_address_update_email_address_verification_code(session_token, token, code))
    expect_ok(client.verify_user_email_address_update_user_password(session_token, token, password))
    sign_up(client, user_server, email=target)  # someone else takes the address first
    expect_error(client.complete_user_email_address_update(session_token, token), "invalid_user_email_address_update_token")
    expect_error(client.get_user_email_address_update(session_token, token), "invalid_user_email_address_update_token")
