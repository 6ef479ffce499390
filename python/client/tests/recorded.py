"""Recorded responses of the auth server, one per action, and a fake transport."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

from tiauth_faroe.client import AsyncClient, SyncClient

AID = "n7xq2c8vkzr4mbpdw5fjht3s"
TOKEN = "a" * 24 + "." + "b" * 24

SIGNUP = {
    "id": "signupidsignupidsignupid",
    "unregistered_user_id": "",
    "email_address": "alice@example.com",
    "email_address_verified": False,
    "password_set": False,
    "created_at": 1700000000,
    "expires_at": 1700001200,
}
SIGNIN = {
    "id": "signinidsigninidsigninid",
    "user_id": "1_alice",
    "user_first_factor_verified": False,
    "created_at": 1700000000,
    "expires_at": 1700000600,
}
SESSION = {
    "id": "sessionidsessionidsessio",
    "user_id": "1_alice",
    "created_at": 1700000000,
    "expires_at": 1707776000,
}
USER_EMAIL_ADDRESS_UPDATE = {
    "id": "updateidupdateidupdateid",
    "user_id": "1_alice",
    "session_id": "sessionidsessionidsessio",
    "new_email_address": "alice@example.org",
    "new_email_address_verified": False,
    "user_identity_verified": False,
    "created_at": 1700000000,
    "expires_at": 1700001200,
}
USER_PASSWORD_UPDATE = {
    "id": "pwupdateidpwupdateidpwup",
    "user_id": "1_alice",
    "session_id": "sessionidsessionidsessio",
    "user_identity_verified": False,
    "new_password_set": False,
    "created_at": 1700000000,
    "expires_at": 1700000600,
}
USER_DELETION = {
    "id": "deletionideletionideleti",
    "user_id": "1_alice",
    "session_id": "sessionidsessionidsessio",
    "user_identity_verified": True,
    "created_at": 1700000000,
    "expires_at": 1700000600,
}
USER_PASSWORD_RESET = {
    "id": "resetidresetidresetidres",
    "user_id": "1_alice",
    "user_first_factor_verified": False,
    "new_password_set": False,
    "created_at": 1700000000,
    "expires_at": 1700001200,
}

MODELS = {
    "signup": SIGNUP,
    "signin": SIGNIN,
    "session": SESSION,
    "user_email_address_update": USER_EMAIL_ADDRESS_UPDATE,
    "user_password_update": USER_PASSWORD_UPDATE,
    "user_deletion": USER_DELETION,
    "user_password_reset": USER_PASSWORD_RESET,
}

# (action, argument names in order, model returned or None, token name or None,
#  success result class name, one error code the action can answer)
ACTIONS = [
    ("create_signup", ["email_address"], "signup", "signup_token", "CreateSignupActionSuccessResult", "email_address_already_used"),
    ("get_signup", ["signup_token"], "signup", None, "GetSignupActionSuccessResult", "invalid_signup_token"),
    ("delete_signup", ["signup_token"], None, None, "ActionSuccessResult", "invalid_signup_token"),
    ("send_signup_email_address_verification_code", ["signup_token"], None, None, "ActionSuccessResult", "rate_limited"),
    ("verify_signup_email_address_verification_code", ["signup_token", "email_address_verification_code"], None, None, "ActionSuccessResult", "incorrect_email_address_verification_code"),
    ("set_signup_password", ["signup_token", "password"], None, None, "ActionSuccessResult", "weak_password"),
    ("complete_signup", ["signup_token"], "session", "session_token", "CompleteSignupActionSuccessResult", "password_not_set"),
    ("create_signin", ["user_email_address"], "signin", "signin_token", "CreateSigninActionSuccessResult", "user_not_found"),
    ("get_signin", ["signin_token"], "signin", None, "GetSigninActionSuccessResult", "invalid_signin_token"),
    ("delete_signin", ["signin_token"], None, None, "ActionSuccessResult", "invalid_signin_token"),
    ("verify_signin_user_password", ["signin_token", "password"], None, None, "ActionSuccessResult", "incorrect_password"),
    ("complete_signin", ["signin_token"], "session", "session_token", "CompleteSigninActionSuccessResult", "user_first_factor_not_verified"),
    ("get_session", ["session_token"], "session", None, "GetSessionActionSuccessResult", "invalid_session_token"),
    ("delete_session", ["session_token"], None, None, "ActionSuccessResult", "invalid_session_token"),
    ("delete_all_sessions", ["session_token"], None, None, "ActionSuccessResult", "invalid_session_token"),
    ("create_user_email_address_update", ["session_token", "new_email_address"], "user_email_address_update", "user_email_address_update_token", "CreateUserEmailAddressUpdateActionSuccessResult", "email_address_already_used"),
    ("get_user_email_address_update", ["session_token", "user_email_address_update_token"], "user_email_address_update", None, "GetUserEmailAddressUpdateActionSuccessResult", "session_mismatch"),
    ("delete_user_email_address_update", ["session_token", "user_email_address_update_token"], None, None, "ActionSuccessResult", "invalid_user_email_address_update_token"),
    ("send_user_email_address_update_email_address_verification_code", ["session_token", "user_email_address_update_token"], None, None, "ActionSuccessResult", "email_address_already_verified"),
    ("verify_user_email_address_update_email_address_verification_code", ["session_token", "user_email_address_update_token", "email_address_verification_code"], None, None, "ActionSuccessResult", "incorrect_email_address_verification_code"),
    ("verify_user_email_address_update_user_password", ["session_token", "user_email_address_update_token", "password"], None, None, "ActionSuccessResult", "email_address_not_verified"),
    ("complete_user_email_address_update", ["session_token", "user_email_address_update_token"], None, None, "ActionSuccessResult", "user_identity_not_verified"),
    ("create_user_password_update", ["session_token"], "user_password_update", "user_password_update_token", "CreateUserPasswordUpdateActionSuccessResult", "invalid_session_token"),
    ("get_user_password_update", ["session_token", "user_password_update_token"], "user_password_update", None, "GetUserPasswordUpdateActionSuccessResult", "invalid_password_update_token"),
    ("delete_user_password_update", ["session_token", "user_password_update_token"], None, None, "ActionSuccessResult", "invalid_password_update_token"),
    ("verify_user_password_update_user_password", ["session_token", "user_password_update_token", "password"], None, None, "ActionSuccessResult", "incorrect_password"),
    ("set_user_password_update_new_password", ["session_token", "user_password_update_token", "password"], None, None, "ActionSuccessResult", "new_password_already_set"),
    ("complete_user_password_update", ["session_token", "user_password_update_token"], None, None, "ActionSuccessResult", "new_password_not_set"),
    ("create_user_deletion", ["session_token"], "user_deletion", "user_deletion_token", "CreateUserDeletionActionSuccessResult", "invalid_session_token"),
    ("get_user_deletion", ["session_token", "user_deletion_token"], "user_deletion", None, "GetUserDeletionActionSuccessResult", "invalid_user_deletion_token"),
    ("delete_user_deletion", ["session_token", "user_deletion_token"], None, None, "ActionSuccessResult", "session_mismatch"),
    ("verify_user_deletion_user_password", ["session_token", "user_deletion_token", "password"], None, None, "ActionSuccessResult", "user_identity_already_verified"),
    ("complete_user_deletion", ["session_token", "user_deletion_token"], None, None, "ActionSuccessResult", "user_identity_not_verified"),
    ("create_user_password_reset", ["user_email_address"], "user_password_reset", "user_password_reset_token", "CreateUserPasswordResetActionSuccessResult", "user_disabled"),
    ("get_user_password_reset", ["user_password_reset_token"], "user_password_reset", None, "GetUserPasswordResetActionSuccessResult", "invalid_user_password_reset_token"),
    ("delete_user_password_reset", ["user_password_reset_token"], None, None, "ActionSuccessResult", "invalid_user_password_reset_token"),
    ("verify_user_password_reset_temporary_password", ["user_password_reset_token", "temporary_password"], None, None, "ActionSuccessResult", "incorrect_temporary_password"),
    ("set_user_password_reset_new_password", ["user_password_reset_token", "password"], None, None, "ActionSuccessResult", "user_first_factor_not_verified"),
    ("complete_user_password_reset", ["user_password_reset_token"], "session", "session_token", "CompleteUserPasswordResetActionSuccessResult", "new_password_not_set"),
]

ACTIONS_WITH_MODEL = [row for row in ACTIONS if row[2] is not None]


def argument_values(argument_names: List[str]) -> Dict[str, str]:
    return {name: f"value-of-{name}" for name in argument_names}


def success_response(model: Any, token: Any) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    if model is not None:
        values[model] = copy.deepcopy(MODELS[model])
    if token is not None:
        values[token] = TOKEN
    return {"ok": True, "action_invocation_id": AID, "values": values}


def error_response(error_code: str) -> Dict[str, Any]:
    return {"ok": False, "action_invocation_id": AID, "error_code": error_code}


class FakeSyncClient(SyncClient):
    def __init__(self, response: Any) -> None:
        self.response = response
        self.requests: List[Any] = []

    def send_action_invocation_request(self, body: Any) -> Any:
        self.requests.append(copy.deepcopy(body))
        return copy.deepcopy(self.response)


class FakeAsyncClient(AsyncClient):
    def __init__(self, response: Any) -> None:
        self.response = response
        self.requests: List[Any] = []

    async def send_action_invocation_request(self, body: Any) -> Any:
        self.requests.append(copy.deepcopy(body))
        return copy.deepcopy(self.response)
