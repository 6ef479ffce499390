"""The example's user store and e-mail outbox, in SQLite (standard library).

``UserStore`` is the user server's side of ``/invoke``: it carries out the seven
effects of :mod:`tiauth_faroe.user_server`. ``Outbox`` stands in for a mail
service: it keeps every e-mail in a table (a real app would hand it to SMTP or an
e-mail API) and logs only its kind, never the code in it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from typing import Any, List, Optional

from tiauth_faroe.user_server import (
    ActionError,
    CreateUserEffect,
    DeleteUserEffect,
    Effect,
    EffectResult,
    Email,
    GetUserByEmailAddressEffect,
    GetUserEffect,
    IncrementUserSessionsCounterEffect,
    UpdateUserEmailAddressEffect,
    UpdateUserPasswordHashEffect,
    User,
)

logger = logging.getLogger("fastapi_example")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email_address TEXT NOT NULL UNIQUE,
    password_hash BLOB NOT NULL,
    password_hash_algorithm_id TEXT NOT NULL,
    password_salt BLOB NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    display_name TEXT NOT NULL DEFAULT '',
    email_address_counter INTEGER NOT NULL DEFAULT 0,
    password_hash_counter INTEGER NOT NULL DEFAULT 0,
    disabled_counter INTEGER NOT NULL DEFAULT 0,
    sessions_counter INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT ''
);
"""

COLUMNS = (
    "id, email_address, password_hash, password_hash_algorithm_id, password_salt, disabled, "
    "display_name, email_address_counter, password_hash_counter, disabled_counter, sessions_counter"
)


class Database:
    """One SQLite connection shared by threads under a lock."""

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def _user(row: Any) -> User:
    return User(
        id=str(row[0]),
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


class UserStore:
    """``AsyncServer`` of tiauth_faroe.user_server; SQLite work runs in a worker thread."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def execute_effect(self, effect: Effect) -> EffectResult:
        return await asyncio.to_thread(self._execute, effect)

    def find_email_address(self, user_id: str) -> Optional[str]:
        """The web API's lookup: the address of a signed-in user."""
        with self.database.lock:
            row = self.database.connection.execute(
                "SELECT email_address FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def _execute(self, effect: Effect) -> EffectResult:
        with self.database.lock:
            connection = self.database.connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = self._apply(connection, effect)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("ROLLBACK" if isinstance(result, ActionError) else "COMMIT")
            return result

    def _apply(self, db: sqlite3.Connection, effect: Effect) -> EffectResult:
        if isinstance(effect, CreateUserEffect):
            try:
                cursor = db.execute(
                    "INSERT INTO users (email_address, password_hash, password_hash_algorithm_id, "
                    "password_salt) VALUES (?, ?, ?, ?)",
                    (effect.email_address, effect.password_hash,
                     effect.password_hash_algorithm_id, effect.password_salt),
                )
            except sqlite3.IntegrityError:
                return ActionError("email_address_already_used")
            return self._select(db, "id", cursor.lastrowid)
        if isinstance(effect, GetUserEffect):
            return self._select(db, "id", effect.user_id)
        if isinstance(effect, GetUserByEmailAddressEffect):
            return self._select(db, "email_address", effect.email_address)
        if isinstance(effect, UpdateUserEmailAddressEffect):
            try:
                cursor = db.execute(
                    "UPDATE users SET email_address = ?, email_address_counter = email_address_counter + 1 "
                    "WHERE id = ? AND email_address_counter = ?",
                    (effect.email_address, effect.user_id, effect.user_email_address_counter),
                )
            except sqlite3.IntegrityError:
                return ActionError("email_address_already_used")
        elif isinstance(effect, UpdateUserPasswordHashEffect):
            cursor = db.execute(
                "UPDATE users SET password_hash = ?, password_hash_algorithm_id = ?, password_salt = ?, "
                "password_hash_counter = password_hash_counter + 1 WHERE id = ? AND password_hash_counter = ?",
                (effect.password_hash, effect.password_hash_algorithm_id, effect.password_salt,
                 effect.user_id, effect.user_password_hash_counter),
            )
        elif isinstance(effect, IncrementUserSessionsCounterEffect):
            cursor = db.execute(
                "UPDATE users SET sessions_counter = sessions_counter + 1 WHERE id = ? AND sessions_counter = ?",
                (effect.user_id, effect.user_sessions_counter),
            )
        else:  # DeleteUserEffect
            assert isinstance(effect, DeleteUserEffect)
            cursor = db.execute("DELETE FROM users WHERE id = ?", (effect.user_id,))
        # No row changed: the user is gone or a counter moved on (a stale update).
        return None if cursor.rowcount == 1 else ActionError("user_not_found")

    @staticmethod
    def _select(db: sqlite3.Connection, column: str, value: Any) -> EffectResult:
        assert column in ("id", "email_address")
        row = db.execute(f"SELECT {COLUMNS} FROM users WHERE {column} = ?", (value,)).fetchone()
        return ActionError("user_not_found") if row is None else _user(row)


class Outbox:
    """``AsyncEmailSender``: keeps e-mails in the ``outbox`` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def send_email(self, email: Email) -> None:
        secret = getattr(email, "code", None) or getattr(email, "temporary_password", "")
        with self.database.lock:
            self.database.connection.execute(
                "INSERT INTO outbox (kind, recipient, secret) VALUES (?, ?, ?)",
                (email.TYPE, email.email_address, secret),
            )
        logger.info("queued a %s e-mail", email.TYPE)

    def sent(self, recipient: str) -> List[tuple[str, str]]:
        """(kind, code or temporary password) of the e-mails to ``recipient``, oldest first."""
        with self.database.lock:
            rows = self.database.connection.execute(
                "SELECT kind, secret FROM outbox WHERE recipient = ? ORDER BY id", (recipient,)
            ).fetchall()
        return [(str(kind), str(secret)) for kind, secret in rows]
