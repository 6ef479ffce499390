"""The user table (sqlite3) and the seven user actions on it.

Every statement is parameterised. All work happens under one lock on one
connection, so concurrent requests are serialised and no update is lost.

User ids have the shape ``<n>_<local part>``. ``n`` counts per local part from 1
and comes from a persistent counter table, so an id is never handed out twice,
not even after the user was deleted or the user table was cleared.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
import threading
from typing import Any, Dict, List, Optional

from tiauth_faroe.user_server import (
    ActionError,
    CreateUserEffect,
    DeleteUserEffect,
    Effect,
    EffectResult,
    GetUserByEmailAddressEffect,
    GetUserEffect,
    IncrementUserSessionsCounterEffect,
    UpdateUserEmailAddressEffect,
    UpdateUserPasswordHashEffect,
    User,
)

_STRICT = " STRICT" if sqlite3.sqlite_version_info >= (3, 37, 0) else ""

_SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS user (
        user_id TEXT NOT NULL PRIMARY KEY,
        email TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        password_hash BLOB NOT NULL,
        password_salt BLOB NOT NULL,
        password_hash_algorithm_id TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        email_address_counter INTEGER NOT NULL DEFAULT 0,
        password_hash_counter INTEGER NOT NULL DEFAULT 0,
        disabled_counter INTEGER NOT NULL DEFAULT 0,
        sessions_counter INTEGER NOT NULL DEFAULT 0
    ){_STRICT}""",
    "CREATE UNIQUE INDEX IF NOT EXISTS ix_user_email ON user (email)",
    f"""CREATE TABLE IF NOT EXISTS user_id_counter (
        prefix TEXT NOT NULL PRIMARY KEY,
        last_number INTEGER NOT NULL
    ){_STRICT}""",
]

_USER_COLUMNS = (
    "user_id, email, password_hash, password_hash_algorithm_id, password_salt, disabled, "
    "display_name, email_address_counter, password_hash_counter, disabled_counter, "
    "sessions_counter"
)

# Effect fields that must never reach a log.
_SECRET_FIELDS = {"password_hash", "password_salt"}


def describe_effect(effect: Effect) -> str:
    """A log line for an effect with hashes and salts left out."""
    fields = ", ".join(
        f"{name}={'<redacted>' if name in _SECRET_FIELDS else repr(value)}"
        for name, value in ((f.name, getattr(effect, f.name)) for f in dataclasses.fields(effect))
    )
    return f"{type(effect).__name__}({fields})"


def _row_to_user(row: Any) -> User:
    return User(
        id=row[0],
        email_address=row[1],
        password_hash=bytes(row[2]),
        password_hash_algorithm_id=row[3],
        password_salt=bytes(row[4]),
        disabled=bool(row[5]),
        display_name=row[6],
        email_address_counter=row[7],
        password_hash_counter=row[8],
        disabled_counter=row[9],
        sessions_counter=row[10],
    )


class UserNotFound(Exception):
    pass


