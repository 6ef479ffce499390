"""Actions 1-7: signup."""

from tiauth_faroe.client import (
    ActionSuccessResult,
    CompleteSignupActionSuccessResult,
    CreateSignupActionSuccessResult,
    GetSessionActionSuccessResult,
    GetSignupActionSuccessResult,
)

from flows import WRONG_CODE, expect_error, expect_ok, sign_up, strong_password, unique_email


def test_full_signup_flow_with_its_error_codes(client, user_server):
    email = unique_email("signup")
    password = strong_password()

    created = expect_ok(client.create_signup(email), CreateSignupActionSuccessResult)
    signup = created.signup
    assert signup.email_address == email
    assert (signup.email_address_verified, signup.password_set) == (False, False)
    assert signup.expires_at - signup.created_at == 1200
    token = created.signup_token
    code = user_server.get_token("signup_verification", email)
    assert len(code) == 8

    got = expect_ok(client.get_signup(token), GetSignupActionSuccessResult)
    assert got.signup == signup

    expect_error(client.set_signup_password(token, password), "email_address_not_verified")
    expect_error(client.complete_signup(token), "email_address_not_verified")
    expect_error(client.verify_signup_email_address_verification_code(token, WRONG_CODE), "incorrect_email_address_verification_code")

    expect_ok(client.send_signup_email_address_verification_code(token), ActionSuccessResult)
    assert user_server.get_token("signup_verification", email) == code

    expect_ok(client.verify_signup_email_address_verification_code(token, code), ActionSuccessResult)
    expect_error(client.verify_signup_email_address_verification_code(token, code), "email_address_already_verified")
    expect_error(client.send_signup_email_address_verification_code(token), "email_address_already_verified")
    assert client.get_signup(token).signup.email_address_verified is True

    expect_error(client.complete_signup(token), "password_not_set")
    expect_error(client.set_signup_password(token, "short"), "invalid_password_length")
    expect_error(client.set_signup_password(token, "x" * 101), "invalid_password_length")
    expect_ok(client.set_signup_password(token, password), ActionSuccessResult)
    expect_error(client.set_signup_password(token, strong_password()), "password_already_set")
    assert client.get_signup(token).signup.password_set is True

    completed = expect_ok(client.complete_signup(token), CompleteSignupActionSuccessResult)
    assert completed.session.user_id.endswith("_" + email.split("@")[0])
    session = expect_ok(client.get_session(completed.session_token), GetSessionActionSuccessResult).session
    assert session.id == completed.session.id

    expect_error(client.get_signup(token), "invalid_signup_token")
    expect_error(client.complete_signup(token), "invalid_signup_token")
    assert [u["email_address"] for u in user_server.users()] == [email]


def test_create_signup_errors(client, user_server):
    expect_error(client.create_signup("not-an-address"), "invalid_email_address")
    expect_error(client.create_signup(""), "invalid_email_address")
    email, _, _ = sign_up(client, user_server)
    expect_error(client.create_signup(email), "email_address_already_used")


def test_delete_signup(client, user_server):
    email = unique_email("delsignup")
    token = expect_ok(client.create_signup(email)).signup_token
    expect_ok(client.delete_signup(token), ActionSuccessResult)
    expect_error(client.get_signup(token), "invalid_signup_token")
    expect_error(client.delete_signup(token), "invalid_signup_token")


def test_bad_signup_tokens(client):
    for token in ["", "no-dot", "a.b.c", "x" * 24 + "." + "y" * 24]:
        expect_error(client.get_signup(token), "invalid_signup_token")
        expect_error(client.send_signup_email_address_verification_code(token), "invalid_signup_token")
        expect_error(client.verify_signup_email_address_verification_code(token, WRONG_CODE), "invalid_signup_token")
        expect_error(client.set_signup_password(token, strong_password()), "invalid_signup_token")
        expect_error(client.complete_signup(token), "invalid_signup_token")


def test_wrong_secret_is_an_invalid_token(client, user_server):
    email = unique_email("secret")
    token = expect_ok(client.create_signup(email)).signup_token
    forged = token.split(".")[0] + "." + "a" * 24
    expect_error(client.get_signup(forged), "invalid_signup_token")
    expect_ok(client.get_signup(token))


def test_verification_code_attempts_are_rate_limited(client, user_server):
    email = unique_email("ratecode")
    token = expect_ok(client.create_signup(email)).signup_token
    code = user_server.get_token("signup_verification", email)
    for _ in range(5):
        expect_error(client.verify_signup_email_address_verification_code(token, WRONG_CODE), "incorrect_email_address_verification_code")
    expect_error(client.verify_signup_email_address_verification_code(token, code), "rate_limited")


def test_failed_verification_email_is_internal_error(client, user_server):
    user_server.command("set_fault", target="email", fault={"kind": "http_500"})
    expect_error(client.create_signup(unique_email("mailfail")), "internal_error")
