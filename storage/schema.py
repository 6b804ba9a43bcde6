"""The schema, as numbered migrations applied by ``PRAGMA user_version``.

Rules:
- Migration N brings the file from user_version N-1 to N; all pending migrations run in one
  ``BEGIN IMMEDIATE`` transaction, so a crash leaves the file at the old or the new version.
- Migrations are append-only: never edit one that has shipped, add the next.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: sessions and answers
    (
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            user TEXT NOT NULL,
            dialog TEXT NOT NULL,
            phase TEXT NOT NULL,
            position INTEGER NOT NULL,
            turn INTEGER NOT NULL,
            misses INTEGER NOT NULL,
            version INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (platform, chat, user, dialog)
        )
        """,
        "CREATE INDEX sessions_by_user ON sessions (platform, user)",
        """
        CREATE TABLE answers (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            distinction TEXT NOT NULL,
            choice TEXT,
            turn INTEGER NOT NULL,
            answered_at REAL NOT NULL,
            PRIMARY KEY (session_id, distinction)
        ) WITHOUT ROWID
        """,
    ),
    # 2: workshops (one row per workshop; at most one active per chat) and their votes
    (
        """
        CREATE TABLE workshops (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            number INTEGER NOT NULL,
            dialog TEXT NOT NULL,
            facilitator TEXT NOT NULL,
            phase TEXT NOT NULL,
            position INTEGER NOT NULL,
            message TEXT,
            version INTEGER NOT NULL,
            opened_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (platform, chat, number)
        )
        """,
        """
        CREATE UNIQUE INDEX workshops_one_active ON workshops (platform, chat)
         WHERE phase IN ('asking', 'revealed')
        """,
        """
        CREATE TABLE workshop_votes (
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            distinction TEXT NOT NULL,
            member TEXT NOT NULL,
            choice TEXT NOT NULL,
            voted_at REAL NOT NULL,
            PRIMARY KEY (workshop_id, distinction, member)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX workshop_votes_by_member ON workshop_votes (member)",
    ),
    # 3: what typed words were read as while the person is asked to confirm it
    ("ALTER TABLE sessions ADD COLUMN pending TEXT",),
    # 4: the counsellor's tools: the key of the export's pseudonyms (made once, never
    # shown), and indexes for erasing what has been untouched for too long
    (
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
        "CREATE INDEX sessions_by_age ON sessions (updated_at)",
        "CREATE INDEX workshops_by_age ON workshops (updated_at)",
    ),
    # 5: sessions by ids, not positions: the stored index goes (where a person is follows
    # from their answers), /back's question is kept by id, and each session names the
    # content it was written against; the structures those names stand for are kept, so
    # an edited dialog can be compared with what a session saw.
    (
        "ALTER TABLE sessions DROP COLUMN position",
        "ALTER TABLE sessions ADD COLUMN revisit TEXT",
        "ALTER TABLE sessions ADD COLUMN content_version INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN content_hash TEXT NOT NULL DEFAULT ''",
        """
        CREATE TABLE dialog_structures (
            hash TEXT PRIMARY KEY,
            dialog TEXT NOT NULL,
            version INTEGER NOT NULL,
            structure TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    ),
    # 6: workshops by ids too: the current question's id, the ones asked before it, and the
    # content the workshop was written against (``position`` stays: it names the round)
    (
        "ALTER TABLE workshops ADD COLUMN distinction TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE workshops ADD COLUMN done TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE workshops ADD COLUMN content_version INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE workshops ADD COLUMN content_hash TEXT NOT NULL DEFAULT ''",
    ),
    # 7: the outbox, replies owed to a chat (in ``id`` order), written with the turn
    (
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at REAL NOT NULL
        )
        """,
        "CREATE INDEX outbox_by_chat ON outbox (platform, chat, id)",
    ),
    # 8: the language a person chose (/language), one per person and platform
    (
        """
        CREATE TABLE languages (
            platform TEXT NOT NULL,
            user TEXT NOT NULL,
            language TEXT NOT NULL,
            chosen_at REAL NOT NULL,
            PRIMARY KEY (platform, user)
        ) WITHOUT ROWID
        """,
    ),
    # 9: the language a workshop speaks (its facilitator's, or the one /workshop named);
    # '' is the default language
    ("ALTER TABLE workshops ADD COLUMN language TEXT NOT NULL DEFAULT ''",),
    # 10: whom an owed reply is for ('' for a group's workshop posts), so /forget erases it,
    # and the name under which its delivery is noted; receipts, the platform's reference to
    # a message a delivered row sent, by that name (a workshop's question post, which later
    # edits refer to), taking over workshops.message
    (
        "ALTER TABLE outbox ADD COLUMN user TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE outbox ADD COLUMN receipt TEXT",
        """
        CREATE TABLE receipts (
            platform TEXT NOT NULL,
            name TEXT NOT NULL,
            reference TEXT NOT NULL,
            noted_at REAL NOT NULL,
            PRIMARY KEY (platform, name)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO receipts (platform, name, reference, noted_at)
        SELECT platform, 'workshop ' || chat || ' ' || number || ' ' || distinction, message, updated_at
          FROM workshops WHERE message IS NOT NULL
        """,
    ),
    # 11: the outbox's ids are never reused (AUTOINCREMENT): without it an emptied outbox
    # hands a new reply the id of one a sender still holds in memory after /forget or
    # retention erased it, which the sender would then take for still owed, and remove
    (
        """
        CREATE TABLE outbox_once (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            platform TEXT NOT NULL,
            chat TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at REAL NOT NULL,
            user TEXT NOT NULL DEFAULT '',
            receipt TEXT
        )
        """,
        """
        INSERT INTO outbox_once (id, platform, chat, payload, created_at, user, receipt)
        SELECT id, platform, chat, payload, created_at, user, receipt FROM outbox
        """,
        "DROP TABLE outbox",
        "ALTER TABLE outbox_once RENAME TO outbox",
        "CREATE INDEX outbox_by_chat ON outbox (platform, chat, id)",
    ),
    # 12: an owed reply that is a courtesy (1: an edit of an older message, sent only when
    # there is room, see ``bot.outbox``) or needed (0)
    ("ALTER TABLE outbox ADD COLUMN courtesy INTEGER NOT NULL DEFAULT 0",),
)

SCHEMA_VERSION = len(MIGRATIONS)
