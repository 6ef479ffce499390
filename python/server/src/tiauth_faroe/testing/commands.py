"""The user server's ``/command`` test vocabulary (``mock-backend`` and the Python
reference server speak it): read e-mailed codes, inspect users and e-mails, reset."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, List

# Loopback traffic must never go through an HTTP proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def open_url(request: urllib.request.Request, timeout: float) -> Any:
    """``urlopen`` without proxies."""
    return _OPENER.open(request, timeout=timeout)


class UserServerCommands:
    """``POST /command`` of a user server at ``base_url`` (``http://127.0.0.2:<port>``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def command(self, name: str, **members: Any) -> Dict[str, Any]:
        """Sends ``{"command": name, **members}`` and returns the decoded answer; an HTTP
        error raises ``RuntimeError`` with the status and body."""
        request = urllib.request.Request(
            f"{self.base_url}/command",
            data=json.dumps({"command": name, **members}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with open_url(request, timeout=30) as response:
                answer: Dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", errors="replace")
            raise RuntimeError(f"/command {name} answered {error.code}: {body}") from None

    def code(self, email_type: str, email: str) -> str:
        """The code of the latest ``email_type`` e-mail sent to ``email``: the auth server
        sends ``signup_verification``, ``email_update_verification`` and
        ``password_reset`` (a temporary password) e-mails with codes. Reading a code
        removes it; raises ``LookupError`` when none is stored."""
        answer = self.command("get_token", action=email_type, email=email)
        if answer.get("found") is not True:
            raise LookupError(f"no {email_type} code was e-mailed to {email}")
        code: str = answer["code"]
        return code

    def signup_code(self, email: str) -> str:
        """The signup verification code e-mailed to ``email``."""
        return self.code("signup_verification", email)

    def email_update_code(self, email: str) -> str:
        """The verification code e-mailed to the new address ``email``."""
        return self.code("email_update_verification", email)

    def temporary_password(self, email: str) -> str:
        """The temporary password of a password reset e-mailed to ``email``."""
        return self.code("password_reset", email)

    def emails(self) -> List[Dict[str, Any]]:
        """Every e-mail received, oldest first, as the auth server sent it."""
        emails: List[Dict[str, Any]] = self.command("get_emails")["emails"]
        return emails

    def users(self) -> List[Dict[str, Any]]:
        """The users, in creation order."""
        users: List[Dict[str, Any]] = self.command("get_users")["users"]
        return users

    def clear_all(self) -> None:
        """Forgets users, codes, journals and faults."""
        self.command("clear_all")
