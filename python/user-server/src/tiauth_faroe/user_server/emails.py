"""The six e-mails the auth server asks its user server to send (``POST /email``).

The body is a JSON object with ``type`` and ``email`` (the recipient) and, by type,
``displayName`` (left out when empty), ``code``, ``timestamp`` (UTC, e.g.
``March 5, 2025 09:07:03``) and ``newEmail``. :func:`parse_email` turns it into one
of the frozen dataclasses below; your sender delivers it. Answer 200 once it is sent
(or queued): any other status makes the auth server fail the action that e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Dict, Protocol, Union


@dataclass(frozen=True, slots=True)
class SignupVerificationEmail:
    """The code that verifies a signup's e-mail address."""

    TYPE: ClassVar[str] = "signup_verification"
    email_address: str
    code: str


@dataclass(frozen=True, slots=True)
class EmailUpdateVerificationEmail:
    """The code that verifies a new e-mail address (sent to the new address)."""

    TYPE: ClassVar[str] = "email_update_verification"
    email_address: str
    display_name: str
    code: str


@dataclass(frozen=True, slots=True)
class PasswordResetEmail:
    """The temporary password of a password reset."""

    TYPE: ClassVar[str] = "password_reset"
    email_address: str
    display_name: str
    temporary_password: str


@dataclass(frozen=True, slots=True)
class SigninNotificationEmail:
    """Tells the user of a new signin."""

    TYPE: ClassVar[str] = "signin_notification"
    email_address: str
    display_name: str
    timestamp: str


@dataclass(frozen=True, slots=True)
class PasswordUpdatedEmail:
    """Tells the user their password changed."""

    TYPE: ClassVar[str] = "password_updated"
    email_address: str
    display_name: str
    timestamp: str


@dataclass(frozen=True, slots=True)
class EmailUpdatedEmail:
    """Tells the user (at the old address) their e-mail address changed."""

    TYPE: ClassVar[str] = "email_updated"
    email_address: str
    display_name: str
    new_email_address: str
    timestamp: str


Email = Union[
    SignupVerificationEmail,
    EmailUpdateVerificationEmail,
    PasswordResetEmail,
    SigninNotificationEmail,
    PasswordUpdatedEmail,
    EmailUpdatedEmail,
]

EMAIL_TYPES = (
    SignupVerificationEmail.TYPE,
    EmailUpdateVerificationEmail.TYPE,
    PasswordResetEmail.TYPE,
    SigninNotificationEmail.TYPE,
    PasswordUpdatedEmail.TYPE,
    EmailUpdatedEmail.TYPE,
)


def _member(body: Dict[str, Any], name: str, required: bool = True) -> str:
    value = body.get(name, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"Invalid or missing '{name}' field")
    return value


def parse_email(body: Any) -> Email:
    """The e-mail of a decoded ``/email`` body; ``ValueError`` names what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("Invalid request object")
    kind = body.get("type")
    if kind not in EMAIL_TYPES:
        raise ValueError(f"Unknown e-mail type {kind!r}")
    to = _member(body, "email")
    if kind == SignupVerificationEmail.TYPE:
        return SignupVerificationEmail(to, _member(body, "code"))
    name = _member(body, "displayName", required=False)
    if kind == EmailUpdateVerificationEmail.TYPE:
        return EmailUpdateVerificationEmail(to, name, _member(body, "code"))
    if kind == PasswordResetEmail.TYPE:
        return PasswordResetEmail(to, name, _member(body, "code"))
    if kind == SigninNotificationEmail.TYPE:
        return SigninNotificationEmail(to, name, _member(body, "timestamp"))
    if kind == PasswordUpdatedEmail.TYPE:
        return PasswordUpdatedEmail(to, name, _member(body, "timestamp"))
    return EmailUpdatedEmail(to, name, _member(body, "newEmail"), _member(body, "timestamp"))


class SyncEmailSender(Protocol):
    """Delivers e-mails; raise to make the auth server fail the action."""

    def send_email(self, email: Email) -> None: ...


class AsyncEmailSender(Protocol):
    """Delivers e-mails from a coroutine; raise to fail the action."""

    async def send_email(self, email: Email) -> None: ...
