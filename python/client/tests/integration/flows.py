"""Helpers shared by the integration tests: the user server's /command API and
the common flows (sign up, sign in)."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

from tiauth_faroe.client import (
    ActionErrorResult,
    CompleteSigninActionSuccessResult,
    CompleteSignupActionSuccessResult,
    CreateSigninActionSuccessResult,
    CreateSignupActionSuccessResult,
    SyncClient,
)

# Never a valid code or temporary password: '0' is not in their alphabet.
WRONG_CODE = "00000000"
WRONG_TEMPORARY_PASSWORD = "000000000000"


def unique_email(tag: str) -> str:
    return f"{tag}{secrets.token_hex(5)}@example.com"


def strong_password() -> str:
    return secrets.token_urlsafe(16)


def expect_ok(result: Any, result_class: Optional[type] = None) -> Any:
    assert result.ok is True, f"expected success, got {result!r}"
    if result_class is not None:
        assert isinstance(result, result_class), result
    return result


def expect_error(result: Any, error_code: str) -> None:
    assert isinstance(result, ActionErrorResult), f"expected {error_code}, got {result!r}"
    assert result.error_code == error_code, f"expected {error_code}, got {result.error_code}"


class UserServer:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def command(self, name: str, **members: Any) -> Dict[str, Any]:
        data = json.dumps({"command": name, **members}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/command", data=data,
            headers={"Content-Type": "application/json"}, method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"/command {name} failed: {error.code} {error.read()!r}") from None

    def get_token(self, email_type: str, email: str) -> str:
        answer = self.command("get_token", action=email_type, email=email)
        assert answer.get("found") is True, f"no {email_type} code stored for {email}"
        return answer["code"]

    def emails(self) -> List[Dict[str, Any]]:
        return self.command("get_emails")["emails"]

    def users(self) -> List[Dict[str, Any]]:
        return self.command("get_users")["users"]

    def disable(self, user_id: str) -> None:
        assert self.command("update_user", user_id=user_id, disabled=True) == {"success": True}


def sign_up(
    client: SyncClient, user_server: UserServer, email: Optional[str] = None,
    password: Optional[str] = None,
) -> Tuple[str, str, CompleteSignupActionSuccessResult]:
    """Creates a user through the full signup flow; returns (email, password, result)."""
    email = email or unique_email("user")
    password = password or strong_password()
    created = expect_ok(client.create_signup(email), CreateSignupActionSuccessResult)
    code = user_server.get_token("signup_verification", email)
    expect_ok(client.verify_signup_email_address_verification_code(created.signup_token, code))
    expect_ok(client.set_signup_password(created.signup_token, password))
    completed = expect_ok(client.complete_signup(created.signup_token), CompleteSignupActionSuccessResult)
    return email, password, completed


def sign_in(client: SyncClient, email: str, password: str) -> CompleteSigninActionSuccessResult:
    created = expect_ok(client.create_signin(email), CreateSigninActionSuccessResult)
    expect_ok(client.verify_signin_user_password(created.signin_token, password))
    return expect_ok(client.complete_signin(created.signin_token), CompleteSigninActionSuccessResult)
