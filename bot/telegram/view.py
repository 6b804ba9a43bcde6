"""How replies look in Telegram: HTML text, split to fit, with their keyboards.

Rules:
- Pure: replies in, ``Outgoing`` messages out; sending is ``delivery``'s job.
- Text is Telegram HTML from ``bot.render.TELEGRAM_HTML``; everything that came from a
  person or from content is escaped there, and a person's name is escaped here.
- A message longer than Telegram's 4096 characters (as a person sees them) is split at
  line breaks, never inside a tag or an entity (``html_split``); the keyboard goes on the
  last part, so the buttons sit under the end of the question.
- In a group every message for a member starts with a mention of that member, so the
  group can see whose question it is.
- An explanation and the question that follows it go out as one message (the
  explanation, a blank line, the question with its buttons): it reads the same, and a
  turn costs Telegram's 30 messages/s one message less. So does a typed answer shown
  as recorded ("the question ✓ the choice") and the explanation after it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import User
from telegram.constants import MessageLimit

from bot.render import TELEGRAM_HTML, answered_text, reply_text
from bot.telegram.html_split import split_html
from bot.telegram.keyboards import Keyboard, actions_keyboard, confirmation_keyboard, question_keyboard
from dialogs.replies import Answered, Confirmation, Explanation, Question, Reply, Text

MESSAGE_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str
    markup: Keyboard | None = None


def mention(user: User) -> str:
    """An HTML mention of ``user``; the name is theirs to choose, so it is escaped."""
    return f'<a href="tg://user?id={user.id}">{html.escape(user.full_name)}</a>'


def _keyboard(reply: Reply, owner: int) -> Keyboard | None:
    if isinstance(reply, Question):
        return question_keyboard(reply, owner)
    if isinstance(reply, Text):
        return actions_keyboard(reply.actions, owner)
    if isinstance(reply, Confirmation):
        return confirmation_keyboard(reply, owner)
    return None


def split(text: str, markup: Keyboard | None) -> list[Outgoing]:
    """Text over Telegram's limit becomes several messages; the keyboard goes on the last."""
    chunks = split_html(text, MESSAGE_LIMIT)
    return [Outgoing(chunk) for chunk in chunks[:-1]] + [Outgoing(chunks[-1], markup)]


def outgoing(
    reply: Reply, owner: int, addressee: str | None = None, after: tuple[Reply, ...] = ()
) -> list[Outgoing]:
    """The messages that show ``reply`` to ``owner``; ``addressee`` is a mention or None.
    ``after``: replies shown first in the same message (see ``together``)."""
    text = "\n\n".join(reply_text(shown, TELEGRAM_HTML) for shown in (*after, reply))
    if addressee is not None:
        text = f"{addressee}\n{text}"
    return split(text, _keyboard(reply, owner))


def together(first: Reply, then: Reply) -> bool:
    """Whether ``then`` is shown in the same message as ``first``, after it."""
    if isinstance(first, Answered):
        return isinstance(then, Explanation)
    return isinstance(first, Explanation) and isinstance(then, Question)


def answered(reply: Answered, addressee: str | None = None) -> Outgoing:
    """The question message as it reads once answered: the chosen answer, no buttons.
    An edit cannot be split, so an over-long one keeps its end, where the answer is."""
    text = answered_text(reply, TELEGRAM_HTML)
    if addressee is not None:
        text = f"{addressee}\n{text}"
    return Outgoing(split_html(text, MESSAGE_LIMIT)[-1])


def plain(text: str, addressee: str | None = None, markup: Keyboard | None = None) -> Outgoing:
    """One of our own messages (``dialogs.messages``), escaped like any other text."""
    body = TELEGRAM_HTML.escape(text)
    return Outgoing(body if addressee is None else f"{addressee}\n{body}", markup)
