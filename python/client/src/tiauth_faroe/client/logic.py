"""The sans-IO core of the client: validation and one generator per action.

Each action function (``create_signup(email_address)``, ...) returns a generator
that first yields the action's arguments object, is then sent the checked answer
(:func:`parse_action_invocation_response` of the decoded response body) and returns
the action's result. No I/O happens here; :mod:`tiauth_faroe.client.clients` drives
the generators over a transport, and so can any code of your own::

    gen = create_signup("alice@example.com")
    arguments = next(gen)
    answer = parse_action_invocation_response(my_transport("create_signup", arguments))
    try:
        gen.send(answer)
    except StopIteration as stop:
        result = stop.value

Every malformed answer raises ``ValueError`` naming the field: ``Missing 'x' field``,
``Invalid 'x' field: not a str`` and so on. Booleans are never accepted as integers.
Every action may also answer ``internal_error``; the docstrings list the other codes.
"""

from __future__ import annotations

import json
from typing import Generator, Optional, TypeVar, Union, cast

from .models import (
    ActionErrorResult,
    ActionParseResult,
    ActionParseSuccessResult,
    ActionResult,
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

__all__ = [
    # results and models, re-exported
    "ActionErrorResult",
    "ActionParseResult",
    "ActionParseSuccessResult",
    "ActionResult",
    "ActionSuccessResult",
    "CompleteSigninActionSuccessResult",
    "CompleteSignupActionSuccessResult",
    "CompleteUserPasswordResetActionSuccessResult",
    "CreateSigninActionSuccessResult",
    "CreateSignupActionSuccessResult",
    "CreateUserDeletionActionSuccessResult",
    "CreateUserEmailAddressUpdateActionSuccessResult",
    "CreateUserPasswordResetActionSuccessResult",
    "CreateUserPasswordUpdateActionSuccessResult",
    "GetSessionActionSuccessResult",
    "GetSigninActionSuccessResult",
    "GetSignupActionSuccessResult",
    "GetUserDeletionActionSuccessResult",
    "GetUserEmailAddressUpdateActionSuccessResult",
    "GetUserPasswordResetActionSuccessResult",
    "GetUserPasswordUpdateActionSuccessResult",
    "JSONDict",
    "JSONValue",
    "Session",
    "Signin",
    "Signup",
    "UserDeletion",
    "UserEmailAddressUpdate",
    "UserPasswordReset",
    "UserPasswordUpdate",
    # validation
    "ActionGenerator",
    "loads_typed",
    "validate_str_argument",
    "validate_int_argument",
    "validate_optional_int_argument",
    "validate_bool_argument",
    "validate_dict_argument",
    "parse_action_invocation_response",
    "expect_values",
    "map_json_object_to_signup",
    "map_json_object_to_signin",
    "map_json_object_to_session",
    "map_json_object_to_user_email_address_update",
    "map_json_object_to_user_password_update",
    "map_json_object_to_user_deletion",
    "map_json_object_to_user_password_reset",
    "ACTIONS",
    # the 39 actions
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

R = TypeVar("R")

#: The generator an action function returns: yields the arguments object, is sent
#: the checked answer, returns the result (``R``) or the :class:`ActionErrorResult`.
ActionGenerator = Generator[JSONDict, ActionParseResult, Union[R, ActionErrorResult]]


def loads_typed(s: str) -> JSONValue:
    """``json.loads`` typed as returning a :data:`JSONValue`."""
    return cast(JSONValue, json.loads(s))


# --- field readers ------------------------------------------------------------


def _member(argument: str, arguments_json_object: JSONDict) -> JSONValue:
    if argument not in arguments_json_object:
        raise ValueError(f"Missing '{argument}' field")
    return arguments_json_object[argument]


def validate_str_argument(argument: str, arguments_json_object: JSONDict) -> str:
    """The member ``argument``, which must be a string."""
    value = _member(argument, arguments_json_object)
    if not isinstance(value, str):
        raise ValueError(f"Invalid '{argument}' field: not a str")
    return value


def validate_dict_argument(argument: str, arguments_json_object: JSONDict) -> JSONDict:
    """The member ``argument``, which must be an object."""
    value = _member(argument, arguments_json_object)
    if not isinstance(value, dict):
        raise ValueError(f"Invalid '{argument}' field: not a dict")
    return value


def validate_int_argument(argument: str, arguments_json_object: JSONDict) -> int:
    """The member ``argument``, which must be an integer (a boolean is not one)."""
    value = _member(argument, arguments_json_object)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"Invalid '{argument}' field: not an int")
    return value


def validate_bool_argument(argument: str, arguments_json_object: JSONDict) -> bool:
    """The member ``argument``, which must be a boolean."""
    value = _member(argument, arguments_json_object)
    if not isinstance(value, bool):
        raise ValueError(f"Invalid '{argument}' field: not a bool")
    return value


def validate_optional_int_argument(
    argument: str, arguments_json_object: JSONDict
) -> Optional[int]:
    """The member ``argument``, which must be present and an integer or null."""
    value = _member(argument, arguments_json_object)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"Invalid '{argument}' field: not an int or None")
    return value


