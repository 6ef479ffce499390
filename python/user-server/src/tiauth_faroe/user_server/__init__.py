"""Library for writing a Tiauth Faroe user server.

The auth server calls its user server with ``POST /invoke`` and a JSON body
``{"action": <name>, "arguments": {...}}`` for seven user actions, and with
``POST /email`` for six kinds of e-mail. This library turns such a (decoded) body
into an *effect* dataclass, lets your store carry it out (``execute_effect``), and
serialises the outcome::

    result = handle_http_request_sync(json.loads(body), my_store)
    reply(result.status_code, result.response_json)

``handle_request_sync`` / ``handle_request_async`` keep the exception-raising
behaviour of the upstream package (see :mod:`.processing`); the ASGI and WSGI apps
(:mod:`.asgi`, :mod:`.wsgi`) serve both routes in one line.
"""

from .emails import (
    AsyncEmailSender,
    Email,
    EmailUpdatedEmail,
    EmailUpdateVerificationEmail,
    PasswordResetEmail,
    PasswordUpdatedEmail,
    SigninNotificationEmail,
    SignupVerificationEmail,
    SyncEmailSender,
    parse_email,
)
from .models import (
    ActionError,
    AsyncServer,
    CreateUserEffect,
    DeleteUserEffect,
    Effect,
    EffectResult,
    GetUserByEmailAddressEffect,
    GetUserEffect,
    HttpResult,
    IncrementUserSessionsCounterEffect,
    ServerResult,
    SyncServer,
    UpdateUserEmailAddressEffect,
    UpdateUserPasswordHashEffect,
    User,
    generate_action_invocation_id,
)
from .processing import (
    USER_ACTIONS,
    handle_http_request_async,
    handle_http_request_sync,
    handle_request_async,
    handle_request_sync,
    process_request_gen,
)
from .serialization import (
    serialize_empty_result,
    serialize_error_result,
    serialize_user_result,
    user_to_json,
)
from .validation import (
    parse_action_request,
    validate_base64_argument,
    validate_create_user_arguments,
    validate_email_address_argument,
    validate_increment_sessions_counter_arguments,
    validate_int_argument,
    validate_str_argument,
    validate_update_email_address_arguments,
    validate_update_password_hash_arguments,
    validate_user_id_argument,
)

__all__ = [
    "User",
    "CreateUserEffect",
    "GetUserEffect",
    "GetUserByEmailAddressEffect",
    "UpdateUserEmailAddressEffect",
    "UpdateUserPasswordHashEffect",
    "IncrementUserSessionsCounterEffect",
    "DeleteUserEffect",
    "Effect",
    "ActionError",
    "EffectResult",
    "ServerResult",
    "HttpResult",
    "SyncServer",
    "AsyncServer",
    "generate_action_invocation_id",
    "USER_ACTIONS",
    "process_request_gen",
    "handle_request_sync",
    "handle_request_async",
    "handle_http_request_sync",
    "handle_http_request_async",
    "parse_action_request",
    "validate_str_argument",
    "validate_int_argument",
    "validate_base64_argument",
    "validate_user_id_argument",
    "validate_email_address_argument",
    "validate_create_user_arguments",
    "validate_update_email_address_arguments",
    "validate_update_password_hash_arguments",
    "validate_increment_sessions_counter_arguments",
    "serialize_user_result",
    "serialize_empty_result",
    "serialize_error_result",
    "user_to_json",
    "Email",
    "SignupVerificationEmail",
    "EmailUpdateVerificationEmail",
    "PasswordResetEmail",
    "SigninNotificationEmail",
    "PasswordUpdatedEmail",
    "EmailUpdatedEmail",
    "parse_email",
    "SyncEmailSender",
    "AsyncEmailSender",
]
