"""How workshop replies look in a Telegram group, and the data their buttons carry.

Rules:
- Pure: replies in, ``Outgoing`` messages out; no network, no state.
- Text comes from ``bot.workshop_render`` in Telegram HTML (content and names escaped there
  or by ``view``); button labels from ``dialogs.messages.TELEGRAM_WORKSHOP_BUTTONS``.
- A ``VoteQuestion`` gets one vote button per choice (``bot.buttons.VoteButton``), one row
  each since labels are sentences, then the facilitator's row: Reveal / Next. Once voting
  on it closes, the same message is shown without any buttons.
- The results of a reveal (the tally and the difference) are one message, so a reveal
  costs one message of the group's allowance; while they are the newest thing to act on
  they carry a Next / End row.
- Steering buttons (``SteerButton``) name the action, the workshop number and the position
  of the question they were posted with: ``1:tw:<action>:<number>:<position>``. A press is
  acted on only while that workshop is at that position, so an old Reveal or Next can
  never advance a later question. Anyone may press; the engine decides who may steer.
- The member-profile deep link is ``t.me/<bot>?start=ws-<chat>-<number>``: the chat id's
  minus sign is written ``m`` (payloads allow only ``A-Za-z0-9_-``; at most 64 characters).
  The facilitator's report link is the same with ``wr-``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.buttons import VERSION, VoteButton, encode
from bot.render import TELEGRAM_HTML
from bot.telegram.keyboards import Button, Keyboard, button, keyboard, link_button
from bot.telegram.view import Outgoing, split
from bot.workshop_render import workshop_reply_text
from dialogs.i18n import messages
from dialogs.replies import Difference, MemberProfileOffer, Tally, VoteQuestion, WorkshopReply

REVEAL, NEXT, END, REPLACE, KEEP = "reveal", "next", "end", "replace", "keep"
ACTIONS = frozenset({REVEAL, NEXT, END, REPLACE, KEEP})
_STEER_KIND = "tw"
_STEER = re.compile(rf"^{VERSION}:{_STEER_KIND}:([a-z]+):(\d{{1,12}}):(\d{{1,6}})$")
PAYLOAD_PREFIX = "ws-"
REPORT_PREFIX = "wr-"
_PAYLOAD = re.compile(r"^(ws|wr)-(m?)(\d{1,20})-(\d{1,12})$")


@dataclass(frozen=True, slots=True)
class SteerButton:
    """A facilitator's button: what to do, for which workshop and question position."""

    action: str
    workshop: int
    position: int

    def encode(self) -> str:
        return f"{VERSION}:{_STEER_KIND}:{self.action}:{self.workshop}:{self.position}"


def decode_steer(data: object) -> SteerButton | None:
    match = _STEER.match(data) if isinstance(data, str) else None
    if match is None or match[1] not in ACTIONS:
        return None
    return SteerButton(match[1], int(match[2]), int(match[3]))


def is_steer(data: object) -> bool:
    return decode_steer(data) is not None


def profile_payload(chat_id: int, number: int, prefix: str = PAYLOAD_PREFIX) -> str:
    """The /start payload that opens a member's own profile of workshop ``number`` (with
    ``REPORT_PREFIX``: that workshop's report, for its facilitator)."""
    sign = "m" if chat_id < 0 else ""
    return f"{prefix}{sign}{abs(chat_id)}-{number}"


def read_payload(payload: str, prefix: str = PAYLOAD_PREFIX) -> tuple[int, int] | None:
    """(chat id, workshop number) from a payload of ``prefix``; None when it is not one."""
    match = _PAYLOAD.match(payload)
    if match is None or f"{match[1]}-" != prefix:
        return None
    chat = int(match[3])
    return (-chat if match[2] else chat), int(match[4])


def _button(action: str, workshop: int, position: int) -> Button:
    return button(
        messages.TELEGRAM_WORKSHOP_BUTTONS[action], SteerButton(action, workshop, position).encode()
    )


def question_message(question: VoteQuestion, open_: bool = True) -> Outgoing:
    """The public question: vote buttons and the facilitator's row while ``open_``."""
    text = workshop_reply_text(question, TELEGRAM_HTML)
    if not open_:
        return Outgoing(text)
    position = question.progress.position - 1
    rows = [
        [button(choice.label, encode(VoteButton(question.workshop, question.distinction, choice.id)))]
        for choice in question.choices
    ]
    rows.append([_button(REVEAL, question.workshop, position), _button(NEXT, question.workshop, position)])
    return Outgoing(text, keyboard(rows))


def results_messages(
    tally: Tally, difference: Difference | None, steer_at: tuple[int, int] | None
) -> list[Outgoing]:
    """A reveal's tally and explanation; ``steer_at`` (workshop, position) adds Next / End."""
    parts = [workshop_reply_text(tally, TELEGRAM_HTML)]
    if difference is not None:
        parts.append(workshop_reply_text(difference, TELEGRAM_HTML))
    markup: Keyboard | None = None
    if steer_at is not None:
        number, position = steer_at
        markup = keyboard([[_button(NEXT, number, position), _button(END, number, position)]])
    return split("\n\n".join(parts), markup)


def running_prompt(text: str, addressee: str, workshop: int, position: int) -> Outgoing:
    """'A workshop is running: end it?' with the two answers as buttons."""
    markup = keyboard([[_button(REPLACE, workshop, position)], [_button(KEEP, workshop, position)]])
    return Outgoing(f"{addressee}\n{TELEGRAM_HTML.escape(text)}", markup)


def profile_offer(offer: MemberProfileOffer, chat_id: int, bot_username: str) -> Outgoing:
    """The end-of-workshop offer, with a deep-link button into a private chat with the bot."""
    link = f"https://t.me/{bot_username}?start={profile_payload(chat_id, offer.workshop)}"
    profile = link_button(messages.TELEGRAM_WORKSHOP_BUTTONS["profile"], link)
    return Outgoing(TELEGRAM_HTML.escape(offer.text), keyboard([[profile]]))


def report_link(addressee: str, number: int, chat_id: int, bot_username: str) -> Outgoing:
    """In the group: the facilitator's button into a private chat, where the report waits."""
    link = f"https://t.me/{bot_username}?start={profile_payload(chat_id, number, REPORT_PREFIX)}"
    text = TELEGRAM_HTML.escape(messages.REPORT_LINK.format(number=number))
    button = link_button(messages.REPORT_LINK_BUTTON, link)
    return Outgoing(f"{addressee}\n{text}", keyboard([[button]]))


def reply_messages(reply: WorkshopReply, addressee: str | None = None) -> list[Outgoing]:
    """Any other workshop reply as plain messages (intro, notices, profiles)."""
    text = workshop_reply_text(reply, TELEGRAM_HTML)
    return split(text if addressee is None else f"{addressee}\n{text}", None)
