"""Updates in: one that cannot be read does not block polling, one sent twice counts once.

Rules:
- python-telegram-bot reads a whole getUpdates answer at once. One update it cannot parse
  (a malformed one, or a shape a newer Bot API sends) raises; its Updater then asks for the
  same offset again, gets the same answer, and polling stops for everyone, with a CRITICAL
  line (holding the raw update) per attempt.
- ``SkippingBot.get_updates`` then reads that answer again, one update at a time: every
  update that can be read is handled as usual; one that cannot is logged once, by its id
  and the error (never its content, which is a person's message), and stands as an empty
  ``Update`` with its id, so the offset moves past it and no handler sees it.
- The usual path costs nothing extra: the second read happens only after a failure. PTB's
  own CRITICAL line for that failure is dropped (``_ParseFailureFilter``), as ours says it.
- Network and API errors are not parse failures: they are raised as before, for the
  Updater to retry.
- Telegram may deliver an update again (a webhook retried after a slow answer, a poll
  whose confirmation was lost). ``Once`` remembers the ids of the last ``RECENT`` updates
  and stops any it has seen before all other handlers (handler group -1), quietly.
"""

from __future__ import annotations

import logging
import warnings
from collections import deque
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, ExtBot
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)
# PTB's line for a getUpdates answer it could not parse (telegram/_bot.py, get_updates).
_PTB_PARSE_FAILURE = "Error while parsing updates!"
# How many update ids ``Once`` remembers: far more than a getUpdates answer holds (100).
RECENT = 1000


class _ParseFailureFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_PTB_PARSE_FAILURE)


class SkippingBot(ExtBot[None]):
    """PTB's bot, whose getUpdates skips an update it cannot read instead of failing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not any(isinstance(f, _ParseFailureFilter) for f in self._LOGGER.filters):
            self._LOGGER.addFilter(_ParseFailureFilter())

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        try:
            return await super().get_updates(offset, limit, timeout, allowed_updates, **kwargs)
        except TelegramError:
            raise
        except Exception:  # PTB raises whatever its parsing hit (TypeError, KeyError, ...)
            pass
        # Telegram keeps unconfirmed updates, so the same offset gives the same answer, now.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # "use get_updates": that failed
            raw = await self.do_api_request(
                "getUpdates", {"offset": offset, "limit": limit, "allowed_updates": allowed_updates}
            )
        return tuple(self._read(data) for data in raw)

    def _read(self, data: dict[str, Any]) -> Update:
        try:
            update = Update.de_json(data, self)
        except Exception as exc:
            log.warning(
                "Telegram update %s could not be read and is skipped: %s: %s",
                data.get("update_id"),
                type(exc).__name__,
                exc,
            )
            return Update(int(data["update_id"]))
        self.insert_callback_data(update)
        return update


class Once:
    """A handler (``TypeHandler(Update, once.check)``, group -1) that lets each update id
    through once among the last ``RECENT``."""

    def __init__(self, size: int = RECENT) -> None:
        self._order: deque[int] = deque()
        self._seen: set[int] = set()
        self._size = size

    async def check(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.update_id in self._seen:
            log.debug("Telegram update %s arrived again and is ignored", update.update_id)
            raise ApplicationHandlerStop
        self._seen.add(update.update_id)
        self._order.append(update.update_id)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
