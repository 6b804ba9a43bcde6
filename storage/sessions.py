"""SQLite storage for conversations: one aiosqlite connection, one writer, group commit.

Rules:
- Every SQL string of the project lives in ``storage/``.
- The file is created readable and writable by its owner only; WAL journal; foreign keys on.
- Loads and language reads asked for at once are made in one query (``storage.batchread``):
  a thousand people's first turns after a start cost one thread hop, not two thousand.
- A turn is saved by ``commit_turn``: the session's new state, its answer writes and the
  replies it owes (``storage.outbox``) are committed in one transaction, and the call
  returns only after that commit. ``owe`` commits owed replies of a turn that changed
  nothing (e.g. /help), through the same batches. Turns that
  arrive while a commit is in flight are batched into the next transaction (group commit),
  so N concurrent turns cost a handful of thread hops, not N * 3 (``storage.groupcommit``,
  shared with the workshop votes).
- The ``version`` column is optimistic concurrency: a turn states the version it loaded; if
  another writer got there first, that turn raises ``VersionConflict`` and nothing of it
  is applied (the rest of its batch still commits).
- A session row is stored by ids (answers by distinction and choice id, /back's question
  by id) with the content it was written against (the dialog's version and fingerprint).
  The structures behind those fingerprints are kept (``remember``) so a session
  written against older content can be compared with the current one.
- A row that does not decode (a phase that does not exist, a field that is not a whole
  number) is not an error for the caller: ``load`` returns it with ``damaged`` saying why,
  and a state holding nothing but the dialog id; the caller restarts that session. When
  the unreadable field is ``version`` itself, ``load`` says ``UNREADABLE_VERSION`` and the
  restart's commit replaces the row only while its version is still not a whole number
  (so a second writer that repaired it first wins, as with any version conflict).
- ``forget`` erases every session and answer of a person on a platform, and the language
  they chose (``choose_language``: one per person and platform, whatever the chat).
- Opening checks before it changes anything: the folder must exist (a typo must not become
  a new, empty database), an existing file must be SQLite, and its schema version must not
  be newer than this program's; only then are the mode, journal and schema touched.
- A database another process holds for longer than the busy timeout, or a full disk,
  raises ``StorageUnavailable`` from ``load`` and ``commit_turn``: nothing of the turn is
  applied, and the connection stays usable for the next one.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import aiosqlite

from dialogs.content import Dialog, Structure
from dialogs.state import Answer, ClearAnswers, Phase, RecordAnswer, SessionState, Write
from storage.batchread import BatchedReads
from storage.groupcommit import GroupCommit
from storage.keys import SessionKey
from storage.outbox import OWE, Kept, Owed, last_id_of
from storage.schema import MIGRATIONS, SCHEMA_VERSION
from storage.singleflight import SingleFlight

if TYPE_CHECKING:
    from storage.mydata import PersonData
    from storage.outbox import OutboxStore
    from storage.retention import Erased
    from storage.stats import StatsStore
    from storage.workshops import WorkshopStore


class StorageError(RuntimeError):
    """The database cannot be used; the message is one line for an operator."""


class StorageUnavailable(StorageError):
    """The database is busy past the busy timeout, or the disk is full: try again later."""


class VersionConflict(RuntimeError):
    """Another writer saved this session after it was loaded; the turn was not applied."""


# The version of a stored row whose ``version`` column is not a whole number.
UNREADABLE_VERSION = -1


@dataclass(frozen=True, slots=True)
class Loaded:
    state: SessionState
    version: int  # 0: not stored yet; UNREADABLE_VERSION: stored, but not a number
    damaged: str | None = None  # why the stored row could not be read; ``state`` is blank


@dataclass(frozen=True, slots=True)
class _Turn:
    key: SessionKey
    version: int
    state: SessionState | None  # None: the turn only owes replies
    writes: tuple[Write, ...]
    owed: tuple[Owed, ...]


_SESSION_COLUMNS = """
    dialog, phase, turn, misses, pending, revisit, content_version, content_hash, version,
    (SELECT json_group_array(json_array(distinction, choice))
       FROM (SELECT distinction, choice FROM answers WHERE session_id = s.id ORDER BY turn))
