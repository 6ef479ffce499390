"""Sync and async clients for the 39 Faroe actions.

Subclass :class:`SyncClient` / :class:`AsyncClient` and implement
``send_action_invocation_request(body)`` to plug in a transport, or use the
ready HTTP clients in :mod:`tiauth_faroe.client.http`.

Each method sends ``{"action": <name>, "arguments": {...}}`` with its arguments
in the order of its parameters and returns the validated result: the action's
success result, or :class:`ActionErrorResult` when the server answers
``ok: false``. A malformed response raises ``ValueError``.
"""

from __future__ import annotations

from typing import Optional, Union

from . import parsing
from .models import (
    ActionErrorResult,
    ActionResult,
    CompleteSigninActionSuccessResult,
    CompleteSignupActionSuccessResult,
    CompleteUserPasswordResetActionSuccessResult,
    CreateSigninActionSuccessResult,
    CreateSignupActionSuccessResult,
    CreateUserDeletionActionSuccessResult,
    CreateUserEmailAddressUpdateActionSuccessResult,
    CreateUserPasswordResetActionSuccessResult,
    CreateUserPasswordUpdateActionSuccessResult,
    GetSessionActionSuccessResult,
    GetSigninActionSuccessResult,
    GetSignupActionSuccessResult,
    GetUserDeletionActionSuccessResult,
    GetUserEmailAddressUpdateActionSuccessResult,
    GetUserPasswordResetActionSuccessResult,
    GetUserPasswordUpdateActionSuccessResult,
    JSONDict,
    JSONValue,
)
from .parsing import ValuesParser


def _build_body(action: str, arguments: JSONDict) -> JSONDict:
    return {"action": action, "arguments": arguments}


