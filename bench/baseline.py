"""The baseline: the conversation the way python-telegram-bot's documentation teaches it.

A ``ConversationHandler`` (one state per question, ``CallbackQueryHandler`` per state,
``persistent=True``) with ``PicklePersistence`` at its defaults, answers kept in
``context.user_data``. Each answer makes the same Bot API calls as our adapter:
``answerCallbackQuery``, ``editMessageText`` (the question, marked with the answer),
``sendMessage`` (the explanation) and ``sendMessage`` (the next question, or the profile).
The words come from the same content file, so messages are the same size.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bench.fakeapi import TOKEN
from dialogs.content import Dialog, Distinction

CONVERSATION = "job_vs_career"


def _question(distinction: Distinction, position: int, total: int) -> tuple[str, InlineKeyboardMarkup]:
    keyboard = [[InlineKeyboardButton(c.label, callback_data=c.id)] for c in distinction.choices]
    text = f"{distinction.title}  {position + 1}/{total}\n{distinction.question}"
    return text, InlineKeyboardMarkup(keyboard)


def conversation(dialog: Dialog) -> ConversationHandler[Any]:
    """The ``ConversationHandler``: state n waits for the answer to question n."""
    total = dialog.total

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["answers"] = {}
        await update.message.reply_text(dialog.intro)
        text, markup = _question(dialog.distinctions[0], 0, total)
        await update.message.reply_text(text, reply_markup=markup)
        return 0

    def answer_in(position: int) -> Any:
        distinction = dialog.distinctions[position]

        async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            query = update.callback_query
            assert query is not None and query.data is not None and context.user_data is not None
            chat_id = update.effective_chat.id if update.effective_chat else 0
            await query.answer()
            choice = distinction.choice(query.data)
            if choice is None:
                return position
            context.user_data.setdefault("answers", {})[distinction.id] = choice.id
            await query.edit_message_text(f"{distinction.question}\n✓ {choice.label}")
            explained = f"{choice.reflection}\n\n{distinction.title}: {distinction.explain[choice.leans]}"
            await context.bot.send_message(chat_id, explained)
            if position + 1 < total:
                text, markup = _question(dialog.distinctions[position + 1], position + 1, total)
                await context.bot.send_message(chat_id, text, reply_markup=markup)
                return position + 1
            answers = context.user_data["answers"]
            lines = [f"• {d.title}: {answers.get(d.id, '-')}" for d in dialog.distinctions]
            await context.bot.send_message(chat_id, dialog.outro.heading + "\n" + "\n".join(lines))
            return ConversationHandler.END

        return answer

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        return ConversationHandler.END

    with warnings.catch_warnings():
        # PTB warns that per_message=False does not track callback queries per message;
        # per-user tracking is what this conversation wants (and what the docs' examples use).
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={p: [CallbackQueryHandler(answer_in(p))] for p in range(total)},
            fallbacks=[CommandHandler("cancel", cancel)],
            name=CONVERSATION,
            persistent=True,
        )


def build_baseline(
    dialog: Dialog, pickle_path: Path, request: BaseRequest, get_updates_request: BaseRequest
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The baseline ``Application``, built as the docs show (defaults everywhere else)."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(get_updates_request)
        .persistence(PicklePersistence(filepath=pickle_path))
        .build()
    )
    application.add_handler(conversation(dialog))
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
