"""The python-telegram-bot Application: built here, run here until told to stop.

Rules:
- ``build_application`` wires the handlers onto a fresh Application: the workshop ones
  (``workshop``) first, then the conversation ones (``handlers``). It takes the HTTP
  layer (``request``, ``get_updates_request``), the rate limiter and the workshop count
  refresh interval as arguments so tests and benchmarks can run it against a local Bot
  API without touching this module.
- Updates are processed concurrently, at most ``TELEGRAM_CONCURRENT_UPDATES`` at once
  (one member's turns still run in order, see ``handlers``); replies are committed to the
  outbox with their turn and delivered by the outbox sender (``bot.outbox``, with
  ``courier``) over ``TELEGRAM_CONNECTION_POOL`` connections, through ``limiter`` (PTB's
  ``AIORateLimiter``: 30 messages/s overall, evenly spaced, 20 a minute per group, a 429's
  ``retry_after`` waited out; a callback answer is not a message and never waits).
- The command menu: the personal commands everywhere (default scope), and in groups
  (all-group-chats scope) the workshop commands after them.
- ``serve`` / ``run_application``: initialise, register the command menu (setMyCommands),
  receive updates (through ``polling``: an unreadable update is skipped, a repeated one
  handled once) by long polling, or by webhook when ``TELEGRAM_WEBHOOK_URL`` is set
  (updates without the right secret token are refused with 403 by PTB's webhook server),
  and deliver what the outbox owes from before the start; run until ``stop`` is set, then
  stop taking updates, let the turns in flight commit, and stop the sender where it
  stands (what it had not delivered stays owed for the next start), so stopping takes
  moments however long the backlog; a workshop count refresh still pending then is
  dropped (the next vote after a restart refreshes it).
- The token never reaches a log line, nor does the webhook secret: they are redacted
  from the loggers that see request URLs and parameters, httpx's request log is kept at
  WARNING, and start-up errors name the setting, not its value.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, BaseRateLimiter, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot.app import Services, StartupError
from bot.coalesce import TELEGRAM_GROUP_INTERVAL, Coalescer
from bot.config import TelegramSettings
from bot.conversations import Conversations
from bot.outbox import Sender
from bot.redact import redact_loggers
from bot.telegram.courier import TelegramCourier
from bot.telegram.handlers import Handlers
from bot.telegram.http import AiohttpRequest
from bot.telegram.limiter import TelegramRateLimiter
from bot.telegram.polling import Once, SkippingBot
from bot.telegram.workshop import WorkshopHandlers
from dialogs.i18n import ENGLISH, Catalog, messages, speaking
from dialogs.replies import VoteCount
from storage.keys import WorkshopKey

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
DEFAULT_API = "https://api.telegram.org/bot"
# How long a getUpdates call may wait for news; Telegram answers earlier when there are some.
POLL_TIMEOUT = 10
# 429s in a row before a send gives up; each is waited out for as long as Telegram asks.
RATE_LIMIT_RETRIES = 8
# Where the Application keeps its workshop handlers (``workshop_counts`` reads it back)
# and its outbox sender (``sender_of``).
_WORKSHOPS = "careerbot.workshops"
_SENDER = "careerbot.sender"
_CONVERSATIONS = "careerbot.conversations"


# Loggers that see request URLs, which carry the token: PTB's bot logs its API URL at
# DEBUG when it is built, httpx logs every request URL at INFO, and asyncio reports an
# aiohttp response left unclosed with its URL.
_URL_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "httpx", "httpcore", "aiohttp.client", "asyncio")


def keep_token_out_of_logs(token: str, webhook_secret: str | None = None) -> None:
    """Redact ``token`` (and the webhook secret, which PTB logs with setWebhook's parameters
    at DEBUG) from the loggers that see URLs, and keep httpx's request log quiet."""
    redact_loggers(_URL_LOGGERS, secrets=(token, webhook_secret) if webhook_secret else (token,))
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if name.startswith("http") and logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def default_rate_limiter() -> TelegramRateLimiter:
    return TelegramRateLimiter(max_retries=RATE_LIMIT_RETRIES)


