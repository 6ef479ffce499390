"""Strict validation of action responses.

Every failure raises ``ValueError`` with a message naming the offending field:
``Missing '<field>' field`` or ``Invalid '<field>' field: <reason>``.
Booleans are never accepted where an integer is expected.
Extra members are ignored.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar, Union

from .models import (
    ActionErrorResult,
    ActionSuccessResult,
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
    Session,
    Signin,
    Signup,
    UserDeletion,
    UserEmailAddressUpdate,
    UserPasswordReset,
    UserPasswordUpdate,
)

T = TypeVar("T")

# Builds the success result of one action from (action_invocation_id, values).
ValuesParser = Callable[[str, JSONDict], T]


# --- field readers ------------------------------------------------------------


def _require(obj: JSONDict, key: str) -> Any:
    if key not in obj:
        raise ValueError(f"Missing '{key}' field")
    return obj[key]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def get_str(obj: JSONDict, key: str) -> str:
    value = _require(obj, key)
    if not isinstance(value, str):
        raise ValueError(f"Invalid '{key}' field: not a str")
    return value


def get_bool(obj: JSONDict, key: str) -> bool:
    value = _require(obj, key)
    if not isinstance(value, bool):
        raise ValueError(f"Invalid '{key}' field: not a bool")
    return value


def get_int(obj: JSONDict, key: str) -> int:
    value = _require(obj, key)
    if not _is_int(value):
        raise ValueError(f"Invalid '{key}' field: not a int")
    return value


def get_dict(obj: JSONDict, key: str) -> JSONDict:
    value = _require(obj, key)
    if not isinstance(value, dict):
        raise ValueError(f"Invalid '{key}' field: not a dict")
    return value


def get_created_at(obj: JSONDict, key: str = "created_at") -> int:
    value = get_int(obj, key)
    if value < 0:
        raise ValueError(f"Invalid '{key}' field: negative timestamp")
    return value


def get_expires_at(obj: JSONDict, key: str = "expires_at") -> int:
    value = get_int(obj, key)
    if value <= 0:
        raise ValueError(f"Invalid '{key}' field: non-positive timestamp")
    return value


def get_optional_expires_at(obj: JSONDict, key: str = "expires_at") -> Optional[int]:
    value = _require(obj, key)
    if value is None:
        return None
    if not _is_int(value):
        raise ValueError(f"Invalid '{key}' field: not a int or None")
    if value <= 0:
        raise ValueError(f"Invalid '{key}' field: non-positive timestamp")
    return value


# --- models -------------------------------------------------------------------


def parse_signup(obj: JSONDict) -> Signup:
    return Signup(
        id=get_str(obj, "id"),
        email_address=get_str(obj, "email_address"),
        email_address_verified=get_bool(obj, "email_address_verified"),
        password_set=get_bool(obj, "password_set"),
        created_at=get_created_at(obj),
        expires_at=get_expires_at(obj),
    )


def parse_signin(obj: JSONDict) -> Signin:
    return Signin(
        id=get_str(obj, "id"),
        user_id=get_str(obj, "user_id"),
        user_first_factor_verified=get_bool(obj, "user_first_factor_verified"),
        created_at=get_created_at(obj),
        expires_at=get_expires_at(obj),
    )


def parse_session(obj: JSONDict) -> Session:
    return Session(
        id=get_str(obj, "id"),
        user_id=get_str(obj, "user_id"),
        created_at=get_created_at(obj),
        expires_at=get_optional_expires_at(obj),
    )


def parse_user_email_address_update(obj: JSONDict) -> UserEmailAddressUpdate:
    return UserEmailAddressUpdate(
        id=get_str(obj, "id"),
        user_id=get_str(obj, "user_id"),
        session_id=get_str(obj, "session_id"),
        new_email_address=get_str(obj, "new_email_address"),
        new_email_address_verified=get_bool(obj, "new_email_address_verified"),
        user_identity_verified=get_bool(obj, "user_identity_verified"),
        created_at=get_created_at(obj),
        expires_at=get_expires_at(obj),
    )


def parse_user_password_update(obj: JSONDict) -> UserPasswordUpdate:
    return UserPasswordUpdate(
        id=get_str(obj, "id"),
        user_id=get_str(obj, "user_id"),
        session_id=get_str(obj, "session_id"),
        user_identity_verified=get_bool(obj, "user_identity_verified"),
        new_password_set=get_bool(obj, "new_password_set"),
        created_at=get_created_at(obj),
        expires_at=get_expires_at(obj),
    )


def parse_user_deletion(obj: JSONDict) -> UserDeletion:
    return UserDeletion(
        id=get_str(obj, "id"),
        user_id=get_str(obj, "user_id"),
        session_id=get_str(obj, "session_id"),
        user_identity_verified=get_bool(obj, "user_identity_verified"),
        created_at=get_created_at(obj),
        expires_at=get_expires_at(obj),
    )


def parse_user_password_reset(obj: JSONDict) -> UserPasswordReset:
    return UserPasswordReset(
        id=get_str(obj, "id"),
        user_id=get_str(obj, "user_id"),
        user_first_factor_verified=get_bool(obj, "user_first_factor_verified"),
        new_password_set=get_bool(obj, "new_password_set"),
        created_at=get_created_at(obj),
        expires_at=get_expires_at(obj),
    )


# --- envelope -----------------------------------------------------------------


def parse_action_response(
    response: JSONValue, values_parser: Optional[ValuesParser[T]]
) -> Union[T, ActionSuccessResult, ActionErrorResult]:
    """Validates one decoded response body.

    ``values_parser`` is None for actions that return no values; such actions
    give :class:`ActionSuccessResult` on success.
    """
    if not isinstance(response, dict):
        raise ValueError("JSON value is not an object!")
    action_invocation_id = get_str(response, "action_invocation_id")
    ok = get_bool(response, "ok")
    if not ok:
        return ActionErrorResult(
            action_invocation_id=action_invocation_id,
            error_code=get_str(response, "error_code"),
        )
    values: Optional[JSONDict] = None
    if "values" in response:
        values = get_dict(response, "values")
    if values_parser is None:
        return ActionSuccessResult(action_invocation_id=action_invocation_id)
    if values is None:
        raise ValueError("Expected 'values' field in response but got None")
    return values_parser(action_invocation_id, values)


# --- values of each action that returns some ----------------------------------


def create_signup_values(aid: str, values: JSONDict) -> CreateSignupActionSuccessResult:
    return CreateSignupActionSuccessResult(
        action_invocation_id=aid,
        signup=parse_signup(get_dict(values, "signup")),
        signup_token=get_str(values, "signup_token"),
    )


def get_signup_values(aid: str, values: JSONDict) -> GetSignupActionSuccessResult:
    return GetSignupActionSuccessResult(
        action_invocation_id=aid, signup=parse_signup(get_dict(values, "signup"))
    )


def complete_signup_values(aid: str, values: JSONDict) -> CompleteSignupActionSuccessResult:
    return CompleteSignupActionSuccessResult(
        action_invocation_id=aid,
        session=parse_session(get_dict(values, "session")),
        session_token=get_str(values, "session_token"),
    )


def create_signin_values(aid: str, values: JSONDict) -> CreateSigninActionSuccessResult:
    return CreateSigninActionSuccessResult(
        action_invocation_id=aid,
        signin=parse_signin(get_dict(values, "signin")),
        signin_token=get_str(values, "signin_token"),
    )


def get_signin_values(aid: str, values: JSONDict) -> GetSigninActionSuccessResult:
    return GetSigninActionSuccessResult(
        action_invocation_id=aid, signin=parse_signin(get_dict(values, "signin"))
    )


def complete_signin_values(aid: str, values: JSONDict) -> CompleteSigninActionSuccessResult:
    return CompleteSigninActionSuccessResult(
        action_invocation_id=aid,
        session=parse_session(get_dict(values, "session")),
        session_token=get_str(values, "session_token"),
    )


def get_session_values(aid: str, values: JSONDict) -> GetSessionActionSuccessResult:
    return GetSessionActionSuccessResult(
        action_invocation_id=aid, session=parse_session(get_dict(values, "session"))
    )


def create_user_email_address_update_values(
    aid: str, values: JSONDict
) -> CreateUserEmailAddressUpdateActionSuccessResult:
    return CreateUserEmailAddressUpdateActionSuccessResult(
        action_invocation_id=aid,
        user_email_address_update=parse_user_email_address_update(
            get_dict(values, "user_email_address_update")
        ),
        user_email_address_update_token=get_str(values, "user_email_address_update_token"),
    )


def get_user_email_address_update_values(
    aid: str, values: JSONDict
) -> GetUserEmailAddressUpdateActionSuccessResult:
    return GetUserEmailAddressUpdateActionSuccessResult(
        action_invocation_id=aid,
        user_email_address_update=parse_user_email_address_update(
            get_dict(values, "user_email_address_update")
        ),
    )


def create_user_password_update_values(
    aid: str, values: JSONDict
) -> CreateUserPasswordUpdateActionSuccessResult:
    return CreateUserPasswordUpdateActionSuccessResult(
        action_invocation_id=aid,
        user_password_update=parse_user_password_update(get_dict(values, "user_password_update")),
        user_password_update_token=get_str(values, "user_password_update_token"),
    )


def get_user_password_update_values(
    aid: str, values: JSONDict
) -> GetUserPasswordUpdateActionSuccessResult:
    return GetUserPasswordUpdateActionSuccessResult(
        action_invocation_id=aid,
        user_password_update=parse_user_password_update(get_dict(values, "user_password_update")),
    )


def create_user_deletion_values(aid: str, values: JSONDict) -> CreateUserDeletionActionSuccessResult:
    return CreateUserDeletionActionSuccessResult(
        action_invocation_id=aid,
        user_deletion=parse_user_deletion(get_dict(values, "user_deletion")),
        user_deletion_token=get_str(values, "user_deletion_token"),
    )


def get_user_deletion_values(aid: str, values: JSONDict) -> GetUserDeletionActionSuccessResult:
    return GetUserDeletionActionSuccessResult(
        action_invocation_id=aid,
        user_deletion=parse_user_deletion(get_dict(values, "user_deletion")),
    )


def create_user_password_reset_values(
    aid: str, values: JSONDict
) -> CreateUserPasswordResetActionSuccessResult:
    return CreateUserPasswordResetActionSuccessResult(
        action_invocation_id=aid,
        user_password_reset=parse_user_password_reset(get_dict(values, "user_password_reset")),
        user_password_reset_token=get_str(values, "user_password_reset_token"),
    )


def get_user_password_reset_values(
    aid: str, values: JSONDict
) -> GetUserPasswordResetActionSuccessResult:
    return GetUserPasswordResetActionSuccessResult(
        action_invocation_id=aid,
        user_password_reset=parse_user_password_reset(get_dict(values, "user_password_reset")),
    )


def complete_user_password_reset_values(
    aid: str, values: JSONDict
) -> CompleteUserPasswordResetActionSuccessResult:
    return CompleteUserPasswordResetActionSuccessResult(
        action_invocation_id=aid,
        session=parse_session(get_dict(values, "session")),
        session_token=get_str(values, "session_token"),
    )
