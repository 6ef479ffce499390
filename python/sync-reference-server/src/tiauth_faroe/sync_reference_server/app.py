"""State and request handling of the reference user server, without HTTP.

Holds the user store, the stored verification codes, the journals of received
e-mails and user-action calls, and the configured faults. Every public method
returns ``(status_code, body_bytes)``.

Journals record every call as received, faulted ones included; faults never
change users or stored codes.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from typing import Any, Deque, Dict, List, Optional, Tuple

from tiauth_faroe.user_server import (
    USER_ACTIONS,
    generate_action_invocation_id,
    handle_http_request_sync,
    user_to_json,
)

from .store import UserNotFound, UserStore

#: How many e-mails and how many calls the journal keeps (the latest ones).
JOURNAL_LIMIT = 10_000

Response = Tuple[int, bytes]

FAULT_KINDS = ("error_code", "http_500", "malformed_json", "wrong_envelope", "delay")
FAULT_TARGETS = tuple(USER_ACTIONS) + ("email",)


def json_response(status: int, body: Any) -> Response:
    return status, json.dumps(body).encode("utf-8")


def error_response(status: int, message: str) -> Response:
    return json_response(status, {"error": message, "status_code": status})


INTERNAL_SERVER_ERROR = error_response(500, "Internal Server Error")


class BadRequest(Exception):
    """A request the server answers with 400 and this message."""


def parse_json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("Invalid JSON body") from None


def parse_object_body(raw: bytes) -> Dict[str, Any]:
    obj = parse_json_body(raw)
    if not isinstance(obj, dict):
        raise BadRequest("Request body must be a JSON object")
    return obj


def _validate_fault(fault: Any) -> Dict[str, Any]:
    if not isinstance(fault, dict) or fault.get("kind") not in FAULT_KINDS:
        raise BadRequest(f"Invalid fault: kind must be one of {', '.join(FAULT_KINDS)}")
    kind = fault["kind"]
    if kind == "error_code":
        code = fault.get("error_code")
        if not isinstance(code, str) or not code:
            raise BadRequest("Invalid fault: error_code must be a non-empty string")
        return {"kind": kind, "error_code": code}
    if kind == "delay":
        ms = fault.get("milliseconds")
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
            raise BadRequest("Invalid fault: milliseconds must be a non-negative integer")
        return {"kind": kind, "milliseconds": ms}
    return {"kind": kind}


class ReferenceServerState:
    def __init__(self, db_path: str = ":memory:", verbose: bool = False) -> None:
        self.lock = threading.RLock()
        self.verbose = verbose
        self.store = UserStore(db_path, lock=self.lock, log_effects=verbose)
        self._tokens: Dict[str, str] = {}
        # Bounded, so a long-running server does not grow without limit.
        self._emails: Deque[Any] = deque(maxlen=JOURNAL_LIMIT)
        self._calls: Deque[Dict[str, Any]] = deque(maxlen=JOURNAL_LIMIT)
        self._faults: Dict[str, Dict[str, Any]] = {}

    def close(self) -> None:
        self.store.close()

    def log(self, message: str) -> None:
        if self.verbose:
            print(message, flush=True)

    # --- faults -------------------------------------------------------------

    def _fault_for(self, target: str) -> Optional[Dict[str, Any]]:
        with self.lock:
            fault = self._faults.get(target)
        if fault is not None and fault["kind"] == "delay":
            time.sleep(fault["milliseconds"] / 1000)
            return None
        return fault

    # --- POST /invoke ---------------------------------------------------------

    def invoke(self, raw: bytes) -> Response:
        obj = parse_json_body(raw)
        if isinstance(obj, dict):
            with self.lock:
                self._calls.append({"action": obj.get("action"), "arguments": obj.get("arguments")})
            action = obj.get("action")
            fault = self._fault_for(action) if isinstance(action, str) else None
            if fault is not None:
                return self._invoke_fault(fault)
        result = handle_http_request_sync(obj, self.store)
        if result.status_code == 400:
            self.log(f"Rejected user action request: {result.error}")
        return result.status_code, result.response_json.encode("utf-8")

    @staticmethod
    def _invoke_fault(fault: Dict[str, Any]) -> Response:
        kind = fault["kind"]
        if kind == "error_code":
            return json_response(
                200,
                {
                    "ok": False,
                    "action_invocation_id": generate_action_invocation_id(),
                    "error_code": fault["error_code"],
                },
            )
        if kind == "malformed_json":
            return 200, b'{"ok": tru'
        if kind == "wrong_envelope":
            return json_response(200, {"status": "ok"})
        return INTERNAL_SERVER_ERROR

    # --- POST /email ------------------------------------------------------------

    def email(self, raw: bytes) -> Response:
        body = parse_object_body(raw)
        email_type = body.get("type")
        address = body.get("email")
        if not email_type or not address:
            raise BadRequest("Missing type or email")
        with self.lock:
            self._emails.append(body)
        fault = self._fault_for("email")
        if fault is not None:
            kind = fault["kind"]
            if kind == "error_code":
                return error_response(500, fault["error_code"])
            if kind == "malformed_json":
                return 200, b'{"ok": tru'
            if kind == "wrong_envelope":
                return json_response(200, {"status": "ok"})
            return INTERNAL_SERVER_ERROR
        code = body.get("code")
        if code:
            key = f"{email_type}:{address}"
            with self.lock:
                self._tokens[key] = code
            self.log(f"Stored token: {key}")
        return json_response(200, {"success": True})

    # --- POST /command ----------------------------------------------------------

    def command(self, raw: bytes) -> Response:
        body = parse_object_body(raw)
        command = body.get("command")
        if not command:
            raise BadRequest("Missing command")
        handler = self._COMMANDS.get(command) if isinstance(command, str) else None
        if handler is None:
            raise BadRequest(f"Unknown command: {command}")
        return handler(self, body)

    def _get_token(self, body: Dict[str, Any]) -> Response:
        action = body.get("action")
        address = body.get("email")
        if not action or not address:
            raise BadRequest("Missing action or email")
        with self.lock:
            code = self._tokens.pop(f"{action}:{address}", None)
        if code is None:
            return json_response(200, {"found": False})
        return json_response(200, {"found": True, "code": code})

    def _clear_tokens(self, body: Dict[str, Any]) -> Response:
        with self.lock:
            self._tokens.clear()
        return json_response(200, {"success": True})

    def _get_emails(self, body: Dict[str, Any]) -> Response:
        with self.lock:
            emails = list(self._emails)
        return json_response(200, {"emails": emails})

    def _get_calls(self, body: Dict[str, Any]) -> Response:
        with self.lock:
            calls = list(self._calls)
        return json_response(200, {"calls": calls})

    def _get_users(self, body: Dict[str, Any]) -> Response:
        users = [user_to_json(user) for user in self.store.list_users()]
        return json_response(200, {"users": users})

    def _update_user(self, body: Dict[str, Any]) -> Response:
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise BadRequest("Missing user_id")
        disabled = body.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            raise BadRequest("Invalid disabled: must be a boolean")
        display_name = body.get("display_name")
        if display_name is not None and not isinstance(display_name, str):
            raise BadRequest("Invalid display_name: must be a string")
        try:
            self.store.update_user(user_id, disabled=disabled, display_name=display_name)
        except UserNotFound:
            return error_response(404, "User not found")
        return json_response(200, {"success": True})

    def _set_fault(self, body: Dict[str, Any]) -> Response:
        target = body.get("target")
        if target not in FAULT_TARGETS:
            raise BadRequest(f"Unknown fault target: {target}")
        fault = _validate_fault(body.get("fault"))
        with self.lock:
            self._faults[target] = fault
        return json_response(200, {"success": True})

    def _clear_faults(self, body: Dict[str, Any]) -> Response:
        with self.lock:
            self._faults.clear()
        return json_response(200, {"success": True})

    def _clear_all(self, body: Dict[str, Any]) -> Response:
        with self.lock:
            self.store.clear_users()
            self._tokens.clear()
            self._emails.clear()
            self._calls.clear()
            self._faults.clear()
        return json_response(200, {"success": True})

    _COMMANDS = {
        "get_token": _get_token,
        "clear_tokens": _clear_tokens,
        "get_emails": _get_emails,
        "get_calls": _get_calls,
        "get_users": _get_users,
        "update_user": _update_user,
        "set_fault": _set_fault,
        "clear_faults": _clear_faults,
        "clear_all": _clear_all,
    }

    # --- other routes -----------------------------------------------------------

    def clear_tables(self, raw: bytes) -> Response:
        self.store.clear_users()
        return json_response(200, {})

    def prepare_user(self, raw: bytes) -> Response:
        return json_response(200, {})


def log_error(error: BaseException) -> None:
    print(f"Error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
