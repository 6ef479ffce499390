"""Actions 29-33: user deletion."""

from tiauth_faroe.client import (
    ActionSuccessResult,
    CreateUserDeletionActionSuccessResult,
    GetUserDeletionActionSuccessResult,
)

from flows import expect_error, expect_ok, sign_in, sign_up, strong_password


def test_full_deletion_flow_with_its_error_codes(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token

    created = expect_ok(client.create_user_deletion(session_token), CreateUserDeletionActionSuccessResult)
    deletion = created.user_deletion
    assert (deletion.user_id, deletion.session_id, deletion.user_identity_verified) == (
        signed_up.session.user_id, signed_up.session.id, False,
    )
    assert deletion.expires_at - deletion.created_at == 600
    token = created.user_deletion_token
    got = expect_ok(client.get_user_deletion(session_token, token), GetUserDeletionActionSuccessResult)
    assert got.user_deletion == deletion

    expect_error(client.complete_user_deletion(session_token, token), "user_identity_not_verified")
    expect_error(client.verify_user_deletion_user_password(session_token, token, strong_password()), "incorrect_password")
    expect_ok(client.verify_user_deletion_user_password(session_token, token, password), ActionSuccessResult)
    expect_error(client.verify_user_deletion_user_password(session_token, token, password), "user_identity_already_verified")
    assert client.get_user_deletion(session_token, token).user_deletion.user_identity_verified is True

    expect_ok(client.complete_user_deletion(session_token, token), ActionSuccessResult)
    expect_error(client.get_session(session_token), "invalid_session_token")
    expect_error(client.create_signin(email), "user_not_found")
    assert user_server.users() == []


def test_deleted_user_id_is_not_reused(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    token = expect_ok(client.create_user_deletion(session_token)).user_deletion_token
    expect_ok(client.verify_user_deletion_user_password(session_token, token, password))
    expect_ok(client.complete_user_deletion(session_token, token))
    local, domain = email.split("@")
    _, _, again = sign_up(client, user_server, email=f"{local}@other.example.org")
    assert again.session.user_id != signed_up.session.user_id
    expect_error(client.get_session(session_token), "invalid_session_token")


def test_delete_deletion_and_bad_tokens(client, user_server):
    _, password, signed_up = sign_up(client, user_server)
    session_token = signed_up.session_token
    token = expect_ok(client.create_user_deletion(session_token)).user_deletion_token
    expect_ok(client.delete_user_deletion(session_token, token), ActionSuccessResult)
    for call in [
        lambda: client.get_user_deletion(session_token, token),
        lambda: client.delete_user_deletion(session_token, token),
        lambda: client.verify_user_deletion_user_password(session_token, token, password),
        lambda: client.complete_user_deletion(session_token, token),
    ]:
        expect_error(call(), "invalid_user_deletion_token")
    expect_error(client.create_user_deletion("bad.token"), "invalid_session_token")
    expect_ok(client.get_session(session_token))


def test_session_mismatch(client, user_server):
    email, password, signed_up = sign_up(client, user_server)
    other_session = sign_in(client, email, password).session_token
    token = expect_ok(client.create_user_deletion(signed_up.session_token)).user_deletion_token
    expect_error(client.get_user_deletion(other_session, token), "session_mismatch")
    expect_error(client.complete_user_deletion(other_session, token), "session_mismatch")
    expect_error(client.delete_user_deletion(other_session, token), "session_mismatch")