def _created_at(json_object: JSONDict) -> int:
    value = validate_int_argument("created_at", json_object)
    if value < 0:
        raise ValueError("Invalid 'created_at' field: negative timestamp")
    return value


def _check_expires_at(value: int) -> int:
    if value <= 0:
        raise ValueError("Invalid 'expires_at' field: non-positive timestamp")
    return value


def _expires_at(json_object: JSONDict) -> int:
    return _check_expires_at(validate_int_argument("expires_at", json_object))


# --- the answer envelope --------------------------------------------------------


def parse_action_invocation_response(response: JSONValue) -> ActionParseResult:
    """Checks the envelope of a decoded answer: ``ok``, ``action_invocation_id`` and
    ``error_code`` or the (optional) ``values`` object."""
    if not isinstance(response, dict):
        raise ValueError("JSON value is not an object!")
    action_invocation_id = validate_str_argument("action_invocation_id", response)
    if not validate_bool_argument("ok", response):
        error_code = validate_str_argument("error_code", response)
        return ActionErrorResult(action_invocation_id, error_code)
    values = validate_dict_argument("values", response) if "values" in response else None
    return ActionParseSuccessResult(action_invocation_id, values)


def expect_values(result: ActionParseSuccessResult) -> JSONDict:
    """The answer's ``values``; raises ``ValueError`` when it had none."""
    if result.values is None:
        raise ValueError("Expected 'values' field in response but got None")
    return result.values


# --- models ---------------------------------------------------------------------


def map_json_object_to_signup(json_object: JSONDict) -> Signup:
    """Reads a signup model (``unregistered_user_id`` is left out)."""
    return Signup(
        id=validate_str_argument("id", json_object),
        email_address=validate_str_argument("email_address", json_object),
        email_address_verified=validate_bool_argument("email_address_verified", json_object),
        password_set=validate_bool_argument("password_set", json_object),
        created_at=_created_at(json_object),
        expires_at=_expires_at(json_object),
    )


def map_json_object_to_signin(json_object: JSONDict) -> Signin:
    """Reads a signin model."""
    return Signin(
        id=validate_str_argument("id", json_object),
        user_id=validate_str_argument("user_id", json_object),
        user_first_factor_verified=validate_bool_argument(
            "user_first_factor_verified", json_object
        ),
        created_at=_created_at(json_object),
        expires_at=_expires_at(json_object),
    )


def map_json_object_to_session(json_object: JSONDict) -> Session:
    """Reads a session model; ``expires_at`` is None without absolute expiry."""
    session_id = validate_str_argument("id", json_object)
    user_id = validate_str_argument("user_id", json_object)
    created_at = _created_at(json_object)
    expires_at = validate_optional_int_argument("expires_at", json_object)
    return Session(
        id=session_id,
        user_id=user_id,
        created_at=created_at,
        expires_at=None if expires_at is None else _check_expires_at(expires_at),
    )


def map_json_object_to_user_email_address_update(json_object: JSONDict) -> UserEmailAddressUpdate:
    """Reads an e-mail address update model."""
    return UserEmailAddressUpdate(
        id=validate_str_argument("id", json_object),
        user_id=validate_str_argument("user_id", json_object),
        session_id=validate_str_argument("session_id", json_object),
        new_email_address=validate_str_argument("new_email_address", json_object),
        new_email_address_verified=validate_bool_argument(
            "new_email_address_verified", json_object
        ),
        user_identity_verified=validate_bool_argument("user_identity_verified", json_object),
        created_at=_created_at(json_object),
        expires_at=_expires_at(json_object),
    )


def map_json_object_to_user_password_update(json_object: JSONDict) -> UserPasswordUpdate:
    """Reads a password update model."""
    return UserPasswordUpdate(
        id=validate_str_argument("id", json_object),
        user_id=validate_str_argument("user_id", json_object),
        session_id=validate_str_argument("session_id", json_object),
        user_identity_verified=validate_bool_argument("user_identity_verified", json_object),
        new_password_set=validate_bool_argument("new_password_set", json_object),
        created_at=_created_at(json_object),
        expires_at=_expires_at(json_object),
    )