def build_application(
    services: Services,
    settings: TelegramSettings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    count_interval: float = TELEGRAM_GROUP_INTERVAL,
    count_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> App:
    """A ready-to-run Application whose handlers talk to ``services``; a workshop's public
    count is edited at most once per ``count_interval`` seconds per group (the rest between
    edits is ``count_sleep``, so a test can hold it without a clock)."""
    keep_token_out_of_logs(settings.token, settings.webhook_secret)
    # Our bot class (an unreadable update is skipped, ``polling``), on aiohttp rather than
    # PTB's httpx (``http``: the same errors, a fraction of the CPU per call). Sending (the
    # outbox sender and the callback answers) gets ``connection_pool`` connections, not
    # PTB's 256: more connections than calls in flight only cost bookkeeping. getUpdates
    # gets one connection of its own, as PTB gives it.
    bot = SkippingBot(
        settings.token,
        base_url=settings.api_base_url or DEFAULT_API,
        request=request
        if request is not None
        else AiohttpRequest(connection_pool_size=settings.connection_pool),
        get_updates_request=get_updates_request if get_updates_request is not None else AiohttpRequest(),
        rate_limiter=rate_limiter if rate_limiter is not None else default_rate_limiter(),
    )
    # At most ``concurrent_updates`` updates are handled at once; the rest wait in PTB's
    # queue, which costs nothing, where more tasks at once would only contend for the
    # database and the pool.
    app: App = Application.builder().bot(bot).concurrent_updates(settings.concurrent_updates).build()
    app.add_handler(TypeHandler(Update, Once().check), group=-1)
    courier = TelegramCourier(app.bot, services.outbox)
    sender = Sender(services.outbox, courier, services.settings.reply_ttl)
    app.bot_data[_SENDER] = sender
    workshops = WorkshopHandlers(services.workshops, app.bot, sender, count_interval, count_sleep)
    app.bot_data[_WORKSHOPS] = workshops
    workshops.install(app)
    Handlers(services.conversations, services.workshops, sender).install(app)
    app.bot_data[_CONVERSATIONS] = services.conversations
    app.add_error_handler(_log_error)
    return app


def workshop_counts(app: App) -> Coalescer[WorkshopKey, VoteCount]:
    """The coalescer of ``app``'s workshop count edits (``drain()`` waits for them)."""
    handlers: WorkshopHandlers = app.bot_data[_WORKSHOPS]
    return handlers.counts


def sender_of(app: App) -> Sender:
    """The outbox sender that delivers ``app``'s replies."""
    sender: Sender = app.bot_data[_SENDER]
    return sender


async def publish_commands(bot: Bot, conversations: Conversations | None = None) -> None:
    """Register the command menu Telegram shows beside the message box: the personal
    commands everywhere, plus the workshop commands in groups; in the default language,
    and in each other language loaded for the people whose Telegram uses it (Telegram
    takes a two-letter ``language_code``)."""
    languages: list[tuple[Catalog, str | None]] = [(ENGLISH, None)]
    if conversations is not None:
        default = conversations.default_language
        languages = [(conversations.catalog(default), None)]
        for language in conversations.languages:
            two_letters = language.split("-")[0]
            if language != default and two_letters not in {c for _, c in languages}:
                languages.append((conversations.catalog(language), two_letters))
    for catalog, code in languages:
        with speaking(catalog):
            personal = [BotCommand(name, text) for name, text in messages.TELEGRAM_COMMANDS.items()]
            workshop = [BotCommand(name, text) for name, text in messages.TELEGRAM_WORKSHOP_COMMANDS.items()]
        await bot.set_my_commands(personal, language_code=code)
        await bot.set_my_commands(
            personal + workshop, scope=BotCommandScopeAllGroupChats(), language_code=code
        )


async def run_application(app: App, settings: TelegramSettings, stop: asyncio.Event) -> None:
    """Run ``app`` until ``stop`` is set; shuts it down cleanly however it ends."""
    try:
        await app.initialize()
    except InvalidToken:
        raise StartupError("TELEGRAM_BOT_TOKEN was refused by Telegram, expected a live bot token") from None
    except NetworkError as exc:
        where = "TELEGRAM_API_BASE_URL" if settings.api_base_url else "the Telegram Bot API"
        raise StartupError(f"cannot reach {where}: {exc.message}") from None
    try:
        await publish_commands(app.bot, app.bot_data[_CONVERSATIONS])
        await sender_of(app).start()
        updater = app.updater
        assert updater is not None  # built by ApplicationBuilder unless explicitly disabled
        if settings.webhook_url:
            await updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram: webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        else:
            await updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)
            log.info("Telegram: polling for updates as @%s", app.bot.username)
        await app.start()
        try:
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
    finally:
        await sender_of(app).stop()
        if _WORKSHOPS in app.bot_data:
            await workshop_counts(app).close()
        await app.shutdown()


async def serve(services: Services, settings: TelegramSettings, stop: asyncio.Event) -> None:
    """The ``careerbot telegram`` command: run the bot until SIGINT/SIGTERM sets ``stop``."""
    await run_application(build_application(services, settings), settings, stop)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, TelegramError):
        # A Telegram error's message is Telegram's own description, never the request URL.
        log.error("Telegram update failed: %s: %s", type(error).__name__, error.message)
    else:
        log.error("Telegram update failed", exc_info=error)
