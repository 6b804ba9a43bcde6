"""PostgreSQL storage for conversations: an asyncpg pool, one transaction per turn.

Rules:
- Same contract as ``storage.sessions.SessionStore`` (``storage.contract.Store``), for any
  number of processes on one database.
- A turn is one transaction: the session row (inserted, or updated only if its ``version``
  is still the one the turn loaded), its answer writes and the replies it owes. Another
  process that saved the session first makes the turn raise ``VersionConflict`` with
  nothing applied: the update matches no row, or the insert meets the row the other one
  made. Row locks make two concurrent commits of one session wait for each other, so the
  second always sees the first.
- Turns of different people run in parallel on the pool's connections (no group commit:
  the server commits concurrent transactions together itself).
- Opening connects, refuses a newer schema and migrates (``storage.postgres.schema``) before
  anything else. Every error names the database without its password (``describe``).
- A server that cannot be reached or that fails a statement raises ``StorageUnavailable``
  from ``load`` and ``commit_turn``: nothing of the turn is applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from dialogs.content import Dialog, Structure
from dialogs.state import ClearAnswers, RecordAnswer, SessionState, Write
from storage.keys import SessionKey
from storage.mydata import PersonData
from storage.outbox import Owed
from storage.postgres.schema import migrate
from storage.retention import Erased
from storage.sessions import (
    Loaded,
    StorageError,
    StorageUnavailable,
    VersionConflict,
    state_from_row,
    structure_from,
)
from storage.singleflight import SingleFlight

if TYPE_CHECKING:
    from storage.postgres.outbox import PostgresOutbox
    from storage.postgres.stats import PostgresStats
    from storage.postgres.workshops import PostgresWorkshops

# What a failing server or connection raises: the turn is not applied, try again later.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)

_SELECT_SESSIONS = """
    SELECT dialog, phase, turn, misses, pending, revisit, content_version, content_hash, version,
           (SELECT coalesce(json_agg(json_build_array(distinction, choice) ORDER BY turn), '[]')::text
              FROM answers WHERE session_id = s.id)
      FROM sessions AS s
"""
_LOAD_COLUMNS = _SELECT_SESSIONS + ' WHERE platform = $1 AND chat = $2 AND "user" = $3'
_LOAD_DIALOG = _LOAD_COLUMNS + " AND dialog = $4"
_LOAD_LATEST = _LOAD_COLUMNS + " ORDER BY updated_at DESC, id DESC LIMIT 1"
_INSERT_SESSION = """
    INSERT INTO sessions (platform, chat, "user", dialog, phase, turn, misses, pending, revisit,
                          content_version, content_hash, version, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)
    ON CONFLICT (platform, chat, "user", dialog) DO NOTHING
    RETURNING id
"""
_UPDATE_SESSION = """
    UPDATE sessions
       SET phase = $5, turn = $6, misses = $7, pending = $8, revisit = $9, content_version = $10,
           content_hash = $11, version = version + 1, updated_at = $12
     WHERE platform = $1 AND chat = $2 AND "user" = $3 AND dialog = $4 AND version = $13
    RETURNING id