def map_json_object_to_user_deletion(json_object: JSONDict) -> UserDeletion:
    """Reads a user deletion model."""
    return UserDeletion(
        id=validate_str_argument("id", json_object),
        user_id=validate_str_argument("user_id", json_object),
        session_id=validate_str_argument("session_id", json_object),
        user_identity_verified=validate_bool_argument("user_identity_verified", json_object),
        created_at=_created_at(json_object),
        expires_at=_expires_at(json_object),
    )


def map_json_object_to_user_password_reset(json_object: JSONDict) -> UserPasswordReset:
    """Reads a password reset model."""
    return UserPasswordReset(
        id=validate_str_argument("id", json_object),
        user_id=validate_str_argument("user_id", json_object),
        user_first_factor_verified=validate_bool_argument(
            "user_first_factor_verified", json_object
        ),
        new_password_set=validate_bool_argument("new_password_set", json_object),
        created_at=_created_at(json_object),
        expires_at=_expires_at(json_object),
    )


# --- the 39 actions ---------------------------------------------------------------


def create_signup(email_address: str) -> ActionGenerator[CreateSignupActionSuccessResult]:
    """Starts a signup for an e-mail address; errors: invalid_email_address, email_address_already_used, rate_limited, internal_conflict."""
    result = yield {"email_address": email_address}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CreateSignupActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        signup=map_json_object_to_signup(validate_dict_argument("signup", values)),
        signup_token=validate_str_argument("signup_token", values),
    )


def get_signup(signup_token: str) -> ActionGenerator[GetSignupActionSuccessResult]:
    """Gets a signup; errors: invalid_signup_token."""
    result = yield {"signup_token": signup_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetSignupActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        signup=map_json_object_to_signup(validate_dict_argument("signup", values)),
    )


