"""Workshops in Telegram groups: commands and buttons in, the group's messages out.

Rules:
- A workshop is keyed by ("telegram", chat id): one per group, forum topics included;
  its messages go where the command or button that caused them was.
- Commands: ``/workshop [dialog] [language]`` opens one (the sender becomes its
  facilitator; it speaks the language named, else the facilitator's);
  ``/reveal``, ``/next`` and ``/endworkshop`` steer it. In a private chat they are
  refused politely. The facilitator can also steer with buttons: Reveal / Next under the
  question, Next / End under the results. Anyone may press them; the engine lets only
  the facilitator or a group admin act (admin: ``getChatMember`` says administrator or
  creator, asked only when the sender is not the facilitator) and anyone else gets the
  refusal as a callback alert.
- A second ``/workshop`` while one runs asks, with buttons, whether to end the first
  (``Open(force=True)``) or keep it. Steering buttons act only while their workshop is at
  the question they were posted with; an old one gets a "stale" alert and does nothing.
- A vote press is answered with the member's private confirmation as the callback's
  notification text (a refusal as an alert); nothing is posted in the group. The public
  question shows only the count, refreshed through a ``Coalescer`` (at most one edit per
  ``interval`` per group, the last count always shown) from the count in SQLite, at the
  message remembered with ``Workshops.remember_message`` so it works after a restart.
- When voting on a question closes (reveal, next, end, replaced), its message is edited
  once more: the final count, no buttons. Steering and count edits of one group hold one
  lock, so a late count edit can never put the buttons back on a closed question.
- The person who ended a workshop (its facilitator, or an admin) gets its report
  (``bot.workshop_report``) in their private chat with the bot: the text, the chart as a
  photo, the CSV as a file. Telegram lets a bot write only to people who have opened a
  private chat with it; for anyone else the group gets a button ``t.me/<bot>?start=wr-...``
  that opens one, where ``/start`` with that payload sends the report, to the workshop's
  facilitator or a group admin only.
- At the end every member gets a deep-link button ``t.me/<bot>?start=ws-...``; ``/start``
  with that payload in a private chat shows their own profile (``Workshops.member_profile``),
  built from their own votes only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, CallbackQuery, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import buttons
from bot.coalesce import TELEGRAM_GROUP_INTERVAL, Coalescer
from bot.language import negotiate
from bot.locks import KeyedLocks
from bot.telegram import view, workshop_view
from bot.telegram.delivery import (
    Place,
    answer,
    clear_keyboard,
    edit,
    edit_by_id,
    notify,
    send,
    send_document,
    send_photo,
    send_private,
)
from bot.workshop_report import WorkshopReport, ended_by
from bot.workshops import Workshops, WorkshopTurn
from dialogs.content import Dialog
from dialogs.events import End, Next, Open, Reveal, Vote, WorkshopEvent
from dialogs.i18n import messages
from dialogs.replies import (
    Audience,
    Difference,
    MemberProfileOffer,
    Tally,
    Text,
    VoteCount,
    VoteQuestion,
    VoteRecorded,
    WorkshopRunning,
)
from dialogs.workshop import WorkshopPhase, WorkshopState, current_of, vote_question
from storage.keys import WorkshopKey

PLATFORM = "telegram"
OPEN = "workshop"
STEER_COMMANDS: dict[str, type[Reveal | Next | End]] = {"reveal": Reveal, "next": Next, "endworkshop": End}
COMMANDS = (OPEN, *STEER_COMMANDS)
_STEER_EVENTS: dict[str, type[Reveal | Next | End]] = {
    workshop_view.REVEAL: Reveal,
    workshop_view.NEXT: Next,
    workshop_view.END: End,
}
_ADMINS = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
_PROFILE_LINK = rf"^/start(@\w+)?\s+{workshop_view.PAYLOAD_PREFIX}"
_REPORT_LINK = rf"^/start(@\w+)?\s+{workshop_view.REPORT_PREFIX}"

App = Application[Any, Any, Any, Any, Any, Any]


def key_of(chat_id: int) -> WorkshopKey:
    return WorkshopKey(PLATFORM, str(chat_id))


def _is_vote(data: object) -> bool:
    return isinstance(data, str) and isinstance(buttons.decode(data), buttons.VoteButton)


class WorkshopHandlers:
    """Install before the conversation handlers: its commands and buttons come first."""

    def __init__(
        self,
        workshops: Workshops,
        bot: Bot,
        interval: float = TELEGRAM_GROUP_INTERVAL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.workshops = workshops
        self.bot = bot
        self.counts: Coalescer[WorkshopKey, VoteCount] = Coalescer(self._refresh, interval, sleep)
        self._locks = KeyedLocks()

    def install(self, app: App) -> None:
        new = filters.UpdateType.MESSAGE
        link = new & filters.ChatType.PRIVATE & filters.Regex(_PROFILE_LINK)
        app.add_handler(CommandHandler("start", self.on_profile_link, filters=link))
        report = new & filters.ChatType.PRIVATE & filters.Regex(_REPORT_LINK)
        app.add_handler(CommandHandler("start", self.on_report_link, filters=report))
        app.add_handler(CommandHandler(list(COMMANDS), self.on_command, filters=new))
        app.add_handler(CallbackQueryHandler(self.on_vote, pattern=_is_vote))
        app.add_handler(CallbackQueryHandler(self.on_steer, pattern=workshop_view.is_steer))

    # --- commands -----------------------------------------------------------------------

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        place = Place.of(message)
        if message.chat.type == ChatType.PRIVATE:
            await send(context.bot, place, view.plain(messages.TELEGRAM_WORKSHOP_PRIVATE))
            return
        name = message.text.split(maxsplit=1)[0][1:].partition("@")[0].lower()
        key = key_of(message.chat.id)
        async with self._locks.hold(key):
            admin = await self._admin(key, message.chat.id, user.id)
            event: WorkshopEvent
            if name == OPEN:
                dialog, language = _dialog_and_language(context.args or [], self.workshops)
                event = Open(str(user.id), admin, dialog, language=language)
            else:
                event = STEER_COMMANDS[name](str(user.id), admin)
            await self._steer(key, event, place, user)

    async def on_report_link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/start wr-...`` in a private chat: the report, for its facilitator or a group admin."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        place = Place.of(message)
        target = (
            workshop_view.read_payload(context.args[0], workshop_view.REPORT_PREFIX) if context.args else None
        )
        if target is None:
            await send(context.bot, place, view.plain(messages.TELEGRAM_WORKSHOP_BAD_LINK))
            return
        chat_id, number = target
        admin = await self._is_admin(chat_id, user.id)
        report = await self.workshops.report(key_of(chat_id), number, str(user.id), admin)
        if report is None:
            await send(context.bot, place, view.plain(messages.REPORT_NOT_YOURS))
            return
        await self._send_report(user.id, report)

    async def on_profile_link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        place = Place.of(message)
        target = workshop_view.read_payload(context.args[0]) if context.args else None
        if target is None:
            await send(context.bot, place, view.plain(messages.TELEGRAM_WORKSHOP_BAD_LINK))
            return
        chat_id, number = target
        profile = await self.workshops.member_profile(key_of(chat_id), number, str(user.id))
        for outgoing in workshop_view.reply_messages(profile):
            await send(context.bot, place, outgoing)

    # --- buttons ------------------------------------------------------------------------

    async def on_vote(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        button = buttons.decode(query.data) if isinstance(query.data, str) else None
        if query.message is None or not isinstance(button, buttons.VoteButton):
            await answer(query, messages.BUTTON_EXPIRED)
            return
        key = key_of(query.message.chat.id)
        vote = Vote(str(query.from_user.id), button.workshop, button.distinction, button.choice)
        turn = await self.workshops.vote(key, vote)
        said: str | None = None
        for reply in turn.replies:
            if isinstance(reply, VoteCount):
                self.counts.notify(key, reply)
            elif isinstance(reply, VoteRecorded):
                await notify(query, reply.text)
                said = reply.text
            elif said is None and isinstance(reply, Text):
                await answer(query, reply.text)
                said = reply.text
        if said is None:
            await answer(query)

    async def on_steer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        button = workshop_view.decode_steer(query.data)
        pressed, user = query.message, query.from_user
        if pressed is None or button is None:
            await answer(query, messages.BUTTON_EXPIRED)
            return
        key = key_of(pressed.chat.id)
        async with self._locks.hold(key):
            state = await self.workshops.current(key)
            if not _live(button, state):
                await answer(query, messages.TELEGRAM_WORKSHOP_STALE_BUTTON)
                return
            admin = await self._admin(key, pressed.chat.id, user.id)
            if button.action == workshop_view.KEEP:
                if not (admin or state.facilitator == str(user.id)):
                    await answer(query, messages.WORKSHOP_ONLY_STEERER)
                    return
                await answer(query)
                kept = view.plain(messages.TELEGRAM_WORKSHOP_KEPT, view.mention(user))
                if not await edit(self.bot, pressed, kept):
                    await send(self.bot, Place.of(pressed), kept)
                return
            event: WorkshopEvent
            if button.action == workshop_view.REPLACE:
                event = Open(str(user.id), admin, force=True)
            else:
                event = _STEER_EVENTS[button.action](str(user.id), admin)
            turn = await self._steer(key, event, Place.of(pressed), user, query)
            if button.action == workshop_view.REPLACE and turn.state.number != state.number:
                await clear_keyboard(self.bot, pressed)

    # --- showing a facilitator's turn ---------------------------------------------------

    async def _steer(
        self,
        key: WorkshopKey,
        event: WorkshopEvent,
        place: Place,
        user: User,
        query: CallbackQuery | None = None,
    ) -> WorkshopTurn:
        """Run one facilitator event and show it; the caller holds the chat's lock."""
        before = await self.workshops.current(key)
        turn = await self.workshops.handle(key, event)
        after = turn.state
        person = [r.text for r in turn.replies if isinstance(r, Text) and r.audience is Audience.PERSON]
        if query is not None:
            await answer(query, person[0] if person else None)
        if before.phase is WorkshopPhase.ASKING and _moved(before, after):
            await self._show_question(key, before, open_=False)
        mention = view.mention(user)
        replies = list(turn.replies)
        for i, reply in enumerate(replies):
            if isinstance(reply, VoteQuestion):
                sent = await send(self.bot, place, workshop_view.question_message(reply))
                await self.workshops.remember_message(key, reply.workshop, str(sent))
            elif isinstance(reply, Tally):
                following = replies[i + 1] if i + 1 < len(replies) else None
                difference = following if isinstance(following, Difference) else None
                steer_at = (after.number, after.position) if after.phase is WorkshopPhase.REVEALED else None
                for outgoing in workshop_view.results_messages(reply, difference, steer_at):
                    await send(self.bot, place, outgoing)
            elif isinstance(reply, Difference):
                if i == 0 or not isinstance(replies[i - 1], Tally):
                    for outgoing in workshop_view.reply_messages(reply):
                        await send(self.bot, place, outgoing)
            elif isinstance(reply, MemberProfileOffer):
                await send(
                    self.bot, place, workshop_view.profile_offer(reply, int(key.chat), self.bot.username)
                )
            elif isinstance(reply, WorkshopRunning):
                prompt = workshop_view.running_prompt(reply.text, mention, reply.workshop, before.position)
                await send(self.bot, place, prompt)
            elif isinstance(reply, Text) and reply.audience is Audience.PERSON:
                if query is None:
                    await send(self.bot, place, view.plain(reply.text, mention))
            elif isinstance(reply, Text) and reply.audience is Audience.FACILITATOR:
                await send(self.bot, place, view.plain(reply.text, mention))
            elif not isinstance(reply, VoteRecorded | VoteCount):
                for outgoing in workshop_view.reply_messages(reply):
                    await send(self.bot, place, outgoing)
        ended = ended_by(before, after)
        if ended is not None:
            await self._report(key, ended, user, place)
        return turn

    async def _report(self, key: WorkshopKey, number: int, user: User, place: Place) -> None:
        """The report of a workshop ``user`` just ended, in their private chat; if they never
        opened one, a button in the group takes them there (``on_report_link``)."""
        report = await self.workshops.report(key, number)
        if report is None:
            return
        if not await self._send_report(user.id, report):
            link = workshop_view.report_link(view.mention(user), number, int(key.chat), self.bot.username)
            await send(self.bot, place, link)

    async def _send_report(self, user_id: int, report: WorkshopReport) -> bool:
        if not await send_private(self.bot, user_id, [view.plain(report.text)]):
            return False
        await send_photo(self.bot, Place(user_id), report.png)
        await send_document(self.bot, Place(user_id), report.csv.encode(), report.csv_name)
        return True

    async def _show_question(self, key: WorkshopKey, state: WorkshopState, open_: bool) -> None:
        """Edit the remembered question message of ``state`` to show its current count."""
        dialog = self._dialog_of(state)
        reference = await self.workshops.message(key, state.number)
        if dialog is None or reference is None or not reference.isdigit():
            return
        distinction = current_of(dialog, state)
        if distinction is None:
            return
        voters = await self.workshops.voters(key, state.number, distinction.id)
        shown = workshop_view.question_message(vote_question(dialog, state, voters), open_)
        await edit_by_id(self.bot, int(key.chat), int(reference), shown)

    async def _refresh(self, key: WorkshopKey, count: VoteCount) -> None:
        """The coalescer's callback: show the stored count while the question takes votes."""
        async with self._locks.hold(key):
            state = await self.workshops.current(key)
            dialog = self._dialog_of(state)
            if (
                dialog is None
                or state.phase is not WorkshopPhase.ASKING
                or state.number != count.workshop
                or state.distinction != count.distinction
            ):
                return
            await self._show_question(key, state, open_=True)

    def _dialog_of(self, state: WorkshopState) -> Dialog | None:
        dialog = self.workshops.dialog_of(state)
        if dialog is None or current_of(dialog, state) is None:
            return None
        return dialog

    async def _admin(self, key: WorkshopKey, chat_id: int, user_id: int) -> bool:
        """Whether Telegram says the sender is a group admin; asked only when it matters:
        a workshop is running and the sender is not its facilitator."""
        state = await self.workshops.current(key)
        if not state.active or state.facilitator == str(user_id):
            return False
        return await self._is_admin(chat_id, user_id)

    async def _is_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False
        return member.status in _ADMINS


def _live(button: workshop_view.SteerButton, state: WorkshopState) -> bool:
    """Whether a steering button still belongs to the running workshop's current question
    (the replace / keep prompt: to the running workshop)."""
    if not state.active or button.workshop != state.number:
        return False
    return button.action in (workshop_view.REPLACE, workshop_view.KEEP) or button.position == state.position


def _moved(before: WorkshopState, after: WorkshopState) -> bool:
    return (before.number, before.position, before.phase) != (after.number, after.position, after.phase)


def _dialog_and_language(words: list[str], workshops: Workshops) -> tuple[str | None, str | None]:
    """``/workshop [dialog] [language]``: a word that names a loaded language (and no
    dialog) is the language; any other word is the dialog (an unknown one is answered)."""
    dialog = language = None
    for word in words[:2]:
        spoken = negotiate(word, workshops.languages) if word not in workshops.dialogs else None
        if spoken is not None and language is None:
            language = spoken
        elif dialog is None:
            dialog = word
    return dialog, language
