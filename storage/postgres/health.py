"""A read-only look at a PostgreSQL database for ``careerbot health``: it answers, and its
schema is this program's version. It reads one row and changes nothing (no migration)."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

from storage.postgres.schema import SCHEMA_VERSION
from storage.postgres.sessions import _reason, describe

_VERSION = "SELECT coalesce(max(version), 0) FROM careerbot_schema"


async def problem(uri: str, timeout: float = 5.0) -> str | None:
    """What is wrong with the database at ``uri``, in one line without its password, or None."""
    where = describe(uri)
    try:
        conn = await asyncpg.connect(uri, timeout=timeout)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, ValueError) as exc:
        return f"the database {where} cannot be reached: {_reason(exc, uri)}"
    try:
        version = int(await conn.fetchval(_VERSION))
    except asyncpg.UndefinedTableError:
        return f"the database {where} has no careerbot schema yet, expected the bot to have created it"
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        return f"the database {where} cannot be read: {_reason(exc, uri)}"
    finally:
        await conn.close()
    if version != SCHEMA_VERSION:
        return f"the database {where} has schema version {version}, expected {SCHEMA_VERSION}"
    return None
