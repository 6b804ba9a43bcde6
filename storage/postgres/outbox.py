"""The outbox on PostgreSQL: owed replies that exactly one process sends, in order per chat.

Rules:
- Same contract as ``storage.outbox.OutboxStore``; rows are written by the turn's
  transaction (``PostgresStore.commit_turn``).
- Several processes share the table, so reading a chat's owed rows *claims* them: in one
  transaction that holds an advisory lock on the chat (claims of one chat never run side
  by side), the oldest rows get this process's ``lease_owner`` and a ``lease_until``, unless
  another process holds a lease on that chat that has not expired. Only the holder sends,
  so a chat's messages keep their order and nobody sends them twice while the holder lives.
- A holder that dies (a crash, SIGKILL) leaves its lease to expire (``lease`` seconds);
  then any process takes the chat over. A message accepted by the platform whose removal
  was not committed before the crash is sent once more: delivery is at least once, as on
  SQLite.
- ``owed_chats`` lists the chats that this process may claim now (no live lease of another);
  senders call it every ``sweep_every`` seconds, so a dead holder's chats are taken over.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from storage.outbox import OwedRow, Receipt

if TYPE_CHECKING:
    from storage.postgres.sessions import PostgresStore

LEASE = 60.0  # seconds a claim lasts; the holder renews it each time it reads the chat again

_LOCK_CHAT = "SELECT pg_advisory_xact_lock(hashtextextended('outbox ' || $1 || ' ' || $2, 0))"
_CLAIM = """
    UPDATE outbox SET lease_owner = $3, lease_until = $4
     WHERE id IN (SELECT id FROM outbox WHERE platform = $1 AND chat = $2 ORDER BY courtesy, id LIMIT $5)
       AND NOT EXISTS (SELECT 1 FROM outbox
                        WHERE platform = $1 AND chat = $2 AND lease_owner <> $3 AND lease_until > $6)
    RETURNING id, chat, payload, created_at, receipt, courtesy
"""
_OWED_CHATS = """
    SELECT chat FROM outbox WHERE platform = $1
     GROUP BY chat
    HAVING bool_and(lease_owner IS NULL OR lease_owner = $2 OR lease_until <= $3)
     ORDER BY min(id)
"""
_REMOVE = "DELETE FROM outbox WHERE id = $1"
_COUNT = "SELECT count(*) FROM outbox WHERE platform = $1"
NOTE_RECEIPT = """
    INSERT INTO receipts (platform, name, reference, noted_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (platform, name) DO UPDATE SET reference = excluded.reference, noted_at = excluded.noted_at
"""
RECEIPT = "SELECT reference FROM receipts WHERE platform = $1 AND name = $2"
_HOLDS = "SELECT 1 FROM outbox WHERE id = $1"


class PostgresOutbox:
    def __init__(self, store: PostgresStore, lease: float = LEASE) -> None:
        self._store = store
        self._lease = lease
        self.owner = uuid.uuid4().hex  # this process's name on its claims

    @property
    def sweep_every(self) -> float | None:
        """How often a sender looks for chats it may claim: a chat whose holder died is
        taken over within a lease and a half."""
        return self._lease / 2

    async def close(self) -> None:
        """Nothing is held in memory: every removal commits before ``remove`` returns."""

    async def owed(self, platform: str, chat: str, limit: int = 20) -> list[OwedRow]:
        """Claim and return the oldest ``limit`` messages owed to ``chat`` (the needed ones
        first, as ``storage.outbox``); none while another live process holds the chat."""
        now = self._store.clock()
        async with self._store.transaction() as conn:
            await conn.execute(_LOCK_CHAT, platform, chat)
            rows = await conn.fetch(_CLAIM, platform, chat, self.owner, now + self._lease, limit, now)
        owed = [OwedRow(int(i), str(c), str(p), float(t), r, bool(k)) for i, c, p, t, r, k in rows]
        return sorted(owed, key=lambda row: (row.courtesy, row.id))

    async def owed_chats(self, platform: str) -> list[str]:
        rows = await self._store.fetch(_OWED_CHATS, platform, self.owner, self._store.clock())
        return [str(row[0]) for row in rows]

    async def count(self, platform: str) -> int:
        rows = await self._store.fetch(_COUNT, platform)
        return int(rows[0][0])

    async def holds(self, row_id: int) -> bool:
        return bool(await self._store.fetch(_HOLDS, row_id))

    async def receipt(self, platform: str, name: str) -> str | None:
        rows = await self._store.fetch(RECEIPT, platform, name)
        return str(rows[0][0]) if rows else None

    async def remove(self, row_id: int, receipt: Receipt | None = None) -> None:
        async with self._store.transaction() as conn:
            await conn.execute(_REMOVE, row_id)
            if receipt is not None:
                r = receipt
                await conn.execute(NOTE_RECEIPT, r.platform, r.name, r.reference, self._store.clock())
