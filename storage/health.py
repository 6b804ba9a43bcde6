"""A read-only look at the database for ``careerbot health``.

Rules:
- Opens the file read-only and changes nothing (no migration, no journal mode): a health
  check runs beside the bot, every few seconds, and must never be the one that writes.
- Healthy means: the file exists, is SQLite, and its schema is this program's version.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.schema import SCHEMA_VERSION


def problem(path: Path) -> str | None:
    """What is wrong with the database at ``path``, in one line, or None when it is healthy."""
    if not path.is_file():
        return f"the database {path} does not exist yet, expected the bot to have created it"
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        return f"the database {path} cannot be read: {exc}"
    if version != SCHEMA_VERSION:
        return f"the database {path} has schema version {version}, expected {SCHEMA_VERSION}"
    return None
