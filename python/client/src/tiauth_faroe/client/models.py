"""Result types returned by the client.

Every action returns either its success result or an :class:`ActionErrorResult`.
Actions that return no values use :class:`ActionSuccessResult`; every action that
returns values has a success class of its own, named after the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Literal, Optional, Union

JSONValue = Union[None, bool, int, float, str, List["JSONValue"], Dict[str, "JSONValue"]]
JSONDict = Dict[str, JSONValue]


# --- models -----------------------------------------------------------------


@dataclass
class Signup:
    id: str
    email_address: str
    email_address_verified: bool
    password_set: bool
    created_at: int
    expires_at: int


@dataclass
class Signin:
    id: str
    user_id: str
    user_first_factor_verified: bool
    created_at: int
    expires_at: int


@dataclass
class Session:
    id: str
    user_id: str
    created_at: int
    # None when the server has absolute session expiry turned off.
    expires_at: Optional[int]


@dataclass
class UserEmailAddressUpdate:
    id: str
    user_id: str
    session_id: str
    new_email_address: str
    new_email_address_verified: bool
    user_identity_verified: bool
    created_at: int
    expires_at: int


@dataclass
class UserPasswordUpdate:
    id: str
    user_id: str
    session_id: str
    user_identity_verified: bool
    new_password_set: bool
    created_at: int
    expires_at: int


@dataclass
class UserDeletion:
    id: str
    user_id: str
    session_id: str
    user_identity_verified: bool
    created_at: int
    expires_at: int


@dataclass
class UserPasswordReset:
    id: str
    user_id: str
    user_first_factor_verified: bool
    new_password_set: bool
    created_at: int
    expires_at: int


# --- generic results --------------------------------------------------------


@dataclass
class ActionSuccessResult:
    action_invocation_id: str
    ok: Literal[True] = True


@dataclass
class ActionErrorResult:
    action_invocation_id: str
    error_code: str
    ok: Literal[False] = False


ActionResult = Union[ActionSuccessResult, ActionErrorResult]


# --- per-action success results -----------------------------------------------


@dataclass
class CreateSignupActionSuccessResult:
    action_invocation_id: str
    signup: Signup
    signup_token: str
    ok: Literal[True] = True


@dataclass
class GetSignupActionSuccessResult:
    action_invocation_id: str
    signup: Signup
    ok: Literal[True] = True


@dataclass
class CompleteSignupActionSuccessResult:
    action_invocation_id: str
    session: Session
    session_token: str
    ok: Literal[True] = True


@dataclass
class CreateSigninActionSuccessResult:
    action_invocation_id: str
    signin: Signin
    signin_token: str
    ok: Literal[True] = True


@dataclass
class GetSigninActionSuccessResult:
    action_invocation_id: str
    signin: Signin
    ok: Literal[True] = True


@dataclass
class CompleteSigninActionSuccessResult:
    action_invocation_id: str
    session: Session
    session_token: str
    ok: Literal[True] = True


@dataclass
class GetSessionActionSuccessResult:
    action_invocation_id: str
    session: Session
    ok: Literal[True] = True


@dataclass
class CreateUserEmailAddressUpdateActionSuccessResult:
    action_invocation_id: str
    user_email_address_update: UserEmailAddressUpdate
    user_email_address_update_token: str
    ok: Literal[True] = True


@dataclass
class GetUserEmailAddressUpdateActionSuccessResult:
    action_invocation_id: str
    user_email_address_update: UserEmailAddressUpdate
    ok: Literal[True] = True


@dataclass
class CreateUserPasswordUpdateActionSuccessResult:
    action_invocation_id: str
    user_password_update: UserPasswordUpdate
    user_password_update_token: str
    ok: Literal[True] = True


@dataclass
class GetUserPasswordUpdateActionSuccessResult:
    action_invocation_id: str
    user_password_update: UserPasswordUpdate
    ok: Literal[True] = True


@dataclass
class CreateUserDeletionActionSuccessResult:
    action_invocation_id: str
    user_deletion: UserDeletion
    user_deletion_token: str
    ok: Literal[True] = True


@dataclass
class GetUserDeletionActionSuccessResult:
    action_invocation_id: str
    user_deletion: UserDeletion
    ok: Literal[True] = True


@dataclass
class CreateUserPasswordResetActionSuccessResult:
    action_invocation_id: str
    user_password_reset: UserPasswordReset
    user_password_reset_token: str
    ok: Literal[True] = True


@dataclass
class GetUserPasswordResetActionSuccessResult:
    action_invocation_id: str
    user_password_reset: UserPasswordReset
    ok: Literal[True] = True


@dataclass
class CompleteUserPasswordResetActionSuccessResult:
    action_invocation_id: str
    session: Session
    session_token: str
    ok: Literal[True] = True
