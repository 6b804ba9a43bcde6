"""Keeping data no longer than ``CAREERBOT_RETENTION_DAYS``: at start-up, then once a day.

Rules:
- ``erase_now`` erases what was last changed more than the limit ago (``storage.retention``
  says exactly what), then empties the services' caches so nothing erased is served from
  memory. It logs what it erased (counts only).
- ``daily`` runs while the service is open (``bot.app.open_service`` starts it after the
  start-up pass and cancels it on the way out). A database that is busy or full at that
  moment is logged and tried again the next day; it never stops the bot.
- The clock is injected, so a test can say what "now" is.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.conversations import Conversations
from bot.workshops import Workshops
from storage.retention import Erased
from storage.sessions import StorageError

DAY = 24 * 60 * 60
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Retention:
    conversations: Conversations
    workshops: Workshops
    days: int
    clock: Callable[[], float] = field(default=time.time)

    async def erase_now(self) -> Erased:
        erased = await self.conversations.store.erase_older_than(self.clock() - self.days * DAY)
        self.conversations.drop_cached()
        self.workshops.drop_cached()
        if erased.anything:
            log.info(
                "erased what was untouched for over %d days: "
                "%d conversations, %d answers, %d workshops, %d votes, %d owed replies",
                self.days,
                erased.sessions,
                erased.answers,
                erased.workshops,
                erased.votes,
                erased.owed,
            )
        return erased

    async def daily(self, every: float = DAY) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.erase_now()
            except (sqlite3.Error, StorageError) as exc:
                log.warning("could not erase old data this time, trying again tomorrow: %s", exc)
