"""Result types returned by the client (frozen, slotted dataclasses).

Every action returns either its success result or an :class:`ActionErrorResult`.
Actions that return no values use :class:`ActionSuccessResult`; every action that
returns values has a success class of its own, named after the action.
:class:`ActionParseSuccessResult` is the intermediate form the sans-IO generators of
:mod:`tiauth_faroe.client.logic` receive: the envelope checked, the values not yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Literal, Optional, Union

JSONValue = Union[None, bool, int, float, str, List["JSONValue"], Dict[str, "JSONValue"]]
JSONDict = Dict[str, JSONValue]


# --- models -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signup:
    id: str
    email_address: str
    email_address_verified: bool
    password_set: bool
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class Signin:
    id: str
    user_id: str
    user_first_factor_verified: bool
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: str
    created_at: int
    # None when the server has absolute session expiry turned off.
    expires_at: Optional[int]


@dataclass(frozen=True, slots=True)
class UserEmailAddressUpdate:
    id: str
    user_id: str
    session_id: str
    new_email_address: str
    new_email_address_verified: bool
    user_identity_verified: bool
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class UserPasswordUpdate:
    id: str
    user_id: str
    session_id: str
    user_identity_verified: bool
    new_password_set: bool
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class UserDeletion:
    id: str
    user_id: str
    session_id: str
    user_identity_verified: bool
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class UserPasswordReset:
    id: str
    user_id: str
    user_first_factor_verified: bool
    new_password_set: bool
    created_at: int
    expires_at: int


# --- generic results --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionSuccessResult:
    action_invocation_id: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class ActionErrorResult:
    action_invocation_id: str
    error_code: str
    ok: Literal[False] = False


ActionResult = Union[ActionSuccessResult, ActionErrorResult]


@dataclass(frozen=True, slots=True)
class ActionParseSuccessResult:
    """An ``ok: true`` answer whose ``values`` (None when absent) are not yet read."""

    action_invocation_id: str
    values: Optional[JSONDict]

    def as_success(self) -> ActionSuccessResult:
        """The plain success result, for actions that return no values."""
        return ActionSuccessResult(action_invocation_id=self.action_invocation_id)


# What a sans-IO action generator is sent: the checked envelope of the answer.
ActionParseResult = Union[ActionParseSuccessResult, ActionErrorResult]


# --- per-action success results -----------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateSignupActionSuccessResult:
    action_invocation_id: str
    signup: Signup
    signup_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetSignupActionSuccessResult:
    action_invocation_id: str
    signup: Signup
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CompleteSignupActionSuccessResult:
    action_invocation_id: str
    session: Session
    session_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CreateSigninActionSuccessResult:
    action_invocation_id: str
    signin: Signin
    signin_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetSigninActionSuccessResult:
    action_invocation_id: str
    signin: Signin
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CompleteSigninActionSuccessResult:
    action_invocation_id: str
    session: Session
    session_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetSessionActionSuccessResult:
    action_invocation_id: str
    session: Session
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CreateUserEmailAddressUpdateActionSuccessResult:
    action_invocation_id: str
    user_email_address_update: UserEmailAddressUpdate
    user_email_address_update_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetUserEmailAddressUpdateActionSuccessResult:
    action_invocation_id: str
    user_email_address_update: UserEmailAddressUpdate
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CreateUserPasswordUpdateActionSuccessResult:
    action_invocation_id: str
    user_password_update: UserPasswordUpdate
    user_password_update_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetUserPasswordUpdateActionSuccessResult:
    action_invocation_id: str
    user_password_update: UserPasswordUpdate
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CreateUserDeletionActionSuccessResult:
    action_invocation_id: str
    user_deletion: UserDeletion
    user_deletion_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetUserDeletionActionSuccessResult:
    action_invocation_id: str
    user_deletion: UserDeletion
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CreateUserPasswordResetActionSuccessResult:
    action_invocation_id: str
    user_password_reset: UserPasswordReset
    user_password_reset_token: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class GetUserPasswordResetActionSuccessResult:
    action_invocation_id: str
    user_password_reset: UserPasswordReset
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class CompleteUserPasswordResetActionSuccessResult:
    action_invocation_id: str
    session: Session
    session_token: str
    ok: Literal[True] = True