class SyncClient:
    """Blocking client. Implement :meth:`send_action_invocation_request`."""

    def send_action_invocation_request(self, body: JSONValue) -> JSONValue:
        """Sends one action invocation and returns the decoded JSON response."""
        raise NotImplementedError

    def _invoke(self, action: str, arguments: JSONDict, values_parser: Optional[ValuesParser]):
        response = self.send_action_invocation_request(_build_body(action, arguments))
        return parsing.parse_action_response(response, values_parser)

    def create_signup(self, email_address: str) -> Union[CreateSignupActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "create_signup",
            {"email_address": email_address},
            parsing.create_signup_values,
        )

    def get_signup(self, signup_token: str) -> Union[GetSignupActionSuccessResult, ActionErrorResult]:
        return self._invoke("get_signup", {"signup_token": signup_token}, parsing.get_signup_values)

    def delete_signup(self, signup_token: str) -> ActionResult:
        return self._invoke("delete_signup", {"signup_token": signup_token}, None)

    def send_signup_email_address_verification_code(self, signup_token: str) -> ActionResult:
        return self._invoke(
            "send_signup_email_address_verification_code",
            {"signup_token": signup_token},
            None,
        )

    def verify_signup_email_address_verification_code(self, signup_token: str, email_address_verification_code: str) -> ActionResult:
        return self._invoke(
            "verify_signup_email_address_verification_code",
            {"signup_token": signup_token, "email_address_verification_code": email_address_verification_code},
            None,
        )

    def set_signup_password(self, signup_token: str, password: str) -> ActionResult:
        return self._invoke(
            "set_signup_password",
            {"signup_token": signup_token, "password": password},
            None,
        )

    def complete_signup(self, signup_token: str) -> Union[CompleteSignupActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "complete_signup",
            {"signup_token": signup_token},
            parsing.complete_signup_values,
        )

    def create_signin(self, user_email_address: str) -> Union[CreateSigninActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "create_signin",
            {"user_email_address": user_email_address},
            parsing.create_signin_values,
        )

    def get_signin(self, signin_token: str) -> Union[GetSigninActionSuccessResult, ActionErrorResult]:
        return self._invoke("get_signin", {"signin_token": signin_token}, parsing.get_signin_values)

    def delete_signin(self, signin_token: str) -> ActionResult:
        return self._invoke("delete_signin", {"signin_token": signin_token}, None)

    def verify_signin_user_password(self, signin_token: str, password: str) -> ActionResult:
        return self._invoke(
            "verify_signin_user_password",
            {"signin_token": signin_token, "password": password},
            None,
        )

    def complete_signin(self, signin_token: str) -> Union[CompleteSigninActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "complete_signin",
            {"signin_token": signin_token},
            parsing.complete_signin_values,
        )

    def get_session(self, session_token: str) -> Union[GetSessionActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "get_session",
            {"session_token": session_token},
            parsing.get_session_values,
        )

    def delete_session(self, session_token: str) -> ActionResult:
        return self._invoke("delete_session", {"session_token": session_token}, None)

    def delete_all_sessions(self, session_token: str) -> ActionResult:
        return self._invoke("delete_all_sessions", {"session_token": session_token}, None)

    def create_user_email_address_update(self, session_token: str, new_email_address: str) -> Union[CreateUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "create_user_email_address_update",
            {"session_token": session_token, "new_email_address": new_email_address},
            parsing.create_user_email_address_update_values,
        )

    def get_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> Union[GetUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "get_user_email_address_update",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            parsing.get_user_email_address_update_values,
        )

    def delete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        return self._invoke(
            "delete_user_email_address_update",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            None,
        )

    def send_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        return self._invoke(
            "send_user_email_address_update_email_address_verification_code",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            None,
        )

    def verify_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str, email_address_verification_code: str) -> ActionResult:
        return self._invoke(
            "verify_user_email_address_update_email_address_verification_code",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token, "email_address_verification_code": email_address_verification_code},
            None,
        )

    def verify_user_email_address_update_user_password(self, session_token: str, user_email_address_update_token: str, password: str) -> ActionResult:
        return self._invoke(
            "verify_user_email_address_update_user_password",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token, "password": password},
            None,
        )

    def complete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        return self._invoke(
            "complete_user_email_address_update",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            None,
        )

    def create_user_password_update(self, session_token: str) -> Union[CreateUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "create_user_password_update",
            {"session_token": session_token},
            parsing.create_user_password_update_values,
        )

    def get_user_password_update(self, session_token: str, user_password_update_token: str) -> Union[GetUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "get_user_password_update",
            {"session_token": session_token, "user_password_update_token": user_password_update_token},
            parsing.get_user_password_update_values,
        )

    def delete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        return self._invoke(
            "delete_user_password_update",
            {"session_token": session_token, "user_password_update_token": user_password_update_token},
            None,
        )

    def verify_user_password_update_user_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        return self._invoke(
            "verify_user_password_update_user_password",
            {"session_token": session_token, "user_password_update_token": user_password_update_token, "password": password},
            None,
        )

    def set_user_password_update_new_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        return self._invoke(
            "set_user_password_update_new_password",
            {"session_token": session_token, "user_password_update_token": user_password_update_token, "password": password},
            None,
        )

    def complete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        return self._invoke(
            "complete_user_password_update",
            {"session_token": session_token, "user_password_update_token": user_password_update_token},
            None,
        )

    def create_user_deletion(self, session_token: str) -> Union[CreateUserDeletionActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "create_user_deletion",
            {"session_token": session_token},
            parsing.create_user_deletion_values,
        )

    def get_user_deletion(self, session_token: str, user_deletion_token: str) -> Union[GetUserDeletionActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "get_user_deletion",
            {"session_token": session_token, "user_deletion_token": user_deletion_token},
            parsing.get_user_deletion_values,
        )

    def delete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        return self._invoke(
            "delete_user_deletion",
            {"session_token": session_token, "user_deletion_token": user_deletion_token},
            None,
        )

    def verify_user_deletion_user_password(self, session_token: str, user_deletion_token: str, password: str) -> ActionResult:
        return self._invoke(
            "verify_user_deletion_user_password",
            {"session_token": session_token, "user_deletion_token": user_deletion_token, "password": password},
            None,
        )

    def complete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        return self._invoke(
            "complete_user_deletion",
            {"session_token": session_token, "user_deletion_token": user_deletion_token},
            None,
        )

    def create_user_password_reset(self, user_email_address: str) -> Union[CreateUserPasswordResetActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "create_user_password_reset",
            {"user_email_address": user_email_address},
            parsing.create_user_password_reset_values,
        )

    def get_user_password_reset(self, user_password_reset_token: str) -> Union[GetUserPasswordResetActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "get_user_password_reset",
            {"user_password_reset_token": user_password_reset_token},
            parsing.get_user_password_reset_values,
        )

    def delete_user_password_reset(self, user_password_reset_token: str) -> ActionResult:
        return self._invoke(
            "delete_user_password_reset",
            {"user_password_reset_token": user_password_reset_token},
            None,
        )

    def verify_user_password_reset_temporary_password(self, user_password_reset_token: str, temporary_password: str) -> ActionResult:
        return self._invoke(
            "verify_user_password_reset_temporary_password",
            {"user_password_reset_token": user_password_reset_token, "temporary_password": temporary_password},
            None,
        )

    def set_user_password_reset_new_password(self, user_password_reset_token: str, password: str) -> ActionResult:
        return self._invoke(
            "set_user_password_reset_new_password",
            {"user_password_reset_token": user_password_reset_token, "password": password},
            None,
        )

    def complete_user_password_reset(self, user_password_reset_token: str) -> Union[CompleteUserPasswordResetActionSuccessResult, ActionErrorResult]:
        return self._invoke(
            "complete_user_password_reset",
            {"user_password_reset_token": user_password_reset_token},
            parsing.complete_user_password_reset_values,
        )


