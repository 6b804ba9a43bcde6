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
  message the outbox noted when it delivered the question post (``Workshops.message``), so
  it works after a restart.
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

from telegram import Bot, CallbackQuery, MaybeInaccessibleMessage, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import buttons
from bot.coalesce import TELEGRAM_GROUP_INTERVAL, Coalescer
from bot.language import negotiate
from bot.locks import KeyedLocks
from bot.outbox import Sender, noted
from bot.telegram import courier, view, workshop_view
from bot.telegram.delivery import (
    Place,
    answer,
    edit_by_id,
    notify,
    send_document,
    send_photo,
    send_private,
)
from bot.telegram.view import Outgoing
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
from dialogs.workshop import WorkshopPhase, WorkshopState, WorkshopStep, current_of, vote_question
from storage.contract import TallyCounts
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import Owed

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
        sender: Sender,
        interval: float = TELEGRAM_GROUP_INTERVAL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.workshops = workshops
        self.bot = bot
        self.sender = sender
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
            await self._owe(place, user, [view.plain(messages.TELEGRAM_WORKSHOP_PRIVATE)])
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
            await self._owe(place, user, [view.plain(messages.TELEGRAM_WORKSHOP_BAD_LINK)])
            return
        chat_id, number = target
        admin = await self._is_admin(chat_id, user.id)
        report = await self.workshops.report(key_of(chat_id), number, str(user.id), admin)
        if report is None:
            await self._owe(place, user, [view.plain(messages.REPORT_NOT_YOURS)])
            return
        await self._send_report(user.id, report)

    async def on_profile_link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        place = Place.of(message)
        target = workshop_view.read_payload(context.args[0]) if context.args else None
        if target is None:
            await self._owe(place, user, [view.plain(messages.TELEGRAM_WORKSHOP_BAD_LINK)])
            return
        chat_id, number = target
        profile = await self.workshops.member_profile(key_of(chat_id), number, str(user.id))
        await self._owe(place, user, workshop_view.reply_messages(profile))

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
                place = Place.of(pressed)
                edit = courier.edit_message(pressed.chat.id, pressed.message_id, kept, place)
                await self._owe_calls(place, user, [edit])
                return
            event: WorkshopEvent
            # The replace prompt loses its buttons once a new workshop has replaced the old.
            prompt = None
            if button.action == workshop_view.REPLACE:
                event = Open(str(user.id), admin, force=True)
                prompt = pressed
            else:
                event = _STEER_EVENTS[button.action](str(user.id), admin)
            await self._steer(key, event, Place.of(pressed), user, query, prompt)

    # --- showing a facilitator's turn ---------------------------------------------------

    async def _steer(
        self,
        key: WorkshopKey,
        event: WorkshopEvent,
        place: Place,
        user: User,
        query: CallbackQuery | None = None,
        prompt: MaybeInaccessibleMessage | None = None,
    ) -> WorkshopTurn:
        """Run one facilitator event; its posts are owed with it, in the group's order. A
        press (``query``) is answered once it is committed. The caller holds the chat's lock."""
        before = await self.workshops.current(key)
        chat = courier.chat_of(place)
        mention = view.mention(user)

        def render(seen: WorkshopState, tallies: TallyCounts, result: WorkshopStep) -> tuple[Owed, ...]:
            calls = self._calls(key, seen, tallies, result, place, mention, answered=query is not None)
            if prompt is not None and result.state.number != seen.number:
                calls.insert(0, courier.clear_keyboard(prompt.chat.id, prompt.message_id))
            return courier.owed(chat, calls)

        turn = await self.workshops.handle(key, event, render)
        self.sender.wake(chat)
        person = [r.text for r in turn.replies if isinstance(r, Text) and r.audience is Audience.PERSON]
        if query is not None:
            await answer(query, person[0] if person else None)
        ended = ended_by(before, turn.state)
        if ended is not None:
            await self._report(key, ended, user, place)
        return turn

    def _calls(
        self,
        key: WorkshopKey,
        before: WorkshopState,
        tallies: TallyCounts,
        result: WorkshopStep,
        place: Place,
        mention: str,
        answered: bool,
    ) -> list[courier.Call]:
        """The Bot API calls that show a steering step to the group: the closing edit of the
        question whose voting it ended, then its replies in order. ``answered``: a refusal
        meant for the presser went in the press's answer, not the group."""
        after = result.state
        calls: list[courier.Call] = []
        if before.phase is WorkshopPhase.ASKING and _moved(before, after):
            closing = self._closing_edit(key, before, tallies)
            if closing is not None:
                calls.append(closing)
        replies = list(result.replies)
        for i, reply in enumerate(replies):
            outgoing: list[Outgoing] = []
            if isinstance(reply, VoteQuestion):
                post = courier.send_message(place, workshop_view.question_message(reply))
                calls.append(noted(post, key.question_post(reply.workshop, reply.distinction)))
            elif isinstance(reply, Tally):
                following = replies[i + 1] if i + 1 < len(replies) else None
                difference = following if isinstance(following, Difference) else None
                steer_at = (after.number, after.position) if after.phase is WorkshopPhase.REVEALED else None
                outgoing = workshop_view.results_messages(reply, difference, steer_at)
            elif isinstance(reply, Difference):
                if i == 0 or not isinstance(replies[i - 1], Tally):
                    outgoing = workshop_view.reply_messages(reply)
            elif isinstance(reply, MemberProfileOffer):
                outgoing = [workshop_view.profile_offer(reply, int(key.chat), self.bot.username)]
            elif isinstance(reply, WorkshopRunning):
                outgoing = [
                    workshop_view.running_prompt(reply.text, mention, reply.workshop, before.position)
                ]
            elif isinstance(reply, Text) and reply.audience is Audience.PERSON:
                if not answered:
                    outgoing = [view.plain(reply.text, mention)]
            elif isinstance(reply, Text) and reply.audience is Audience.FACILITATOR:
                outgoing = [view.plain(reply.text, mention)]
            elif not isinstance(reply, VoteRecorded | VoteCount):
                outgoing = workshop_view.reply_messages(reply)
            calls.extend(courier.send_message(place, message) for message in outgoing)
        return calls

    def _closing_edit(
        self, key: WorkshopKey, state: WorkshopState, tallies: TallyCounts
    ) -> courier.Call | None:
        """The edit that shows ``state``'s question with its final count and no buttons."""
        dialog = self._dialog_of(state)
        distinction = current_of(dialog, state) if dialog is not None else None
        if dialog is None or distinction is None:
            return None
        voters = sum(tallies.get(distinction.id, {}).values())
        shown = workshop_view.question_message(vote_question(dialog, state, voters), open_=False)
        return courier.edit_noted(int(key.chat), key.question_post(state.number, distinction.id), shown)

    async def _report(self, key: WorkshopKey, number: int, user: User, place: Place) -> None:
        """The report of a workshop ``user`` just ended, in their private chat; if they never
        opened one, a button in the group takes them there (``on_report_link``)."""
        report = await self.workshops.report(key, number)
        if report is None:
            return
        if not await self._send_report(user.id, report):
            link = workshop_view.report_link(view.mention(user), number, int(key.chat), self.bot.username)
            await self._owe(place, user, [link])

    async def _send_report(self, user_id: int, report: WorkshopReport) -> bool:
        # Sent at once rather than owed: whether Telegram takes it (has the person opened a
        # private chat with the bot?) decides whether the group gets the link instead.
        if not await send_private(self.bot, user_id, [view.plain(report.text)]):
            return False
        await send_photo(self.bot, Place(user_id), report.png)
        await send_document(self.bot, Place(user_id), report.csv.encode(), report.csv_name)
        return True

    async def _owe(self, place: Place, user: User, outgoing: list[Outgoing]) -> None:
        """Owe ``outgoing`` to ``place`` on behalf of ``user`` (a one-off answer to them)."""
        await self._owe_calls(place, user, [courier.send_message(place, message) for message in outgoing])

    async def _owe_calls(self, place: Place, user: User, calls: list[courier.Call]) -> None:
        chat = courier.chat_of(place)
        key = SessionKey(PLATFORM, chat, str(user.id))
        await self.workshops.store.sessions.owe(key, courier.owed(chat, calls))
        self.sender.wake(chat)

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
            # Best effort, sent at once: a count shown late is worth nothing. Until the outbox
            # has delivered the question post, no id is noted for it and nothing is edited.
            reference = await self.workshops.message(key, state.number, count.distinction)
            if reference is None or not reference.isdigit():
                return
            voters = await self.workshops.voters(key, state.number, count.distinction)
            shown = workshop_view.question_message(vote_question(dialog, state, voters))
            await edit_by_id(self.bot, int(key.chat), int(reference), shown)

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