"""
_SELECT_SESSIONS = f"SELECT {_SESSION_COLUMNS} FROM sessions AS s"
# Many loads in one query: ? is a JSON array of [platform, chat, user, dialog or null]; each
# row names the request it answers (j.key, its index). A request without a dialog wants the
# person's latest session: its rows come newest first.
_LOAD_MANY = f"""
    SELECT {_SESSION_COLUMNS}, j.key
      FROM json_each(?) AS j
      JOIN sessions AS s
        ON s.platform = json_extract(j.value, '$[0]') AND s.chat = json_extract(j.value, '$[1]')
       AND s.user = json_extract(j.value, '$[2]')
       AND (json_extract(j.value, '$[3]') IS NULL OR s.dialog = json_extract(j.value, '$[3]'))
     ORDER BY j.key, s.updated_at DESC, s.id DESC
"""

_INSERT_SESSION = """
    INSERT INTO sessions (platform, chat, user, dialog, phase, turn, misses, pending, revisit,
                          content_version, content_hash, version, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
    ON CONFLICT (platform, chat, user, dialog) DO NOTHING
"""
_UPDATE_SESSION = """
    UPDATE sessions
       SET phase = ?, turn = ?, misses = ?, pending = ?, revisit = ?, content_version = ?,
           content_hash = ?, version = version + 1, updated_at = ?
     WHERE platform = ? AND chat = ? AND user = ? AND dialog = ? AND version = ?
"""
# The restart of a row whose version is not a whole number (``UNREADABLE_VERSION``).
_REPLACE_UNREADABLE = """
    UPDATE sessions
       SET phase = ?, turn = ?, misses = ?, pending = ?, revisit = ?, content_version = ?,
           content_hash = ?, version = 1, updated_at = ?
     WHERE platform = ? AND chat = ? AND user = ? AND dialog = ? AND typeof(version) != 'integer'
"""
_SESSION_ID = "(SELECT id FROM sessions WHERE platform = ? AND chat = ? AND user = ? AND dialog = ?)"
_CLEAR_ANSWERS = f"DELETE FROM answers WHERE session_id = {_SESSION_ID}"
_RECORD_ANSWER = f"""
    INSERT INTO answers (session_id, distinction, choice, turn, answered_at)
    VALUES ({_SESSION_ID}, ?, ?, ?, ?)
    ON CONFLICT (session_id, distinction)
    DO UPDATE SET choice = excluded.choice, turn = excluded.turn,
                  answered_at = excluded.answered_at
"""
_FORGET = "DELETE FROM sessions WHERE platform = ? AND user = ?"
_FORGET_LANGUAGE = "DELETE FROM languages WHERE platform = ? AND user = ?"
_FORGET_OWED = "DELETE FROM outbox WHERE platform = ? AND user = ?"
# Many people's chosen languages in one query: ? is a JSON array of [platform, user].
_LANGUAGES = """
    SELECT j.key, l.language
      FROM json_each(?) AS j
      JOIN languages AS l
        ON l.platform = json_extract(j.value, '$[0]') AND l.user = json_extract(j.value, '$[1]')
"""
_CHOOSE_LANGUAGE = """
    INSERT INTO languages (platform, user, language, chosen_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (platform, user) DO UPDATE SET language = excluded.language, chosen_at = excluded.chosen_at
"""
_COUNT_SESSIONS = "SELECT count(*) FROM sessions"
_REMEMBER_STRUCTURE = """
    INSERT INTO dialog_structures (hash, dialog, version, structure) VALUES (?, ?, ?, ?)
    ON CONFLICT (hash) DO NOTHING
"""
_STRUCTURE = "SELECT structure FROM dialog_structures WHERE hash = ?"
_STRUCTURES = "SELECT hash, structure FROM dialog_structures"


def _key_params(key: SessionKey, dialog: str) -> tuple[str, str, str, str]:
    return (key.platform, key.chat, key.user, dialog)


_PHASES = frozenset(phase.value for phase in Phase)


def whole(value: object) -> TypeGuard[int]:
    """Whether a value read from a row is a whole number (SQLite keeps whatever was written)."""
    return isinstance(value, int) and not isinstance(value, bool)


def real(value: object) -> TypeGuard[int | float]:
    """Whether a value read from a row is a number (a time, say)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def undecodable(
    phase: object, phases: frozenset[str], numbers: dict[str, object], texts: dict[str, object]
) -> str | None:
    """Why a row's fields cannot make a state, or None. SQLite keeps whatever was written,
    whatever the column's type (and a text column on PostgreSQL holds any text), so a
    hand-edited or damaged row can hold anything."""
    if phase not in phases:
        return f"phase {phase!r} is not one of {sorted(phases)}"
    for name, value in numbers.items():
        if not whole(value):
            return f"{name} {value!r} is not a whole number"
    for name, value in texts.items():
        if value is not None and not isinstance(value, str):
            return f"{name} {value!r} is not text"
    return None


def state_from_row(row: Sequence[Any]) -> Loaded:
    dialog, phase, turn, misses, pending, revisit, content_version, content_hash, version, answers_json = row
    if not whole(version):
        # The concurrency counter itself: the restart replaces the row (``_REPLACE_UNREADABLE``).
        why = f"version {version!r} is not a whole number"
        return Loaded(SessionState(dialog), UNREADABLE_VERSION, damaged=why)
    answers = tuple(Answer(str(d), None if c is None else str(c)) for d, c in json.loads(answers_json))
    numbers = {"turn": turn, "misses": misses, "content_version": content_version}
    problem = undecodable(
        phase, _PHASES, numbers, {"pending": pending, "revisit": revisit, "content_hash": content_hash}
    )
    if problem is not None:
        return Loaded(SessionState(dialog), version, damaged=problem)
    state = SessionState(
        dialog, Phase(phase), turn, misses, answers, pending, revisit, content_version, content_hash or ""
    )
    return Loaded(state, version)


def structure_from(text: str) -> Structure:
    """A structure as ``remember`` stored it (JSON)."""
    return tuple((str(d), tuple(str(c) for c in choices)) for d, choices in json.loads(text))


def read_all(conn: sqlite3.Connection) -> tuple[list[Loaded], dict[str, Structure]]:
    """Every stored session (decoded like ``load`` does) and every known structure, by
    fingerprint; on a plain ``sqlite3`` connection, for read-only reports."""
    sessions = [state_from_row(row) for row in conn.execute(_SELECT_SESSIONS)]
    structures = {str(h): structure_from(text) for h, text in conn.execute(_STRUCTURES)}
    return sessions, structures


def _session_params(s: SessionState) -> tuple[object, ...]:
    return (s.phase.value, s.turn, s.misses, s.pending, s.revisit, s.content_version, s.content_hash)


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_path(path: Path) -> None:
    """Refuse a path that cannot hold this program's database, touching nothing."""
    if not path.parent.is_dir():
        what = "is not a folder" if path.parent.exists() else "does not exist"
        raise StorageError(
            f"cannot open the database {path}: the folder {path.parent} {what}, expected an existing folder"
        )
    if path.is_dir():
        raise StorageError(f"cannot open the database {path}: it is a folder, expected a file")
    if path.exists():
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
        if head and head != _SQLITE_HEADER:  # an empty file becomes a new database
            raise StorageError(
                f"cannot use the database {path}: it is not an SQLite database, "
                "expected a careerbot database or the name of a new file"
            )


def _create_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does, so it is never world-readable."""
    if str(path) == ":memory:":
        return
    _check_path(path)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)


class SessionStore:
    """The conversation store. Use ``await SessionStore.open(path)`` and ``close()``."""

    def __init__(self, conn: aiosqlite.Connection, clock: Callable[[], float]) -> None:
        self._conn = conn
        self._clock = clock
        self._write_lock = asyncio.Lock()
        self._remembered: set[str] = set()  # fingerprints whose structure is stored
        self._remembering = SingleFlight()  # ... being stored now
        self.kept = Kept()  # what is owed, in memory for the outbox (``storage.outbox``)
        self._turns: GroupCommit[_Turn, int] = GroupCommit(self._write_lock, self._apply, "careerbot-writer")
        self._session_reads = BatchedReads(self._load_many)
        self._language_reads = BatchedReads(self._languages_of)

    @classmethod
    async def open(
        cls, path: Path | str, clock: Callable[[], float] = time.time, busy_timeout: float = 5.0
    ) -> SessionStore:
        """``busy_timeout``: seconds to wait for another process's lock before giving up."""
        path = Path(path)
        try:
            _create_private_file(path)
            conn = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from None
        try:
            await conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
            # Before the journal mode changes: a newer program's file is left as it was.
            await _schema_version(conn)
            await conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable against a process crash in WAL mode; FULL adds power-loss
            # durability for one fsync per commit.
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await _migrate(conn)
            if str(path) != ":memory:":
                os.chmod(path, 0o600)  # an existing file too, once it is known to be ours
        except (OSError, sqlite3.Error) as exc:
            await conn.close()
            raise StorageError(f"cannot use the database {path}: {exc}") from None
        return cls(conn, clock)

    async def close(self) -> None:
        """Finish every pending turn, then close the connection.

        Sibling stores on this connection (``storage.workshops``) must be closed first.
        """
        await self._turns.close()
        await self._conn.close()

    @property
    def shared(self) -> bool:
        """False: one process owns the file (its caches stay true)."""
        return False

    @property
    def batches(self) -> int:
        """How many write transactions group commit has made."""
        return self._turns.batches

    @property
    def read_batches(self) -> int:
        """How many queries batched loads and language reads have made."""
        return self._session_reads.batches + self._language_reads.batches

    # --- connection for sibling stores (workshops) ------------------------------------

    @property
    def connection(self) -> aiosqlite.Connection:
        return self._conn

    @property
    def write_lock(self) -> asyncio.Lock:
        """Held by every writer on this connection, so transactions never interleave."""
        return self._write_lock

    # --- reads --------------------------------------------------------------------------

    async def load(self, key: SessionKey, dialog: str | None = None) -> Loaded | None:
        """The session for ``dialog``, or the person's most recent one when ``dialog`` is None.
        Loads asked for at once are read together (``storage.batchread``)."""
        return await self._session_reads.ask((key.platform, key.chat, key.user, dialog))

    async def _load_many(self, requests: list[tuple[str, str, str, str | None]]) -> list[Loaded | None]:
        found: list[Loaded | None] = [None] * len(requests)
        for row in await self._rows(_LOAD_MANY, (json.dumps(requests),)):
            index = row[-1]
            if found[index] is None:  # the first row of a request is the one it wants
                found[index] = state_from_row(row[:-1])
        return found

    async def _rows(self, sql: str, params: tuple[str, ...]) -> Iterable[Any]:
        try:
            return await self._conn.execute_fetchall(sql, params)
        except sqlite3.OperationalError as exc:  # locked past the busy timeout, I/O error
            raise StorageUnavailable(f"the database could not be read: {exc}") from None

    async def structure(self, fingerprint: str) -> Structure | None:
        """The structure a session stamped ``fingerprint`` was written against, if known."""
        if not fingerprint:
            return None
        for (text,) in await self._rows(_STRUCTURE, (fingerprint,)):
            return structure_from(text)
        return None

    async def remember(self, dialog: Dialog) -> None:
        """Keep the structure behind ``dialog.fingerprint``, once per store: sessions and
        workshops stamped with it can then be compared with a later edit of the dialog.
        Callers that ask while it is being written wait for that one write (a thousand
        people's first turns after a start would otherwise make a thousand transactions)."""
        if dialog.fingerprint not in self._remembered:
            await self._remembering.run(dialog.fingerprint, lambda: self._remember(dialog))

    async def _remember(self, dialog: Dialog) -> None:
        structure = json.dumps(dialog.structure, separators=(",", ":"))
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                await self._conn.execute(
                    _REMEMBER_STRUCTURE, (dialog.fingerprint, dialog.id, dialog.version, structure)
                )
                await self._conn.commit()
            except BaseException:
                await self._conn.rollback()
                raise
        self._remembered.add(dialog.fingerprint)

    async def count_sessions(self) -> int:
        async with self._conn.execute(_COUNT_SESSIONS) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # --- writes -------------------------------------------------------------------------

    def commit_turn(
        self,
        key: SessionKey,
        version: int,
        state: SessionState,
        writes: tuple[Write, ...],
        owed: tuple[Owed, ...] = (),
    ) -> asyncio.Future[int]:
        """Commit a turn with the replies it owes; the future gives the new version once
        durable (a future, not a coroutine: one frame less on every turn)."""
        return self._submit(_Turn(key, version, state, writes, owed))

    async def owe(self, key: SessionKey, owed: tuple[Owed, ...]) -> None:
        """Commit replies owed by a turn that changed nothing; returns once durable."""
        if owed:
            await self._submit(_Turn(key, 0, None, (), owed))

    def _submit(self, turn: _Turn) -> asyncio.Future[int]:
        """Queue ``turn`` for the next group commit; ``_apply`` says ``StorageUnavailable``
        for what cannot be saved."""
        if self._turns.closed:
            raise StorageError("the database is closed")
        return self._turns.submit(turn)

    async def language(self, platform: str, user: str) -> str | None:
        """The language this person chose on this platform, if they chose one. Reads asked
        for at once are made together (``storage.batchread``)."""
        return await self._language_reads.ask((platform, user))

    async def _languages_of(self, people: list[tuple[str, str]]) -> list[str | None]:
        chosen: list[str | None] = [None] * len(people)
        for index, language in await self._rows(_LANGUAGES, (json.dumps(people),)):
            chosen[index] = str(language)
        return chosen

    async def choose_language(self, platform: str, user: str, language: str) -> None:
        """Keep the language this person chose; returns once durable."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                await self._conn.execute(_CHOOSE_LANGUAGE, (platform, user, language, self._clock()))
                await self._conn.commit()
            except BaseException:
                await self._conn.rollback()
                raise

    async def forget(self, platform: str, user: str) -> int:
        """Erase every session (and so every answer) of ``user``, their language and the
        replies still owed to them; returns how many sessions."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._conn.execute(_FORGET, (platform, user))
                erased = cursor.rowcount
                await self._conn.execute(_FORGET_LANGUAGE, (platform, user))
                await self._conn.execute(_FORGET_OWED, (platform, user))
                await self._conn.commit()
            except BaseException:
                await self._conn.rollback()
                raise
            self.kept.forgotten(platform, user)
        return erased

    # --- siblings on this connection (``storage.contract.Store``) ------------------------

    def outbox(self) -> OutboxStore:
        """The outbox on this connection (call inside the loop; close it before this store)."""
        from storage.outbox import OutboxStore

        return OutboxStore.on(self)

    def workshop_store(self, clock: Callable[[], float] = time.time) -> WorkshopStore:
        """The workshops on this connection (call inside the loop; close it before this store)."""
        from storage.workshops import WorkshopStore

        return WorkshopStore.on(self, clock)

    def stats(self) -> StatsStore:
        from storage.stats import StatsStore

        return StatsStore.on(self)

    async def person_data(self, platform: str, user: str) -> PersonData:
        from storage.mydata import person_data

        return await person_data(self, platform, user)

    async def erase_older_than(self, cutoff: float) -> Erased:
        from storage.retention import erase_older_than

        return await erase_older_than(self, cutoff)

    async def _apply(self, turns: list[_Turn]) -> list[int]:
        """Apply turns in one transaction; all or nothing. A database locked past the busy
        timeout or a full disk is ``StorageUnavailable`` for each turn's caller."""
        try:
            return await self._write(turns)
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"the turn could not be saved: {exc}") from None

    async def _write(self, turns: list[_Turn]) -> list[int]:
        now = self._clock()
        inserts, updates, replaces, clears, records = [], [], [], [], []
        owed: list[tuple[object, ...]] = []
        for turn in turns:
            if turn.owed:
                owed.extend(o.params(turn.key.platform, turn.key.user, now) for o in turn.owed)
            s = turn.state
            if s is None:
                continue
            key = _key_params(turn.key, s.dialog)
            if turn.version == 0:
                inserts.append((*key, *_session_params(s), now))
            elif turn.version == UNREADABLE_VERSION:
                replaces.append((*_session_params(s), now, *key))
            else:
                updates.append((*_session_params(s), now, *key, turn.version))
            for write in turn.writes:
                if isinstance(write, ClearAnswers):
                    clears.append(key)
                elif isinstance(write, RecordAnswer):
                    records.append((*key, write.distinction, write.choice, write.turn, now))
        conn = self._conn
        # Runs with write_lock held (GroupCommit), which retries a failing batch turn by turn.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            before = conn.total_changes
            if inserts:
                await conn.executemany(_INSERT_SESSION, inserts)
            if updates:
                await conn.executemany(_UPDATE_SESSION, updates)
            if replaces:
                await conn.executemany(_REPLACE_UNREADABLE, replaces)
            if conn.total_changes - before != len(inserts) + len(updates) + len(replaces):
                raise VersionConflict("the session was saved by someone else since it was loaded")
            if clears:
                await conn.executemany(_CLEAR_ANSWERS, clears)
            if records:
                await conn.executemany(_RECORD_ANSWER, records)
            kept = bool(owed) and self.kept.active
            if owed:
                await conn.executemany(OWE, owed)
            last_id = await last_id_of(conn) if kept else 0
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        if kept:  # handed to the sender in memory: it need not read them back
            self.kept.committed(((t.key.platform, t.key.user, t.owed) for t in turns), last_id, now)
        return [1 if turn.version == UNREADABLE_VERSION else turn.version + 1 for turn in turns]


async def _schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"schema version {current} is newer than this program's {SCHEMA_VERSION}")
    return current


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        current = await _schema_version(conn)  # again, inside the transaction: no race
        for statements in MIGRATIONS[current:]:
            for statement in statements:
                await conn.execute(statement)
        if current != SCHEMA_VERSION:
            # PRAGMA takes no parameters; SCHEMA_VERSION is an int constant.
            await conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
