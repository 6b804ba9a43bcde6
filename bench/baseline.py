"""The baseline: the conversation the way python-telegram-bot's documentation teaches it.

A ``ConversationHandler`` (one state per question, a ``CallbackQueryHandler`` per state,
``persistent=True``) with ``PicklePersistence`` at its defaults, answers kept in
``context.user_data``. Each answer makes the same Bot API calls as our adapter:
``answerCallbackQuery``, ``editMessageText`` (the question, marked with the answer),
``sendMessage`` (the explanation) and ``sendMessage`` (the next question, or the profile).
The words come from the same content file.

Two payload styles:
- ``same_payloads=True`` (the comparison): messages shaped like ours, so both sides send
  requests of the same size: HTML with bold titles and a progress bar, link previews off,
  button data naming owner, question, choice and turn, and the row of Back/Skip/Why
  buttons (sent for parity; the simulated people never press them, so no handler).
- ``same_payloads=False``: the docs' plain style (plain text, the choice id as data).
"""

from __future__ import annotations

import html
import warnings
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    PicklePersistence,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bench.fakeapi import TOKEN
from dialogs.content import Dialog, Distinction

CONVERSATION = "job_vs_career"
# PicklePersistence's own default: it writes what changed every 60 seconds.
DEFAULT_UPDATE_INTERVAL = 60.0


class Style:
    """How messages and buttons look: ours (``same``) or the docs' plain style."""

    def __init__(self, same: bool) -> None:
        self.same = same

    def bold(self, text: str) -> str:
        return f"<b>{html.escape(text, quote=False)}</b>" if self.same else text

    def text(self, text: str) -> str:
        return html.escape(text, quote=False) if self.same else text

    def answer_data(self, uid: int, distinction: Distinction, choice: str, turn: int) -> str:
        return f"1:a:{uid}:{distinction.id}:{choice}:{turn}" if self.same else choice

    def choice_of(self, data: str) -> str:
        return data.split(":")[4] if self.same else data

    def question(
        self, uid: int, distinction: Distinction, position: int, total: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        keyboard = [
            [
                InlineKeyboardButton(
                    c.label, callback_data=self.answer_data(uid, distinction, c.id, position + 1)
                )
            ]
            for c in distinction.choices
        ]
        progress = f"{position + 1}/{total}"
        if self.same:
            progress += " " + "▰" * position + "▱" * (total - position)
            actions = [("◀ Back", "back")] if position else []
            actions += [("Skip ▶", "skip"), ("Why?", "why")]
            keyboard.append([InlineKeyboardButton(t, callback_data=f"1:c:{uid}:{a}") for t, a in actions])
        text = f"{self.bold(distinction.title)}  {progress}\n{self.text(distinction.question)}"
        return text, InlineKeyboardMarkup(keyboard)


def conversation(dialog: Dialog, style: Style) -> ConversationHandler[Any]:
    """The ``ConversationHandler``: state n waits for the answer to question n."""
    total = dialog.total

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        uid = update.effective_user.id if update.effective_user else 0
        context.user_data["answers"] = {}
        await update.message.reply_text(style.text(dialog.intro))
        text, markup = style.question(uid, dialog.distinctions[0], 0, total)
        await update.message.reply_text(text, reply_markup=markup)
        return 0

    def answer_in(position: int) -> Any:
        distinction = dialog.distinctions[position]

        async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            query = update.callback_query
            assert query is not None and query.data is not None and context.user_data is not None
            chat_id = update.effective_chat.id if update.effective_chat else 0
            await query.answer()
            choice = distinction.choice(style.choice_of(query.data))
            if choice is None:
                return position
            context.user_data.setdefault("answers", {})[distinction.id] = choice.id
            await query.edit_message_text(f"{style.text(distinction.question)}\n✓ {style.bold(choice.label)}")
            explained = (
                f"{style.bold(distinction.title)}\n{style.text(distinction.explain.job)}\n"
                f"{style.text(distinction.explain.career)}\n{style.text(choice.reflection)}"
            )
            await context.bot.send_message(chat_id, explained)
            if position + 1 < total:
                text, markup = style.question(chat_id, dialog.distinctions[position + 1], position + 1, total)
                await context.bot.send_message(chat_id, text, reply_markup=markup)
                return position + 1
            answers = context.user_data["answers"]
            lines = [f"• {style.text(d.title)}: {answers.get(d.id, '-')}" for d in dialog.distinctions]
            await context.bot.send_message(
                chat_id, style.bold(dialog.outro.heading) + "\n" + "\n".join(lines)
            )
            return ConversationHandler.END

        return answer

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        return ConversationHandler.END

    pattern = r"^1:a:" if style.same else None
    with warnings.catch_warnings():
        # PTB warns that per_message=False does not track callback queries per message;
        # per-user tracking is what this conversation wants (and what the docs' examples use).
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={p: [CallbackQueryHandler(answer_in(p), pattern=pattern)] for p in range(total)},
            fallbacks=[CommandHandler("cancel", cancel)],
            name=CONVERSATION,
            persistent=True,
        )


def build_baseline(
    dialog: Dialog,
    pickle_path: Path,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    same_payloads: bool = True,
    *,
    base_url: str | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    update_interval: float = DEFAULT_UPDATE_INTERVAL,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The baseline ``Application``, built as the docs show (defaults everywhere else;
    with ``same_payloads`` also ``Defaults`` for HTML and no link previews, as ours sends).
    Without ``request``s it has PTB's own HTTP layer, talking to ``base_url``."""
    persistence = PicklePersistence(filepath=pickle_path, update_interval=update_interval)
    builder = ApplicationBuilder().token(TOKEN).persistence(persistence)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if base_url is not None:
        builder = builder.base_url(base_url)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if same_payloads:
        builder = builder.defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
    application = builder.build()
    application.add_handler(conversation(dialog, Style(same_payloads)))
    return application


def stored_answers(pickle_path: Path) -> dict[int, dict[str, str]]:
    """Answers per user id, as the pickle file on disk holds them now."""
    import pickle

    if not pickle_path.exists():
        return {}
    with pickle_path.open("rb") as f:
        data = pickle.load(f)
    user_data = data.get("user_data", {})
    return {int(uid): dict(d.get("answers", {})) for uid, d in user_data.items()}
