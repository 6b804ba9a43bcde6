"""How fast the bot sends to Telegram: PTB's ``AIORateLimiter``, with two changes.

Rules:
- Telegram takes about 30 messages a second from a bot. Messages are spaced evenly at that
  rate: ``AIORateLimiter``'s default is a bucket of 30 refilled at 30 a second, which after a
  quiet moment lets up to 60 through within one second; Telegram answers the excess with
  429 and ``AIORateLimiter`` then pauses every call for the ``retry_after``.
- A call that names no chat (``answerCallbackQuery``, the end of a button's spinner; also
  ``getMe``, ``setMyCommands``) is not a message: it goes out at once, outside the spacing
  and never held behind a 429 pause of messages, so a press is acknowledged right after
  its turn commits however busy sending is. A 429 on it surfaces as ``RetryAfter`` to its
  caller, which logs it.
- Per group (20 a minute) and the retries after a 429 are ``AIORateLimiter``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

MESSAGES_PER_SECOND = 30  # Telegram's limit for one bot, all chats together
GROUP_MESSAGES_PER_MINUTE = 20

Result = bool | dict[str, Any] | list[dict[str, Any]]


class TelegramRateLimiter(AIORateLimiter):
    def __init__(
        self,
        max_retries: int,
        per_second: float = MESSAGES_PER_SECOND,
        group_per_minute: float = GROUP_MESSAGES_PER_MINUTE,
    ) -> None:
        # One message every 1/per_second seconds: a bucket of one, so never a burst.
        super().__init__(
            overall_max_rate=1,
            overall_time_period=1 / per_second,
            group_max_rate=group_per_minute,
            group_time_period=60,
            max_retries=max_retries,
        )

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        if data.get("chat_id") is None:
            return await callback(*args, **kwargs)  # not a message: see the module rules
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