def delete_signup(signup_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Deletes a signup; errors: invalid_signup_token."""
    result = yield {"signup_token": signup_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def send_signup_email_address_verification_code(signup_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Sends a signup's verification code again; errors: invalid_signup_token, email_address_already_verified, rate_limited, internal_conflict."""
    result = yield {"signup_token": signup_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_signup_email_address_verification_code(signup_token: str, email_address_verification_code: str) -> ActionGenerator[ActionSuccessResult]:
    """Verifies a signup's e-mail address with its code; errors: invalid_signup_token, email_address_already_verified, incorrect_email_address_verification_code, rate_limited, internal_conflict."""
    result = yield {"signup_token": signup_token, "email_address_verification_code": email_address_verification_code}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def set_signup_password(signup_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Sets a signup's password; errors: invalid_signup_token, email_address_not_verified, password_already_set, invalid_password_length, weak_password, internal_conflict."""
    result = yield {"signup_token": signup_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def complete_signup(signup_token: str) -> ActionGenerator[CompleteSignupActionSuccessResult]:
    """Creates the user of a verified signup and a session; errors: invalid_signup_token, email_address_not_verified, password_not_set, email_address_already_used, session_not_created, internal_conflict."""
    result = yield {"signup_token": signup_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CompleteSignupActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        session=map_json_object_to_session(validate_dict_argument("session", values)),
        session_token=validate_str_argument("session_token", values),
    )


def create_signin(user_email_address: str) -> ActionGenerator[CreateSigninActionSuccessResult]:
    """Starts a signin for a user's e-mail address; errors: invalid_email_address, user_not_found, user_disabled."""
    result = yield {"user_email_address": user_email_address}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CreateSigninActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        signin=map_json_object_to_signin(validate_dict_argument("signin", values)),
        signin_token=validate_str_argument("signin_token", values),
    )


def get_signin(signin_token: str) -> ActionGenerator[GetSigninActionSuccessResult]:
    """Gets a signin; errors: invalid_signin_token."""
    result = yield {"signin_token": signin_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetSigninActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        signin=map_json_object_to_signin(validate_dict_argument("signin", values)),
    )


def delete_signin(signin_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Deletes a signin; errors: invalid_signin_token."""
    result = yield {"signin_token": signin_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_signin_user_password(signin_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Checks the user's password for a signin; errors: invalid_signin_token, user_first_factor_already_verified, incorrect_password, rate_limited, internal_conflict."""
    result = yield {"signin_token": signin_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def complete_signin(signin_token: str) -> ActionGenerator[CompleteSigninActionSuccessResult]:
    """Turns a verified signin into a session; errors: invalid_signin_token, user_first_factor_not_verified."""
    result = yield {"signin_token": signin_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CompleteSigninActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        session=map_json_object_to_session(validate_dict_argument("session", values)),
        session_token=validate_str_argument("session_token", values),
    )


def get_session(session_token: str) -> ActionGenerator[GetSessionActionSuccessResult]:
    """Checks a session token and gets its session; errors: invalid_session_token."""
    result = yield {"session_token": session_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetSessionActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        session=map_json_object_to_session(validate_dict_argument("session", values)),
    )


def delete_session(session_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Ends a session; errors: invalid_session_token."""
    result = yield {"session_token": session_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def delete_all_sessions(session_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Ends every session of the session's user; errors: invalid_session_token."""
    result = yield {"session_token": session_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def create_user_email_address_update(session_token: str, new_email_address: str) -> ActionGenerator[CreateUserEmailAddressUpdateActionSuccessResult]:
    """Starts changing the user's e-mail address; errors: invalid_session_token, invalid_email_address, email_address_already_used, rate_limited, internal_conflict."""
    result = yield {"session_token": session_token, "new_email_address": new_email_address}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CreateUserEmailAddressUpdateActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_email_address_update=map_json_object_to_user_email_address_update(validate_dict_argument("user_email_address_update", values)),
        user_email_address_update_token=validate_str_argument("user_email_address_update_token", values),
    )


def get_user_email_address_update(session_token: str, user_email_address_update_token: str) -> ActionGenerator[GetUserEmailAddressUpdateActionSuccessResult]:
    """Gets an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch."""
    result = yield {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetUserEmailAddressUpdateActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_email_address_update=map_json_object_to_user_email_address_update(validate_dict_argument("user_email_address_update", values)),
    )


def delete_user_email_address_update(session_token: str, user_email_address_update_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Cancels an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch."""
    result = yield {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def send_user_email_address_update_email_address_verification_code(session_token: str, user_email_address_update_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Sends an e-mail address update's verification code again; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_already_verified, rate_limited, internal_conflict."""
    result = yield {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_user_email_address_update_email_address_verification_code(session_token: str, user_email_address_update_token: str, email_address_verification_code: str) -> ActionGenerator[ActionSuccessResult]:
    """Verifies the new e-mail address of an update with its code; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_already_verified, incorrect_email_address_verification_code, rate_limited, internal_conflict."""
    result = yield {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token, "email_address_verification_code": email_address_verification_code}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_user_email_address_update_user_password(session_token: str, user_email_address_update_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Checks the user's password for an e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_not_verified, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
    result = yield {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def complete_user_email_address_update(session_token: str, user_email_address_update_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Applies a verified e-mail address update; errors: invalid_session_token, invalid_user_email_address_update_token, session_mismatch, email_address_not_verified, user_identity_not_verified, email_address_already_used, internal_conflict."""
    result = yield {"session_token": session_token, "user_email_address_update_token": user_email_address_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def create_user_password_update(session_token: str) -> ActionGenerator[CreateUserPasswordUpdateActionSuccessResult]:
    """Starts changing the user's password; errors: invalid_session_token."""
    result = yield {"session_token": session_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CreateUserPasswordUpdateActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_password_update=map_json_object_to_user_password_update(validate_dict_argument("user_password_update", values)),
        user_password_update_token=validate_str_argument("user_password_update_token", values),
    )


def get_user_password_update(session_token: str, user_password_update_token: str) -> ActionGenerator[GetUserPasswordUpdateActionSuccessResult]:
    """Gets a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch."""
    result = yield {"session_token": session_token, "user_password_update_token": user_password_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetUserPasswordUpdateActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_password_update=map_json_object_to_user_password_update(validate_dict_argument("user_password_update", values)),
    )


def delete_user_password_update(session_token: str, user_password_update_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Cancels a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch."""
    result = yield {"session_token": session_token, "user_password_update_token": user_password_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_user_password_update_user_password(session_token: str, user_password_update_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Checks the user's current password for a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
    result = yield {"session_token": session_token, "user_password_update_token": user_password_update_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def set_user_password_update_new_password(session_token: str, user_password_update_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Sets the new password of a verified password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_not_verified, new_password_already_set, invalid_password_length, weak_password, internal_conflict."""
    result = yield {"session_token": session_token, "user_password_update_token": user_password_update_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def complete_user_password_update(session_token: str, user_password_update_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Applies a password update; errors: invalid_session_token, invalid_password_update_token, session_mismatch, user_identity_not_verified, new_password_not_set, internal_conflict."""
    result = yield {"session_token": session_token, "user_password_update_token": user_password_update_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def create_user_deletion(session_token: str) -> ActionGenerator[CreateUserDeletionActionSuccessResult]:
    """Starts deleting the user; errors: invalid_session_token."""
    result = yield {"session_token": session_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CreateUserDeletionActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_deletion=map_json_object_to_user_deletion(validate_dict_argument("user_deletion", values)),
        user_deletion_token=validate_str_argument("user_deletion_token", values),
    )


def get_user_deletion(session_token: str, user_deletion_token: str) -> ActionGenerator[GetUserDeletionActionSuccessResult]:
    """Gets a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch."""
    result = yield {"session_token": session_token, "user_deletion_token": user_deletion_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetUserDeletionActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_deletion=map_json_object_to_user_deletion(validate_dict_argument("user_deletion", values)),
    )


def delete_user_deletion(session_token: str, user_deletion_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Cancels a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch."""
    result = yield {"session_token": session_token, "user_deletion_token": user_deletion_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_user_deletion_user_password(session_token: str, user_deletion_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Checks the user's password for a user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch, user_identity_already_verified, incorrect_password, rate_limited, internal_conflict."""
    result = yield {"session_token": session_token, "user_deletion_token": user_deletion_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def complete_user_deletion(session_token: str, user_deletion_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Deletes the user of a verified user deletion; errors: invalid_session_token, invalid_user_deletion_token, session_mismatch, user_identity_not_verified, internal_conflict."""
    result = yield {"session_token": session_token, "user_deletion_token": user_deletion_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def create_user_password_reset(user_email_address: str) -> ActionGenerator[CreateUserPasswordResetActionSuccessResult]:
    """Starts a password reset and e-mails a temporary password; errors: invalid_email_address, user_not_found, user_disabled, rate_limited, internal_conflict."""
    result = yield {"user_email_address": user_email_address}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CreateUserPasswordResetActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_password_reset=map_json_object_to_user_password_reset(validate_dict_argument("user_password_reset", values)),
        user_password_reset_token=validate_str_argument("user_password_reset_token", values),
    )


def get_user_password_reset(user_password_reset_token: str) -> ActionGenerator[GetUserPasswordResetActionSuccessResult]:
    """Gets a password reset; errors: invalid_user_password_reset_token."""
    result = yield {"user_password_reset_token": user_password_reset_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return GetUserPasswordResetActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        user_password_reset=map_json_object_to_user_password_reset(validate_dict_argument("user_password_reset", values)),
    )


def delete_user_password_reset(user_password_reset_token: str) -> ActionGenerator[ActionSuccessResult]:
    """Cancels a password reset; errors: invalid_user_password_reset_token."""
    result = yield {"user_password_reset_token": user_password_reset_token}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def verify_user_password_reset_temporary_password(user_password_reset_token: str, temporary_password: str) -> ActionGenerator[ActionSuccessResult]:
    """Checks a password reset's temporary password; errors: invalid_user_password_reset_token, user_first_factor_already_verified, incorrect_temporary_password, rate_limited, internal_conflict."""
    result = yield {"user_password_reset_token": user_password_reset_token, "temporary_password": temporary_password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def set_user_password_reset_new_password(user_password_reset_token: str, password: str) -> ActionGenerator[ActionSuccessResult]:
    """Sets the new password of a verified password reset; errors: invalid_user_password_reset_token, user_first_factor_not_verified, new_password_already_set, invalid_password_length, weak_password, internal_conflict."""
    result = yield {"user_password_reset_token": user_password_reset_token, "password": password}
    if isinstance(result, ActionErrorResult):
        return result
    return result.as_success()


def complete_user_password_reset(user_password_reset_token: str) -> ActionGenerator[CompleteUserPasswordResetActionSuccessResult]:
    """Applies a password reset and creates a session; errors: invalid_user_password_reset_token, user_first_factor_not_verified, new_password_not_set, session_not_created, internal_conflict."""
    result = yield {"user_password_reset_token": user_password_reset_token}
    if isinstance(result, ActionErrorResult):
        return result
    values = expect_values(result)
    return CompleteUserPasswordResetActionSuccessResult(
        action_invocation_id=result.action_invocation_id,
        session=map_json_object_to_session(validate_dict_argument("session", values)),
        session_token=validate_str_argument("session_token", values),
    )


#: The names of the 39 actions, in protocol order.
ACTIONS = (
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
)
