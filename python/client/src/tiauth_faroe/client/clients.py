"""Sync and async clients for the 39 Faroe actions.

Subclass :class:`SyncClient` / :class:`AsyncClient` and implement
``send_action_invocation_request(body)`` to plug in a transport, or use a ready
one: :mod:`tiauth_faroe.client.http` (standard library) or
:mod:`tiauth_faroe.client.httpx_clients` (the ``httpx`` extra, pooled).

Each method runs the action's generator of :mod:`tiauth_faroe.client.logic`:
``manage_action_invocation_request(action, arguments)`` sends
``{"action": <name>, "arguments": {...}}`` and checks the answer's envelope, and the
generator reads the values. Methods return the action's success result, or
:class:`ActionErrorResult` when the server answers ``ok: false`` (every action may
answer ``internal_error`` besides the codes its docstring lists). A malformed answer
raises ``ValueError``.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Generator, TypeVar, Union, cast

from . import logic
from .logic import (
    ActionErrorResult,
    ActionParseResult,
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
    parse_action_invocation_response,
    create_signup,
    get_signup,
    delete_signup,
    send_signup_email_address_verification_code,
    verify_signup_email_address_verification_code,
    set_signup_password,
    complete_signup,
    create_signin,
    get_signin,
    delete_signin,
    verify_signin_user_password,
    complete_signin,
    get_session,
    delete_session,
    delete_all_sessions,
    create_user_email_address_update,
    get_user_email_address_update,
    delete_user_email_address_update,
    send_user_email_address_update_email_address_verification_code,
    verify_user_email_address_update_email_address_verification_code,
    verify_user_email_address_update_user_password,
    complete_user_email_address_update,
    create_user_password_update,
    get_user_password_update,
    delete_user_password_update,
    verify_user_password_update_user_password,
    set_user_password_update_new_password,
    complete_user_password_update,
    create_user_deletion,
    get_user_deletion,
    delete_user_deletion,
    verify_user_deletion_user_password,
    complete_user_deletion,
    create_user_password_reset,
    get_user_password_reset,
    delete_user_password_reset,
    verify_user_password_reset_temporary_password,
    set_user_password_reset_new_password,
    complete_user_password_reset,
)

__all__ = [
    "SyncClient",
    "AsyncClient",
    "send_gen_sync",
    "send_gen_async",
    "ActionParseResult",
    "parse_action_invocation_response",
    "create_signup",
    "get_signup",
    "delete_signup",
    "send_signup_email_address_verification_code",
    "verify_signup_email_address_verification_code",
    "set_signup_password",
    "complete_signup",
    "create_signin",
    "get_signin",
    "delete_signin",
    "verify_signin_user_password",
    "complete_signin",
    "get_session",
    "delete_session",
    "delete_all_sessions",
    "create_user_email_address_update",
    "get_user_email_address_update",
    "delete_user_email_address_update",
    "send_user_email_address_update_email_address_verification_code",
    "verify_user_email_address_update_email_address_verification_code",
    "verify_user_email_address_update_user_password",
    "complete_user_email_address_update",
    "create_user_password_update",
    "get_user_password_update",
    "delete_user_password_update",
    "verify_user_password_update_user_password",
    "set_user_password_update_new_password",
    "complete_user_password_update",
    "create_user_deletion",
    "get_user_deletion",
    "delete_user_deletion",
    "verify_user_deletion_user_password",
    "complete_user_deletion",
    "create_user_password_reset",
    "get_user_password_reset",
    "delete_user_password_reset",
    "verify_user_password_reset_temporary_password",
    "set_user_password_reset_new_password",
    "complete_user_password_reset",
]

T = TypeVar("T")


def send_gen_sync(
    gen: Generator[JSONDict, ActionParseResult, T],
    action: str,
    send_request: Callable[[str, JSONDict], ActionParseResult],
) -> T:
    """Runs one action generator: sends its arguments with ``send_request(action,
    arguments)`` and returns what the generator makes of the answer."""
    arguments = next(gen)
    try:
        gen.send(send_request(action, arguments))
    except StopIteration as stop:
        return cast(T, stop.value)
    raise RuntimeError(f"the generator of {action} yielded twice")


async def send_gen_async(
    gen: Generator[JSONDict, ActionParseResult, T],
    action: str,
    send_request: Callable[[str, JSONDict], Awaitable[ActionParseResult]],
) -> T:
    """:func:`send_gen_sync` with an awaitable ``send_request``."""
    arguments = next(gen)
    try:
        gen.send(await send_request(action, arguments))
    except StopIteration as stop:
        return cast(T, stop.value)
    raise RuntimeError(f"the generator of {action} yielded twice")


class SyncClient:
    """Blocking client. Implement :meth:`send_action_invocation_request`."""

    def send_action_invocation_request(self, body: JSONValue) -> JSONValue:
        """Sends one action invocation and returns the decoded JSON answer."""
        raise NotImplementedError("Implement this function!")

    def manage_action_invocation_request(
        self, action: str, arguments: JSONDict
    ) -> ActionParseResult:
        """Sends ``action`` with ``arguments`` and checks the answer's envelope.
        Override it to add logging, retries or metrics around every action."""
        request: JSONDict = {"action": action, "arguments": arguments}
        return parse_action_invocation_response(self.send_action_invocation_request(request))

    def create_signup(self, email_address: str) -> Union[CreateSignupActionSuccessResult, ActionErrorResult]:
        """Starts a signup for an e-mail address; errors: invalid_email_address, email_address_already_used, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.create_signup(email_address), "create_signup", self.manage_action_invocation_request
        )

    def get_signup(self, signup_token: str) -> Union[GetSignupActionSuccessResult, ActionErrorResult]:
        """Gets a signup; errors: invalid_signup_token."""
        return send_gen_sync(
            logic.get_signup(signup_token), "get_signup", self.manage_action_invocation_request
        )

    def delete_signup(self, signup_token: str) -> ActionResult:
        """Deletes a signup; errors: invalid_signup_token."""
        return send_gen_sync(
            logic.delete_signup(signup_token), "delete_signup", self.manage_action_invocation_request
        )

    def send_signup_email_address_verification_code(self, signup_token: str) -> ActionResult:
        """Sends a signup's verification code again; errors: invalid_signup_token, email_address_already_verified, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.send_signup_email_address_verification_code(signup_token), "send_signup_email_address_verification_code", self.manage_action_invocation_request
        )

    def verify_signup_email_address_verification_code(self, signup_token: str, email_address_verification_code: str) -> ActionResult:
        """Verifies a signup's e-mail address with its code; errors: invalid_signup_token, email_address_already_verified, incorrect_email_address_verification_code, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_signup_email_address_verification_code(signup_token, email_address_verification_code), "verify_signup_email_address_verification_code", self.manage_action_invocation_request
        )

    def set_signup_password(self, signup_token: str, password: str) -> ActionResult:
        """Sets a signup's password; errors: invalid_signup_token, email_address_not_verified, password_already_set, invalid_password_length, weak_password, internal_conflict."""
        return send_gen_sync(
            logic.set_signup_password(signup_token, password), "set_signup_password", self.manage_action_invocation_request
        )

    def complete_signup(self, signup_token: str) -> Union[CompleteSignupActionSuccessResult, ActionErrorResult]:
        """Creates the user of a verified signup and a session; errors: invalid_signup_token, email_address_not_verified, password_not_set, email_address_already_used, session_not_created, internal_conflict."""
        return send_gen_sync(
            logic.complete_signup(signup_token), "complete_signup", self.manage_action_invocation_request
        )

    def create_signin(self, user_email_address: str) -> Union[CreateSigninActionSuccessResult, ActionErrorResult]:
        """Starts a signin for a user's e-mail address; errors: invalid_email_address, user_not_found, user_disabled."""
        return send_gen_sync(
            logic.create_signin(user_email_address), "create_signin", self.manage_action_invocation_request
        )

    def get_signin(self, signin_token: str) -> Union[GetSigninActionSuccessResult, ActionErrorResult]:
        """Gets a signin; errors: invalid_signin_token."""
        return send_gen_sync(
            logic.get_signin(signin_token), "get_signin", self.manage_action_invocation_request
        )

    def delete_signin(self, signin_token: str) -> ActionResult:
        """Deletes a signin; errors: invalid_signin_token."""
        return send_gen_sync(
            logic.delete_signin(signin_token), "delete_signin", self.manage_action_invocation_request
        )

    def verify_signin_user_password(self, signin_token: str, password: str) -> ActionResult:
        """Checks the user's password for a signin; errors: invalid_signin_token, user_first_factor_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_signin_user_password(signin_token, password), "verify_signin_user_password", self.manage_action_invocation_request
        )

    def complete_signin(self, signin_token: str) -> Union[CompleteSigninActionSuccessResult, ActionErrorResult]:
        """Turns a verified signin into a session; errors: invalid_signin_token, user_first_factor_not_verified."""
        return send_gen_sync(
            logic.complete_signin(signin_token), "complete_signin", self.manage_action_invocation_request
        )

    def get_session(self, session_token: str) -> Union[GetSessionActionSuccessResult, ActionErrorResult]:
        """Checks a session token and gets its session; errors: invalid_session_token."""
        return send_gen_sync(
            logic.get_session(session_token), "get_session", self.manage_action_invocation_request
        )

    def delete_session(self, session_token: str) -> ActionResult:
        """Ends a session; errors: invalid_session_token."""
        return send_gen_sync(
            logic.delete_session(session_token), "delete_session", self.manage_action_invocation_request
        )

    def delete_all_sessions(self, session_token: str) -> ActionResult:
        """Ends every session of the session's user; errors: invalid_session_token."""
        return send_gen_sync(
            logic.delete_all_sessions(session_token), "delete_all_sessions", self.manage_action_invocation_request
        )

    def create_user_email_address_update(self, session_token: str, new_email_address: str) -> Union[CreateUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        """Starts changing the user's e-mail address; errors: invalid_session_token, invalid_email_address, email_address_already_used, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.create_user_email_address_update(session_token, new_email_address), "create_user_email_address_update", self.manage_action_invocation_request
        )

    def get_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> Union[GetUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        """Gets an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch."""
        return send_gen_sync(
            logic.get_user_email_address_update(session_token, user_email_address_update_token), "get_user_email_address_update", self.manage_action_invocation_request
        )

    def delete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        """Cancels an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch."""
        return send_gen_sync(
            logic.delete_user_email_address_update(session_token, user_email_address_update_token), "delete_user_email_address_update", self.manage_action_invocation_request
        )

    def send_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        """Sends an e-mail address update's verification code again; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_already_verified, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.send_user_email_address_update_email_address_verification_code(session_token, user_email_address_update_token), "send_user_email_address_update_email_address_verification_code", self.manage_action_invocation_request
        )

    def verify_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str, email_address_verification_code: str) -> ActionResult:
        """Verifies the new e-mail address of an update with its code; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_already_verified, incorrect_email_address_verification_code, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_user_email_address_update_email_address_verification_code(session_token, user_email_address_update_token, email_address_verification_code), "verify_user_email_address_update_email_address_verification_code", self.manage_action_invocation_request
        )

    def verify_user_email_address_update_user_password(self, session_token: str, user_email_address_update_token: str, password: str) -> ActionResult:
        """Checks the user's password for an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_not_verified, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_user_email_address_update_user_password(session_token, user_email_address_update_token, password), "verify_user_email_address_update_user_password", self.manage_action_invocation_request
        )

    def complete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        """Applies a verified e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_not_verified, user_identity_not_verified, email_address_already_used, internal_conflict."""
        return send_gen_sync(
            logic.complete_user_email_address_update(session_token, user_email_address_update_token), "complete_user_email_address_update", self.manage_action_invocation_request
        )

    def create_user_password_update(self, session_token: str) -> Union[CreateUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        """Starts changing the user's password; errors: invalid_session_token."""
        return send_gen_sync(
            logic.create_user_password_update(session_token), "create_user_password_update", self.manage_action_invocation_request
        )

    def get_user_password_update(self, session_token: str, user_password_update_token: str) -> Union[GetUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        """Gets a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch."""
        return send_gen_sync(
            logic.get_user_password_update(session_token, user_password_update_token), "get_user_password_update", self.manage_action_invocation_request
        )

    def delete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        """Cancels a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch."""
        return send_gen_sync(
            logic.delete_user_password_update(session_token, user_password_update_token), "delete_user_password_update", self.manage_action_invocation_request
        )

    def verify_user_password_update_user_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        """Checks the user's current password for a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_user_password_update_user_password(session_token, user_password_update_token, password), "verify_user_password_update_user_password", self.manage_action_invocation_request
        )

    def set_user_password_update_new_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        """Sets the new password of a verified password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_not_verified, new_password_already_set, invalid_password_length, weak_password, internal_conflict."""
        return send_gen_sync(
            logic.set_user_password_update_new_password(session_token, user_password_update_token, password), "set_user_password_update_new_password", self.manage_action_invocation_request
        )

    def complete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        """Applies a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_not_verified, new_password_not_set, internal_conflict."""
        return send_gen_sync(
            logic.complete_user_password_update(session_token, user_password_update_token), "complete_user_password_update", self.manage_action_invocation_request
        )

    def create_user_deletion(self, session_token: str) -> Union[CreateUserDeletionActionSuccessResult, ActionErrorResult]:
        """Starts deleting the user; errors: invalid_session_token."""
        return send_gen_sync(
            logic.create_user_deletion(session_token), "create_user_deletion", self.manage_action_invocation_request
        )

    def get_user_deletion(self, session_token: str, user_deletion_token: str) -> Union[GetUserDeletionActionSuccessResult, ActionErrorResult]:
        """Gets a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch."""
        return send_gen_sync(
            logic.get_user_deletion(session_token, user_deletion_token), "get_user_deletion", self.manage_action_invocation_request
        )

    def delete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        """Cancels a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch."""
        return send_gen_sync(
            logic.delete_user_deletion(session_token, user_deletion_token), "delete_user_deletion", self.manage_action_invocation_request
        )

    def verify_user_deletion_user_password(self, session_token: str, user_deletion_token: str, password: str) -> ActionResult:
        """Checks the user's password for a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_user_deletion_user_password(session_token, user_deletion_token, password), "verify_user_deletion_user_password", self.manage_action_invocation_request
        )

    def complete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        """Deletes the user of a verified user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch, user_identity_not_verified, internal_conflict."""
        return send_gen_sync(
            logic.complete_user_deletion(session_token, user_deletion_token), "complete_user_deletion", self.manage_action_invocation_request
        )

    def create_user_password_reset(self, user_email_address: str) -> Union[CreateUserPasswordResetActionSuccessResult, ActionErrorResult]:
        """Starts a password reset and e-mails a temporary password; errors: invalid_email_address, user_not_found, user_disabled, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.create_user_password_reset(user_email_address), "create_user_password_reset", self.manage_action_invocation_request
        )

    def get_user_password_reset(self, user_password_reset_token: str) -> Union[GetUserPasswordResetActionSuccessResult, ActionErrorResult]:
        """Gets a password reset; errors: invalid_user_password_reset_token."""
        return send_gen_sync(
            logic.get_user_password_reset(user_password_reset_token), "get_user_password_reset", self.manage_action_invocation_request
        )

    def delete_user_password_reset(self, user_password_reset_token: str) -> ActionResult:
        """Cancels a password reset; errors: invalid_user_password_reset_token."""
        return send_gen_sync(
            logic.delete_user_password_reset(user_password_reset_token), "delete_user_password_reset", self.manage_action_invocation_request
        )

    def verify_user_password_reset_temporary_password(self, user_password_reset_token: str, temporary_password: str) -> ActionResult:
        """Checks a password reset's temporary password; errors: invalid_user_password_reset_token, user_first_factor_already_verified, incorrect_temporary_password, rate_limited, internal_conflict."""
        return send_gen_sync(
            logic.verify_user_password_reset_temporary_password(user_password_reset_token, temporary_password), "verify_user_password_reset_temporary_password", self.manage_action_invocation_request
        )

    def set_user_password_reset_new_password(self, user_password_reset_token: str, password: str) -> ActionResult:
        """Sets the new password of a verified password reset; errors: invalid_user_password_reset_token, user_first_factor_not_verified, new_password_already_set, invalid_password_length, weak_password, internal_conflict."""
        return send_gen_sync(
            logic.set_user_password_reset_new_password(user_password_reset_token, password), "set_user_password_reset_new_password", self.manage_action_invocation_request
        )

    def complete_user_password_reset(self, user_password_reset_token: str) -> Union[CompleteUserPasswordResetActionSuccessResult, ActionErrorResult]:
        """Applies a password reset and creates a session; errors: invalid_user_password_reset_token, user_first_factor_not_verified, new_password_not_set, session_not_created, internal_conflict."""
        return send_gen_sync(
            logic.complete_user_password_reset(user_password_reset_token), "complete_user_password_reset", self.manage_action_invocation_request
        )

class AsyncClient:
    """Asyncio client. Implement :meth:`send_action_invocation_request`."""

    async def send_action_invocation_request(self, _body: JSONValue) -> JSONValue:
        """Sends one action invocation and returns the decoded JSON answer.
        (The parameter is named ``_body`` as in the upstream package.)"""
        raise NotImplementedError("Implement this function!")

    async def manage_action_invocation_request(
        self, action: str, arguments: JSONDict
    ) -> ActionParseResult:
        """Sends ``action`` with ``arguments`` and checks the answer's envelope.
        Override it to add logging, retries or metrics around every action."""
        request: JSONDict = {"action": action, "arguments": arguments}
        response = await self.send_action_invocation_request(request)
        return parse_action_invocation_response(response)

    async def create_signup(self, email_address: str) -> Union[CreateSignupActionSuccessResult, ActionErrorResult]:
        """Starts a signup for an e-mail address; errors: invalid_email_address, email_address_already_used, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.create_signup(email_address), "create_signup", self.manage_action_invocation_request
        )

    async def get_signup(self, signup_token: str) -> Union[GetSignupActionSuccessResult, ActionErrorResult]:
        """Gets a signup; errors: invalid_signup_token."""
        return await send_gen_async(
            logic.get_signup(signup_token), "get_signup", self.manage_action_invocation_request
        )

    async def delete_signup(self, signup_token: str) -> ActionResult:
        """Deletes a signup; errors: invalid_signup_token."""
        return await send_gen_async(
            logic.delete_signup(signup_token), "delete_signup", self.manage_action_invocation_request
        )

    async def send_signup_email_address_verification_code(self, signup_token: str) -> ActionResult:
        """Sends a signup's verification code again; errors: invalid_signup_token, email_address_already_verified, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.send_signup_email_address_verification_code(signup_token), "send_signup_email_address_verification_code", self.manage_action_invocation_request
        )

    async def verify_signup_email_address_verification_code(self, signup_token: str, email_address_verification_code: str) -> ActionResult:
        """Verifies a signup's e-mail address with its code; errors: invalid_signup_token, email_address_already_verified, incorrect_email_address_verification_code, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_signup_email_address_verification_code(signup_token, email_address_verification_code), "verify_signup_email_address_verification_code", self.manage_action_invocation_request
        )

    async def set_signup_password(self, signup_token: str, password: str) -> ActionResult:
        """Sets a signup's password; errors: invalid_signup_token, email_address_not_verified, password_already_set, invalid_password_length, weak_password, internal_conflict."""
        return await send_gen_async(
            logic.set_signup_password(signup_token, password), "set_signup_password", self.manage_action_invocation_request
        )

    async def complete_signup(self, signup_token: str) -> Union[CompleteSignupActionSuccessResult, ActionErrorResult]:
        """Creates the user of a verified signup and a session; errors: invalid_signup_token, email_address_not_verified, password_not_set, email_address_already_used, session_not_created, internal_conflict."""
        return await send_gen_async(
            logic.complete_signup(signup_token), "complete_signup", self.manage_action_invocation_request
        )

    async def create_signin(self, user_email_address: str) -> Union[CreateSigninActionSuccessResult, ActionErrorResult]:
        """Starts a signin for a user's e-mail address; errors: invalid_email_address, user_not_found, user_disabled."""
        return await send_gen_async(
            logic.create_signin(user_email_address), "create_signin", self.manage_action_invocation_request
        )

    async def get_signin(self, signin_token: str) -> Union[GetSigninActionSuccessResult, ActionErrorResult]:
        """Gets a signin; errors: invalid_signin_token."""
        return await send_gen_async(
            logic.get_signin(signin_token), "get_signin", self.manage_action_invocation_request
        )

    async def delete_signin(self, signin_token: str) -> ActionResult:
        """Deletes a signin; errors: invalid_signin_token."""
        return await send_gen_async(
            logic.delete_signin(signin_token), "delete_signin", self.manage_action_invocation_request
        )

    async def verify_signin_user_password(self, signin_token: str, password: str) -> ActionResult:
        """Checks the user's password for a signin; errors: invalid_signin_token, user_first_factor_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_signin_user_password(signin_token, password), "verify_signin_user_password", self.manage_action_invocation_request
        )

    async def complete_signin(self, signin_token: str) -> Union[CompleteSigninActionSuccessResult, ActionErrorResult]:
        """Turns a verified signin into a session; errors: invalid_signin_token, user_first_factor_not_verified."""
        return await send_gen_async(
            logic.complete_signin(signin_token), "complete_signin", self.manage_action_invocation_request
        )

    async def get_session(self, session_token: str) -> Union[GetSessionActionSuccessResult, ActionErrorResult]:
        """Checks a session token and gets its session; errors: invalid_session_token."""
        return await send_gen_async(
            logic.get_session(session_token), "get_session", self.manage_action_invocation_request
        )

    async def delete_session(self, session_token: str) -> ActionResult:
        """Ends a session; errors: invalid_session_token."""
        return await send_gen_async(
            logic.delete_session(session_token), "delete_session", self.manage_action_invocation_request
        )

    async def delete_all_sessions(self, session_token: str) -> ActionResult:
        """Ends every session of the session's user; errors: invalid_session_token."""
        return await send_gen_async(
            logic.delete_all_sessions(session_token), "delete_all_sessions", self.manage_action_invocation_request
        )

    async def create_user_email_address_update(self, session_token: str, new_email_address: str) -> Union[CreateUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        """Starts changing the user's e-mail address; errors: invalid_session_token, invalid_email_address, email_address_already_used, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.create_user_email_address_update(session_token, new_email_address), "create_user_email_address_update", self.manage_action_invocation_request
        )

    async def get_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> Union[GetUserEmailAddressUpdateActionSuccessResult, ActionErrorResult]:
        """Gets an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch."""
        return await send_gen_async(
            logic.get_user_email_address_update(session_token, user_email_address_update_token), "get_user_email_address_update", self.manage_action_invocation_request
        )

    async def delete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        """Cancels an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch."""
        return await send_gen_async(
            logic.delete_user_email_address_update(session_token, user_email_address_update_token), "delete_user_email_address_update", self.manage_action_invocation_request
        )

    async def send_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        """Sends an e-mail address update's verification code again; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_already_verified, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.send_user_email_address_update_email_address_verification_code(session_token, user_email_address_update_token), "send_user_email_address_update_email_address_verification_code", self.manage_action_invocation_request
        )

    async def verify_user_email_address_update_email_address_verification_code(self, session_token: str, user_email_address_update_token: str, email_address_verification_code: str) -> ActionResult:
        """Verifies the new e-mail address of an update with its code; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_already_verified, incorrect_email_address_verification_code, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_user_email_address_update_email_address_verification_code(session_token, user_email_address_update_token, email_address_verification_code), "verify_user_email_address_update_email_address_verification_code", self.manage_action_invocation_request
        )

    async def verify_user_email_address_update_user_password(self, session_token: str, user_email_address_update_token: str, password: str) -> ActionResult:
        """Checks the user's password for an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_not_verified, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_user_email_address_update_user_password(session_token, user_email_address_update_token, password), "verify_user_email_address_update_user_password", self.manage_action_invocation_request
        )

    async def complete_user_email_address_update(self, session_token: str, user_email_address_update_token: str) -> ActionResult:
        """Applies a verified e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_not_verified, user_identity_not_verified, email_address_already_used, internal_conflict."""
        return await send_gen_async(
            logic.complete_user_email_address_update(session_token, user_email_address_update_token), "complete_user_email_address_update", self.manage_action_invocation_request
        )

    async def create_user_password_update(self, session_token: str) -> Union[CreateUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        """Starts changing the user's password; errors: invalid_session_token."""
        return await send_gen_async(
            logic.create_user_password_update(session_token), "create_user_password_update", self.manage_action_invocation_request
        )

    async def get_user_password_update(self, session_token: str, user_password_update_token: str) -> Union[GetUserPasswordUpdateActionSuccessResult, ActionErrorResult]:
        """Gets a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch."""
        return await send_gen_async(
            logic.get_user_password_update(session_token, user_password_update_token), "get_user_password_update", self.manage_action_invocation_request
        )

    async def delete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        """Cancels a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch."""
        return await send_gen_async(
            logic.delete_user_password_update(session_token, user_password_update_token), "delete_user_password_update", self.manage_action_invocation_request
        )

    async def verify_user_password_update_user_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        """Checks the user's current password for a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_user_password_update_user_password(session_token, user_password_update_token, password), "verify_user_password_update_user_password", self.manage_action_invocation_request
        )

    async def set_user_password_update_new_password(self, session_token: str, user_password_update_token: str, password: str) -> ActionResult:
        """Sets the new password of a verified password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_not_verified, new_password_already_set, invalid_password_length, weak_password, internal_conflict."""
        return await send_gen_async(
            logic.set_user_password_update_new_password(session_token, user_password_update_token, password), "set_user_password_update_new_password", self.manage_action_invocation_request
        )

    async def complete_user_password_update(self, session_token: str, user_password_update_token: str) -> ActionResult:
        """Applies a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_not_verified, new_password_not_set, internal_conflict."""
        return await send_gen_async(
            logic.complete_user_password_update(session_token, user_password_update_token), "complete_user_password_update", self.manage_action_invocation_request
        )

    async def create_user_deletion(self, session_token: str) -> Union[CreateUserDeletionActionSuccessResult, ActionErrorResult]:
        """Starts deleting the user; errors: invalid_session_token."""
        return await send_gen_async(
            logic.create_user_deletion(session_token), "create_user_deletion", self.manage_action_invocation_request
        )

    async def get_user_deletion(self, session_token: str, user_deletion_token: str) -> Union[GetUserDeletionActionSuccessResult, ActionErrorResult]:
        """Gets a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch."""
        return await send_gen_async(
            logic.get_user_deletion(session_token, user_deletion_token), "get_user_deletion", self.manage_action_invocation_request
        )

    async def delete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        """Cancels a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch."""
        return await send_gen_async(
            logic.delete_user_deletion(session_token, user_deletion_token), "delete_user_deletion", self.manage_action_invocation_request
        )

    async def verify_user_deletion_user_password(self, session_token: str, user_deletion_token: str, password: str) -> ActionResult:
        """Checks the user's password for a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_user_deletion_user_password(session_token, user_deletion_token, password), "verify_user_deletion_user_password", self.manage_action_invocation_request
        )

    async def complete_user_deletion(self, session_token: str, user_deletion_token: str) -> ActionResult:
        """Deletes the user of a verified user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch, user_identity_not_verified, internal_conflict."""
        return await send_gen_async(
            logic.complete_user_deletion(session_token, user_deletion_token), "complete_user_deletion", self.manage_action_invocation_request
        )

    async def create_user_password_reset(self, user_email_address: str) -> Union[CreateUserPasswordResetActionSuccessResult, ActionErrorResult]:
        """Starts a password reset and e-mails a temporary password; errors: invalid_email_address, user_not_found, user_disabled, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.create_user_password_reset(user_email_address), "create_user_password_reset", self.manage_action_invocation_request
        )

    async def get_user_password_reset(self, user_password_reset_token: str) -> Union[GetUserPasswordResetActionSuccessResult, ActionErrorResult]:
        """Gets a password reset; errors: invalid_user_password_reset_token."""
        return await send_gen_async(
            logic.get_user_password_reset(user_password_reset_token), "get_user_password_reset", self.manage_action_invocation_request
        )

    async def delete_user_password_reset(self, user_password_reset_token: str) -> ActionResult:
        """Cancels a password reset; errors: invalid_user_password_reset_token."""
        return await send_gen_async(
            logic.delete_user_password_reset(user_password_reset_token), "delete_user_password_reset", self.manage_action_invocation_request
        )

    async def verify_user_password_reset_temporary_password(self, user_password_reset_token: str, temporary_password: str) -> ActionResult:
        """Checks a password reset's temporary password; errors: invalid_user_password_reset_token, user_first_factor_already_verified, incorrect_temporary_password, rate_limited, internal_conflict."""
        return await send_gen_async(
            logic.verify_user_password_reset_temporary_password(user_password_reset_token, temporary_password), "verify_user_password_reset_temporary_password", self.manage_action_invocation_request
        )

    async def set_user_password_reset_new_password(self, user_password_reset_token: str, password: str) -> ActionResult:
        """Sets the new password of a verified password reset; errors: invalid_user_password_reset_token, user_first_factor_not_verified, new_password_already_set, invalid_password_length, weak_password, internal_conflict."""
        return await send_gen_async(
            logic.set_user_password_reset_new_password(user_password_reset_token, password), "set_user_password_reset_new_password", self.manage_action_invocation_request
        )

    async def complete_user_password_reset(self, user_password_reset_token: str) -> Union[CompleteUserPasswordResetActionSuccessResult, ActionErrorResult]:
        """Applies a password reset and creates a session; errors: invalid_user_password_reset_token, user_first_factor_not_verified, new_password_not_set, session_not_created, internal_conflict."""
        return await send_gen_async(
            logic.complete_user_password_reset(user_password_reset_token), "complete_user_password_reset", self.manage_action_invocation_request
        )