class AsyncClient:
    """Asyncio client. Implement the coroutine :meth:`send_action_invocation_request`."""

    async def send_action_invocation_request(self, body: JSONValue) -> JSONValue:
        """Sends one action invocation and returns the decoded JSON response."""
        raise NotImplementedError

    async def _invoke(
        self, action: str, arguments: JSONDict, values_parser: Optional[ValuesParser]
    ):
        response = await self.send_action_invocation_request(_build_body(action, arguments))
        return parsing.parse_action_response(response, values_parser)

    async def create_signup(self, email_address: str) -> Union[CreateSignupActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "create_signup",
            {"email_address": email_address},
            parsing.create_signup_values,
        )

    async def get_signup(self, signup_token: str) -> Union[GetSignupActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_signup",
            {"signup_token": signup_token},
            parsing.get_signup_values,
        )

    async def delete_signup(self, signup_token: str) -> ActionResult:
        return await self._invoke("delete_signup", {"signup_token": signup_token}, None)

    async def send_signup_email_address_verification_code(self, signup_token: str) -> ActionResult:
        return await self._invoke(
            "send_signup_email_address_verification_code",
            {"signup_token": signup_token},
            None,
        )

    async def verify_signup_email_address_verification_code(self, signup_token: str, email_address_verification_code: str) -> ActionResult:
        return await self._invoke(
            "verify_signup_email_address_verification_code",
            {"signup_token": signup_token, "email_address_verification_code": email_address_verification_code},
            None,
        )

    async def set_signup_password(self, signup_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "set_signup_password",
            {"signup_token": signup_token, "password": password},
            None,
        )

    async def complete_signup(self, signup_token: str) -> Union[CompleteSignupActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "complete_signup",
            {"signup_token": signup_token},
            parsing.complete_signup_values,
        )

    async def create_signin(self, user_email_address: str) -> Union[CreateSigninActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "create_signin",
            {"user_email_address": user_email_address},
            parsing.create_signin_values,
        )

    async def get_signin(self, signin_token: str) -> Union[GetSigninActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_signin",
            {"signin_token": signin_token},
            parsing.get_signin_values,
        )

    async def delete_signin(self, signin_token: str) -> ActionResult:
        return await self._invoke("delete_signin", {"signin_token": signin_token}, None)

    async def verify_signin_user_password(self, signin_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "verify_signin_user_password",
            {"signin_token": signin_token, "password": password},
            None,
        )

    async def complete_signin(self, signin_token: str) -> Union[CompleteSigninActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "complete_signin",
            {"signin_token": signin_token},
            parsing.complete_signin_values,
        )

    async def get_session(self, session_token: str) -> Union[GetSessionActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_session",
            {"session_token": session_token},
            parsing.get_session_values,
        )

    async def delete_session(self, session_token: str) -> ActionResult:
        return await self._invoke("delete_session", {"session_token": session_token}, None)

    async def delete_all_sessions(self, session_token: str) -> ActionResult:
        return await self._invoke("delete_all_sessions", {"session_token": session_token}, None)

    async def create_user_email_address_update(self, session_token: str, new_email_address: str) -> Union[CreateUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "create_user_email_address_update",
            {"session_token": session_token, "new_email_address": new_email_address},
            parsing.create_user_email_address_update_values,
        )

    async def get_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> Union[GetUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_user_email_address_update",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            parsing.get_user_email_address_update_values,
        )

    async def delete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        return await self._invoke(
            "delete_user_email_address_update",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            None,
        )

    async def send_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        return await self._invoke(
            "send_user_email_address_update_email_address_verification_code",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            None,
        )

    async def verify_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str, email_address_verification_code: str) -> ActionResult:
        return await self._invoke(
            "verify_user_email_address_update_email_address_verification_code",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token, "email_address_verification_code": email_address_verification_code},
            None,
        )

    async def verify_user_email_address_update_user_password(self, session_token: str, user_email_address_update_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "verify_user_email_address_update_user_password",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token, "password": password},
            None,
        )

    async def complete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        return await self._invoke(
            "complete_user_email_address_update",
            {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token},
            None,
        )

    async def create_user_password_update(self, session_token: str) -> Union[CreateUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "create_user_password_update",
            {"session_token": session_token},
            parsing.create_user_password_update_values,
        )

    async def get_user_password_update(self, session_token: str, user_password_update_token: str) -> Union[GetUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_user_password_update",
            {"session_token": session_token, "user_password_update_token": user_password_update_token},
            parsing.get_user_password_update_values,
        )

    async def delete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        return await self._invoke(
            "delete_user_password_update",
            {"session_token": session_token, "user_password_update_token": user_password_update_token},
            None,
        )

    async def verify_user_password_update_user_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "verify_user_password_update_user_password",
            {"session_token": session_token, "user_password_update_token": user_password_update_token, "password": password},
            None,
        )

    async def set_user_password_update_new_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "set_user_password_update_new_password",
            {"session_token": session_token, "user_password_update_token": user_password_update_token, "password": password},
            None,
        )

    async def complete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        return await self._invoke(
            "complete_user_password_update",
            {"session_token": session_token, "user_password_update_token": user_password_update_token},
            None,
        )

    async def create_user_deletion(self, session_token: str) -> Union[CreateUserDeletionActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "create_user_deletion",
            {"session_token": session_token},
            parsing.create_user_deletion_values,
        )

    async def get_user_deletion(self, session_token: str, user_deletion_token: str) -> Union[GetUserDeletionActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_user_deletion",
            {"session_token": session_token, "user_deletion_token": user_deletion_token},
            parsing.get_user_deletion_values,
        )

    async def delete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        return await self._invoke(
            "delete_user_deletion",
            {"session_token": session_token, "user_deletion_token": user_deletion_token},
            None,
        )

    async def verify_user_deletion_user_password(self, session_token: str, user_deletion_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "verify_user_deletion_user_password",
            {"session_token": session_token, "user_deletion_token": user_deletion_token, "password": password},
            None,
        )

    async def complete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        return await self._invoke(
            "complete_user_deletion",
            {"session_token": session_token, "user_deletion_token": user_deletion_token},
            None,
        )

    async def create_user_password_reset(self, user_email_address: str) -> Union[CreateUserPasswordResetActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "create_user_password_reset",
            {"user_email_address": user_email_address},
            parsing.create_user_password_reset_values,
        )

    async def get_user_password_reset(self, user_password_reset_token: str) -> Union[GetUserPasswordResetActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "get_user_password_reset",
            {"user_password_reset_token": user_password_reset_token},
            parsing.get_user_password_reset_values,
        )

    async def delete_user_password_reset(self, user_password_reset_token: str) -> ActionResult:
        return await self._invoke(
            "delete_user_password_reset",
            {"user_password_reset_token": user_password_reset_token},
            None,
        )

    async def verify_user_password_reset_temporary_password(self, user_password_reset_token: str, temporary_password: str) -> ActionResult:
        return await self._invoke(
            "verify_user_password_reset_temporary_password",
            {"user_password_reset_token": user_password_reset_token, "temporary_password": temporary_password},
            None,
        )

    async def set_user_password_reset_new_password(self, user_password_reset_token: str, password: str) -> ActionResult:
        return await self._invoke(
            "set_user_password_reset_new_password",
            {"user_password_reset_token": user_password_reset_token, "password": password},
            None,
        )

    async def complete_user_password_reset(self, user_password_reset_token: str) -> Union[CompleteUserPasswordResetActionSuccessResult, ActionErrorResult]:
        return await self._invoke(
            "complete_user_password_reset",
            {"user_password_reset_token": user_password_reset_token},
            parsing.complete_user_password_reset_values,
        )