class UserStore:
    """Implements the ``SyncServer`` protocol of ``tiauth_faroe.user_server``."""

    def __init__(self, db_path: str = ":memory:", lock: Optional[threading.RLock] = None,
                 log_effects: bool = False) -> None:
        self.lock = lock if lock is not None else threading.RLock()
        self.log_effects = log_effects
        self._connection = sqlite3.connect(
            db_path, check_same_thread=False, isolation_level=None
        )
        with self.lock:
            for statement in _SCHEMA:
                self._connection.execute(statement)

    def close(self) -> None:
        with self.lock:
            self._connection.close()

    # --- transactions --------------------------------------------------------

    def _begin(self) -> sqlite3.Cursor:
        cursor = self._connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor

    def _finish(self, cursor: sqlite3.Cursor, commit: bool) -> None:
        if self._connection.in_transaction:
            cursor.execute("COMMIT" if commit else "ROLLBACK")

    # --- SyncServer -----------------------------------------------------------

    def execute_effect(self, effect: Effect) -> EffectResult:
        if self.log_effects:
            print(f"effect: {describe_effect(effect)}", flush=True)
        with self.lock:
            cursor = self._connection.cursor()
            committed = False
            try:
                cursor.execute("BEGIN IMMEDIATE")
                result = self._apply(cursor, effect)
                self._finish(cursor, commit=not isinstance(result, ActionError))
                committed = True
                return result
            except sqlite3.Error as error:
                print(f"Error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
                return ActionError("unexpected_error")
            finally:
                if not committed:
                    self._finish(cursor, commit=False)

    def _apply(self, cursor: sqlite3.Cursor, effect: Effect) -> EffectResult:
        if isinstance(effect, CreateUserEffect):
            return self._create_user(cursor, effect)
        if isinstance(effect, GetUserEffect):
            return self._select_user(cursor, "user_id", effect.user_id)
        if isinstance(effect, GetUserByEmailAddressEffect):
            return self._select_user(cursor, "email", effect.email_address)
        if isinstance(effect, UpdateUserEmailAddressEffect):
            try:
                cursor.execute(
                    "UPDATE user SET email = ?, email_address_counter = email_address_counter + 1 "
                    "WHERE user_id = ? AND email_address_counter = ?",
                    (effect.email_address, effect.user_id, effect.user_email_address_counter),
                )
            except sqlite3.IntegrityError:
                return ActionError("email_address_already_used")
            return None if cursor.rowcount == 1 else ActionError("user_not_found")
        if isinstance(effect, UpdateUserPasswordHashEffect):
            cursor.execute(
                "UPDATE user SET password_hash = ?, password_hash_algorithm_id = ?, "
                "password_salt = ?, password_hash_counter = password_hash_counter + 1 "
                "WHERE user_id = ? AND password_hash_counter = ?",
                (
                    effect.password_hash,
                    effect.password_hash_algorithm_id,
                    effect.password_salt,
                    effect.user_id,
                    effect.user_password_hash_counter,
                ),
            )
            return None if cursor.rowcount == 1 else ActionError("user_not_found")
        if isinstance(effect, IncrementUserSessionsCounterEffect):
            cursor.execute(
                "UPDATE user SET sessions_counter = sessions_counter + 1 "
                "WHERE user_id = ? AND sessions_counter = ?",
                (effect.user_id, effect.user_sessions_counter),
            )
            return None if cursor.rowcount == 1 else ActionError("user_not_found")
        if isinstance(effect, DeleteUserEffect):
            cursor.execute("DELETE FROM user WHERE user_id = ?", (effect.user_id,))
            return None if cursor.rowcount == 1 else ActionError("user_not_found")
        raise TypeError(f"unknown effect {type(effect).__name__}")

    def _select_user(self, cursor: sqlite3.Cursor, column: str, value: str) -> EffectResult:
        assert column in ("user_id", "email")
        cursor.execute(f"SELECT {_USER_COLUMNS} FROM user WHERE {column} = ?", (value,))
        row = cursor.fetchone()
        return ActionError("user_not_found") if row is None else _row_to_user(row)

    def _create_user(self, cursor: sqlite3.Cursor, effect: CreateUserEffect) -> EffectResult:
        cursor.execute("SELECT 1 FROM user WHERE email = ?", (effect.email_address,))
        if cursor.fetchone() is not None:
            return ActionError("email_address_already_used")
        prefix = effect.email_address.split("@")[0]
        cursor.execute("SELECT last_number FROM user_id_counter WHERE prefix = ?", (prefix,))
        row = cursor.fetchone()
        number = (row[0] if row is not None else 0) + 1
        # Skip ids already present (e.g. a database written by another tool).
        while True:
            cursor.execute("SELECT 1 FROM user WHERE user_id = ?", (f"{number}_{prefix}",))
            if cursor.fetchone() is None:
                break
            number += 1
        cursor.execute(
            "INSERT INTO user_id_counter (prefix, last_number) VALUES (?, ?) "
            "ON CONFLICT (prefix) DO UPDATE SET last_number = excluded.last_number",
            (prefix, number),
        )
        user = User(
            id=f"{number}_{prefix}",
            email_address=effect.email_address,
            password_hash=effect.password_hash,
            password_hash_algorithm_id=effect.password_hash_algorithm_id,
            password_salt=effect.password_salt,
            disabled=False,
            display_name="",
            email_address_counter=0,
            password_hash_counter=0,
            disabled_counter=0,
            sessions_counter=0,
        )
        cursor.execute(
            "INSERT INTO user (user_id, email, display_name, password_hash, password_salt, "
            "password_hash_algorithm_id) VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.id,
                user.email_address,
                user.display_name,
                user.password_hash,
                user.password_salt,
                user.password_hash_algorithm_id,
            ),
        )
        return user

    # --- management -----------------------------------------------------------

    def list_users(self) -> List[User]:
        with self.lock:
            rows = self._connection.execute(
                f"SELECT {_USER_COLUMNS} FROM user ORDER BY rowid"
            ).fetchall()
        return [_row_to_user(row) for row in rows]

    def update_user(self, user_id: str, disabled: Optional[bool] = None,
                    display_name: Optional[str] = None) -> None:
        """Sets ``disabled`` and/or ``display_name``. Changing ``disabled`` to a
        different value also increments ``disabled_counter``. Raises
        :class:`UserNotFound`."""
        with self.lock:
            cursor = self._begin()
            ok = False
            try:
                cursor.execute("SELECT disabled FROM user WHERE user_id = ?", (user_id,))
                row = cursor.fetchone()
                if row is None:
                    raise UserNotFound(user_id)
                if disabled is not None and bool(row[0]) != disabled:
                    cursor.execute(
                        "UPDATE user SET disabled = ?, disabled_counter = disabled_counter + 1 "
                        "WHERE user_id = ?",
                        (int(disabled), user_id),
                    )
                if display_name is not None:
                    cursor.execute(
                        "UPDATE user SET display_name = ? WHERE user_id = ?",
                        (display_name, user_id),
                    )
                ok = True
            finally:
                self._finish(cursor, commit=ok)

    def clear_users(self) -> None:
        """Deletes every user. The id counters are kept, so ids stay unique."""
        with self.lock:
            self._connection.execute("DELETE FROM user")
