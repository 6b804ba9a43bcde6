"""A read-only look at every stored session and workshop, for ``careerbot check --db``.

Rules:
- Opens the file read-only and changes nothing (no migration, no journal mode), like
  ``storage.health``: a counsellor runs it beside the running bot, before deploying an edit.
- Rows are decoded exactly as a turn would load them (``storage.sessions.state_from_row``,
  ``storage.workshops.row_from``), damaged ones included, so the report counts what the bot
  will meet; for workshops, that is each chat's latest one.
- The file must exist and hold this program's schema; anything else raises
  ``StorageError`` with one line naming the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dialogs.content import Structure
from dialogs.workshop import WorkshopState
from storage.schema import SCHEMA_VERSION
from storage.sessions import Loaded, StorageError, read_all
from storage.workshops import read_latest


@dataclass(frozen=True, slots=True)
class Stored:
    sessions: list[Loaded]
    workshops: list[WorkshopState]  # each chat's latest (running, ended or damaged)
    structures: dict[str, Structure]  # by fingerprint


def stored(path: Path) -> Stored:
    """Every session and each chat's latest workshop stored in ``path``, and the structures
    their stamps name."""
    if not path.is_file():
        raise StorageError(f"the database {path} does not exist, expected a careerbot database")
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version != SCHEMA_VERSION:
                raise StorageError(
                    f"the database {path} has schema version {version}, expected {SCHEMA_VERSION} "
                    "(let this version of careerbot open it once first)"
                )
            sessions, structures = read_all(conn)
            return Stored(sessions, read_latest(conn), structures)
    except sqlite3.Error as exc:
        raise StorageError(f"the database {path} cannot be read: {exc}") from None
