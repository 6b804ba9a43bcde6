"""The PostgreSQL schema, as numbered migrations recorded in ``careerbot_schema``.

Rules:
- Migration N brings the database from version N-1 to N. All pending migrations run in one
  transaction that first takes an advisory lock, so two processes starting together
  migrate once, and a crash leaves the database at the old or the new version.
- Migrations are append-only: never edit one that has shipped, add the next.
- Migration 1 is the SQLite schema as it stands at SQLite version 8, in PostgreSQL's types
  (``user`` is a reserved word here, so it is quoted), plus the outbox's lease: the process
  that claims a chat's owed replies (``lease_owner``) and until when (``lease_until``).
- A database whose version is newer than this program's is refused, untouched.
"""

from __future__ import annotations

from typing import Any

from storage.sessions import StorageError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: everything SQLite has at its version 8, and the outbox's lease
    (
        """
        CREATE TABLE sessions (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            "user" TEXT NOT NULL,
            dialog TEXT NOT NULL,
            phase TEXT NOT NULL,
            turn INTEGER NOT NULL,
            misses INTEGER NOT NULL,
            pending TEXT,
            revisit TEXT,
            content_version INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            UNIQUE (platform, chat, "user", dialog)
        )
        """,
        'CREATE INDEX sessions_by_user ON sessions (platform, "user")',
        "CREATE INDEX sessions_by_age ON sessions (updated_at)",
        """
        CREATE TABLE answers (
            session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            distinction TEXT NOT NULL,
            choice TEXT,
            turn INTEGER NOT NULL,
            answered_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (session_id, distinction)
        )
        """,
        """
        CREATE TABLE workshops (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            number INTEGER NOT NULL,
            dialog TEXT NOT NULL,
            facilitator TEXT NOT NULL,
            phase TEXT NOT NULL,
            position INTEGER NOT NULL,
            message TEXT,
            distinction TEXT NOT NULL DEFAULT '',
            done TEXT NOT NULL DEFAULT '[]',
            content_version INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL,
            opened_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            UNIQUE (platform, chat, number)
        )
        """,
        """
        CREATE UNIQUE INDEX workshops_one_active ON workshops (platform, chat)
         WHERE phase IN ('asking', 'revealed')
        """,
        "CREATE INDEX workshops_by_age ON workshops (updated_at)",
        """
        CREATE TABLE workshop_votes (
            workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            distinction TEXT NOT NULL,
            member TEXT NOT NULL,
            choice TEXT NOT NULL,
            voted_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (workshop_id, distinction, member)
        )
        """,
        "CREATE INDEX workshop_votes_by_member ON workshop_votes (member)",
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
        """
        CREATE TABLE dialog_structures (
            hash TEXT PRIMARY KEY,
            dialog TEXT NOT NULL,
            version INTEGER NOT NULL,
            structure TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE outbox (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            lease_owner TEXT,
            lease_until DOUBLE PRECISION
        )
        """,
        "CREATE INDEX outbox_by_chat ON outbox (platform, chat, id)",
        """
        CREATE TABLE languages (
            platform TEXT NOT NULL,
            "user" TEXT NOT NULL,
            language TEXT NOT NULL,
            chosen_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, "user")
        )
        """,
    ),
    # 2: as SQLite's 9, the language a workshop speaks ('' is the default language)
    ("ALTER TABLE workshops ADD COLUMN language TEXT NOT NULL DEFAULT ''",),
    # 3: as SQLite's 10, whom an owed reply is for, and receipts (taking over workshops.message)
    (
        """ALTER TABLE outbox ADD COLUMN "user" TEXT NOT NULL DEFAULT ''""",
        "ALTER TABLE outbox ADD COLUMN receipt TEXT",
        """
        CREATE TABLE receipts (
            platform TEXT NOT NULL,
            name TEXT NOT NULL,
            reference TEXT NOT NULL,
            noted_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, name)
        )
        """,
        """
        INSERT INTO receipts (platform, name, reference, noted_at)
        SELECT platform, 'workshop ' || chat || ' ' || number || ' ' || distinction, message, updated_at
          FROM workshops WHERE message IS NOT NULL
        """,
    ),
    # 4: as SQLite's 12, whether an owed reply is a courtesy (sent only when there is room)
    ("ALTER TABLE outbox ADD COLUMN courtesy BOOLEAN NOT NULL DEFAULT false",),
)

SCHEMA_VERSION = len(MIGRATIONS)

# Any constant number: it only has to differ from other programs' advisory locks.
_MIGRATION_LOCK = 0x63617265  # "care"
_LOCK = "SELECT pg_advisory_xact_lock($1)"
_CREATE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS careerbot_schema (version INTEGER NOT NULL)"
_READ_VERSION = "SELECT coalesce(max(version), 0) FROM careerbot_schema"
_SET_VERSION = "DELETE FROM careerbot_schema; INSERT INTO careerbot_schema (version) VALUES ({version})"


async def migrate(conn: Any) -> None:
    """Bring the database to ``SCHEMA_VERSION`` in one transaction, or refuse a newer one."""
    async with conn.transaction():
        await conn.execute(_LOCK, _MIGRATION_LOCK)
        await conn.execute(_CREATE_VERSION_TABLE)
        current = int(await conn.fetchval(_READ_VERSION))
        if current > SCHEMA_VERSION:
            raise StorageError(f"schema version {current} is newer than this program's {SCHEMA_VERSION}")
        for statements in MIGRATIONS[current:]:
            for statement in statements:
                await conn.execute(statement)
        if current != SCHEMA_VERSION:
            # An int constant, formatted: a multi-statement execute takes no parameters.
            await conn.execute(_SET_VERSION.format(version=SCHEMA_VERSION))
