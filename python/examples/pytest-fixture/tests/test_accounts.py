"""The application's tests. The auth server and a mock user server are started by the
tiauth-faroe-server pytest plugin: no start-up code here, no conftest.py."""

import pytest

from accounts import AccountError, Accounts

PASSWORD = "a passphrase long enough 31"


@pytest.fixture
def accounts(tiauth_client):
    return Accounts(tiauth_client)


def sign_up(accounts, codes, email):
    token = accounts.start_signup(email)
    return accounts.finish_signup(token, codes.signup_code(email), PASSWORD)


def test_signup_gives_a_session(accounts, tiauth_codes):
    session = sign_up(accounts, tiauth_codes, "ann@example.com")
    user_id = accounts.current_user_id(session)
    assert user_id is not None
    assert [user["id"] for user in tiauth_codes.users()] == [user_id]


def test_a_wrong_code_is_refused(accounts, tiauth_codes):
    token = accounts.start_signup("ann@example.com")
    real = tiauth_codes.signup_code("ann@example.com")
    wrong = "00000000"  # '0' is not in the code alphabet
    assert wrong != real
    with pytest.raises(AccountError) as refused:
        accounts.finish_signup(token, wrong, PASSWORD)
    assert refused.value.code == "incorrect_email_address_verification_code"


def test_sign_in_and_out(accounts, tiauth_codes):
    signup_session = sign_up(accounts, tiauth_codes, "bob@example.com")
    session = accounts.sign_in("bob@example.com", PASSWORD)
    assert accounts.current_user_id(session) == accounts.current_user_id(signup_session)
    accounts.sign_out(session)
    assert accounts.current_user_id(session) is None


def test_each_test_starts_from_an_empty_stack(accounts, tiauth_codes):
    # ann signed up in an earlier test; the plugin reset the stack since.
    assert tiauth_codes.users() == []
    sign_up(accounts, tiauth_codes, "ann@example.com")
