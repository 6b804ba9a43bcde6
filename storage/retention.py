"""Erasing what has been left untouched for longer than the retention limit.

Rules:
- One transaction, holding the connection's write lock, erases everything older than the
  cut-off (a Unix time): sessions last changed before it, with their answers (a session's
  answers live and go with it: erasing some of a live conversation's answers would leave
  it pointing at questions it never saw); workshop votes cast before it; and workshops last
  changed before it that have no newer vote left (a vote does not touch its workshop's
  time, so an old workshop with a recent vote stays until that vote is old too); and
  replies owed to a chat (the outbox) since before it, which a sender has failed to
  deliver for that long. A sender holding such a row in memory may still send it; its
  removal afterwards finds nothing, which is no error. Owed rows of every kind go
  alike: a member's replies and a group's workshop posts. A language chosen before it
  goes too, and so do receipts noted before it (the reference to an old workshop
  question post: its count is no longer edited).
- "Older than" is strict: something changed exactly at the cut-off stays.
- Nothing else is touched: the pseudonym key stays, so exports keep their ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.sessions import SessionStore

_OLD_ANSWERS = """
    SELECT count(*) FROM answers
     WHERE session_id IN (SELECT id FROM sessions WHERE updated_at < ?)
"""
_ERASE_SESSIONS = "DELETE FROM sessions WHERE updated_at < ?"  # answers go with them (cascade)
_ERASE_VOTES = "DELETE FROM workshop_votes WHERE voted_at < ?"
_ERASE_OWED = "DELETE FROM outbox WHERE created_at < ?"
_ERASE_LANGUAGES = "DELETE FROM languages WHERE chosen_at < ?"
_ERASE_RECEIPTS = "DELETE FROM receipts WHERE noted_at < ?"
# After the old votes: a workshop goes once it is old and no newer vote keeps it.
_ERASE_WORKSHOPS = """
    DELETE FROM workshops
     WHERE updated_at < ?
       AND NOT EXISTS (SELECT 1 FROM workshop_votes WHERE workshop_id = workshops.id)
"""


@dataclass(frozen=True, slots=True)
class Erased:
    sessions: int = 0
    answers: int = 0
    workshops: int = 0
    votes: int = 0
    owed: int = 0  # replies owed to a chat and never delivered

    @property
    def anything(self) -> bool:
        return any((self.sessions, self.answers, self.workshops, self.votes, self.owed))


async def erase_older_than(store: SessionStore, cutoff: float) -> Erased:
    """Erase everything last changed before ``cutoff``; returns how much of each."""
    conn = store.connection
    async with store.write_lock:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            rows = await conn.execute_fetchall(_OLD_ANSWERS, (cutoff,))
            answers = next((int(r[0]) for r in rows), 0)
            sessions = (await conn.execute(_ERASE_SESSIONS, (cutoff,))).rowcount
            votes = (await conn.execute(_ERASE_VOTES, (cutoff,))).rowcount
            workshops = (await conn.execute(_ERASE_WORKSHOPS, (cutoff,))).rowcount
            owed = (await conn.execute(_ERASE_OWED, (cutoff,))).rowcount
            await conn.execute(_ERASE_LANGUAGES, (cutoff,))
            await conn.execute(_ERASE_RECEIPTS, (cutoff,))
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        store.kept.erased_before(cutoff)
    return Erased(sessions, answers, workshops, votes, owed)
