"""A minimal application module: accounts backed by a Tiauth Faroe auth server.

The application talks to the auth server through a ``tiauth_faroe.client.SyncClient``
and never sees passwords hashed or codes generated: the auth server does both and
e-mails codes through the user server.
"""

from __future__ import annotations

from typing import Any, Optional

from tiauth_faroe.client import ActionErrorResult, SyncClient


class AccountError(Exception):
    """The auth server refused; ``code`` is its error code (e.g. ``incorrect_password``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Accounts:
    def __init__(self, auth: SyncClient) -> None:
        self.auth = auth

    def start_signup(self, email: str) -> str:
        """Sends the verification code to ``email``; returns the signup token."""
        created = _check(self.auth.create_signup(email))
        return created.signup_token

    def finish_signup(self, signup_token: str, code: str, password: str) -> str:
        """Verifies the e-mailed code, sets the password; returns a session token."""
        _check(self.auth.verify_signup_email_address_verification_code(signup_token, code))
        _check(self.auth.set_signup_password(signup_token, password))
        return _check(self.auth.complete_signup(signup_token)).session_token

    def sign_in(self, email: str, password: str) -> str:
        """Returns a session token."""
        signin_token = _check(self.auth.create_signin(email)).signin_token
        _check(self.auth.verify_signin_user_password(signin_token, password))
        return _check(self.auth.complete_signin(signin_token)).session_token

    def current_user_id(self, session_token: str) -> Optional[str]:
        """The user of a session, or None when the session is not (or no longer) valid."""
        result = self.auth.get_session(session_token)
        return None if isinstance(result, ActionErrorResult) else result.session.user_id

    def sign_out(self, session_token: str) -> None:
        _check(self.auth.delete_session(session_token))


def _check(result: Any) -> Any:
    if isinstance(result, ActionErrorResult):
        raise AccountError(result.error_code)
    return result