"""
_CLEAR_ANSWERS = "DELETE FROM answers WHERE session_id = $1"
_RECORD_ANSWER = """
    INSERT INTO answers (session_id, distinction, choice, turn, answered_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (session_id, distinction)
    DO UPDATE SET choice = excluded.choice, turn = excluded.turn, answered_at = excluded.answered_at
"""
OWE = """
    INSERT INTO outbox (platform, chat, payload, created_at, "user", receipt, courtesy)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_FORGET = 'DELETE FROM sessions WHERE platform = $1 AND "user" = $2'
_FORGET_LANGUAGE = 'DELETE FROM languages WHERE platform = $1 AND "user" = $2'
_FORGET_OWED = 'DELETE FROM outbox WHERE platform = $1 AND "user" = $2'
_LANGUAGE = 'SELECT language FROM languages WHERE platform = $1 AND "user" = $2'
_CHOOSE_LANGUAGE = """
    INSERT INTO languages (platform, "user", language, chosen_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (platform, "user") DO UPDATE SET language = excluded.language, chosen_at = excluded.chosen_at
"""
_COUNT_SESSIONS = "SELECT count(*) FROM sessions"
_REMEMBER_STRUCTURE = """
    INSERT INTO dialog_structures (hash, dialog, version, structure) VALUES ($1, $2, $3, $4)
    ON CONFLICT (hash) DO NOTHING
"""
_STRUCTURE = "SELECT structure FROM dialog_structures WHERE hash = $1"


def describe(uri: str) -> str:
    """The database's URI without its password, for messages an operator reads."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the PostgreSQL database (its URI does not parse)"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


def affected(status: str) -> int:
    """The row count of a command's status ("DELETE 3" -> 3)."""
    return int(status.rsplit(" ", 1)[-1])


def _session_params(s: SessionState) -> tuple[object, ...]:
    return (s.phase.value, s.turn, s.misses, s.pending, s.revisit, s.content_version, s.content_hash)


class PostgresStore:
    """The conversation store on PostgreSQL. Use ``await PostgresStore.open(uri)``."""

    def __init__(self, pool: Any, name: str, clock: Callable[[], float]) -> None:
        self.pool = pool
        self.name = name  # the URI without its password
        self.clock = clock
        self._remembered: set[str] = set()
        self._remembering = SingleFlight()
        self._commits = 0

    @classmethod
    async def open(
        cls,
        uri: str,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
        max_connections: int = 10,
    ) -> PostgresStore:
        name = describe(uri)
        try:
            pool = await asyncpg.create_pool(
                uri, min_size=1, max_size=max_connections, timeout=timeout, command_timeout=max(timeout, 30.0)
            )
        except UNAVAILABLE as exc:
            raise StorageError(f"cannot open the database {name}: {_reason(exc, uri)}") from None
        except ValueError as exc:  # a URI asyncpg cannot read
            raise StorageError(f"cannot open the database {name}: {_reason(exc, uri)}") from None
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except StorageError as exc:
            await pool.close()
            raise StorageError(f"cannot use the database {name}: {exc}") from None
        except UNAVAILABLE as exc:
            await pool.close()
            raise StorageError(f"cannot use the database {name}: {_reason(exc, uri)}") from None
        return cls(pool, name, clock)

    async def close(self) -> None:
        await self.pool.close()

    @property
    def shared(self) -> bool:
        """True: other processes write to the same database."""
        return True

    @property
    def batches(self) -> int:
        """How many turn transactions have committed."""
        return self._commits

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A connection in a transaction; server failures become ``StorageUnavailable``."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn
        except UNAVAILABLE as exc:
            raise StorageUnavailable(f"the database could not be used: {type(exc).__name__}: {exc}") from None

    async def fetch(self, sql: str, *params: object) -> list[Any]:
        try:
            return list(await self.pool.fetch(sql, *params))
        except UNAVAILABLE as exc:
            raise StorageUnavailable(f"the database could not be read: {type(exc).__name__}: {exc}") from None

    # --- reads --------------------------------------------------------------------------

    async def load(self, key: SessionKey, dialog: str | None = None) -> Loaded | None:
        if dialog is None:
            rows = await self.fetch(_LOAD_LATEST, key.platform, key.chat, key.user)
        else:
            rows = await self.fetch(_LOAD_DIALOG, key.platform, key.chat, key.user, dialog)
        return state_from_row(tuple(rows[0])) if rows else None

    async def structure(self, fingerprint: str) -> Structure | None:
        if not fingerprint:
            return None
        rows = await self.fetch(_STRUCTURE, fingerprint)
        return structure_from(str(rows[0][0])) if rows else None

    async def remember(self, dialog: Dialog) -> None:
        # Many first turns at once wait for one write (storage.singleflight), as on SQLite.
        if dialog.fingerprint not in self._remembered:
            await self._remembering.run(dialog.fingerprint, lambda: self._remember(dialog))

    async def _remember(self, dialog: Dialog) -> None:
        structure = json.dumps(dialog.structure, separators=(",", ":"))
        async with self.transaction() as conn:
            await conn.execute(_REMEMBER_STRUCTURE, dialog.fingerprint, dialog.id, dialog.version, structure)
        self._remembered.add(dialog.fingerprint)

    async def count_sessions(self) -> int:
        rows = await self.fetch(_COUNT_SESSIONS)
        return int(rows[0][0])

    async def language(self, platform: str, user: str) -> str | None:
        rows = await self.fetch(_LANGUAGE, platform, user)
        return str(rows[0][0]) if rows else None

    # --- writes -------------------------------------------------------------------------

    async def commit_turn(
        self,
        key: SessionKey,
        version: int,
        state: SessionState,
        writes: tuple[Write, ...],
        owed: tuple[Owed, ...] = (),
    ) -> int:
        now = self.clock()
        params = (key.platform, key.chat, key.user, state.dialog, *_session_params(state), now)
        async with self.transaction() as conn:
            if version == 0:
                session_id = await conn.fetchval(_INSERT_SESSION, *params)
            else:
                session_id = await conn.fetchval(_UPDATE_SESSION, *params, version)
            if session_id is None:  # rolls the transaction back
                raise VersionConflict("the session was saved by someone else since it was loaded")
            for write in writes:
                if isinstance(write, ClearAnswers):
                    await conn.execute(_CLEAR_ANSWERS, session_id)
                elif isinstance(write, RecordAnswer):
                    await conn.execute(
                        _RECORD_ANSWER, session_id, write.distinction, write.choice, write.turn, now
                    )
            await self._owe(conn, key, owed, now)
        self._commits += 1
        return version + 1

    async def owe(self, key: SessionKey, owed: tuple[Owed, ...]) -> None:
        if owed:
            async with self.transaction() as conn:
                await self._owe(conn, key, owed, self.clock())

    @staticmethod
    async def _owe(conn: Any, key: SessionKey, owed: tuple[Owed, ...], now: float) -> None:
        if owed:
            await conn.executemany(OWE, [o.params(key.platform, key.user, now) for o in owed])

    async def choose_language(self, platform: str, user: str, language: str) -> None:
        async with self.transaction() as conn:
            await conn.execute(_CHOOSE_LANGUAGE, platform, user, language, self.clock())

    async def forget(self, platform: str, user: str) -> int:
        async with self.transaction() as conn:
            erased = affected(await conn.execute(_FORGET, platform, user))
            await conn.execute(_FORGET_LANGUAGE, platform, user)
            await conn.execute(_FORGET_OWED, platform, user)
        return erased

    # --- siblings -----------------------------------------------------------------------

    def outbox(self) -> PostgresOutbox:
        from storage.postgres.outbox import PostgresOutbox

        return PostgresOutbox(self)

    def workshop_store(self, clock: Callable[[], float] = time.time) -> PostgresWorkshops:
        from storage.postgres.workshops import PostgresWorkshops

        return PostgresWorkshops(self, clock)

    def stats(self) -> PostgresStats:
        from storage.postgres.stats import PostgresStats

        return PostgresStats(self)

    async def person_data(self, platform: str, user: str) -> PersonData:
        from storage.postgres.people import person_data

        return await person_data(self, platform, user)

    async def erase_older_than(self, cutoff: float) -> Erased:
        from storage.postgres.people import erase_older_than

        return await erase_older_than(self, cutoff)


def _reason(exc: BaseException, uri: str) -> str:
    """An error's text, with the password taken out should a driver ever echo it."""
    text = f"{type(exc).__name__}: {exc}"
    password = urlsplit(uri).password if "://" in uri else None
    return text.replace(password, "<password>") if password else text
