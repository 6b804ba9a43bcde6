"""Telegram updates in, engine events out, replies shown.

Rules:
- A session is keyed by ("telegram", chat, user); inside a forum topic the chat is
  "<chat id>/<topic id>", so each member has their own session per group and per topic.
- ``/start [dialog]`` (the deep-link payload names the dialog), ``/resume``, ``/back``,
  ``/skip``, ``/restart``, ``/why``, ``/summary`` and ``/help`` become engine events.
  ``/forget`` first asks with two buttons and erases only on its owner's "yes": their
  sessions and, through ``Workshops.forget_member``, every workshop vote they cast.
  ``/mydata`` shows all of that with the same two buttons, only in the person's private
  chat: sent in a group, it goes to their private chat if they have opened one, and the
  group is told only that (or how to open one).
- In a private chat any text is an answer. In a group the bot may run with privacy mode
  on and then sees only commands addressed to it and replies to its own messages: a reply
  to the bot's message is an answer, and other chatter is never answered. Typed words
  that reply to a question carry that question's turn (read from its keyboard), so they
  are not recorded once the person has moved on past it, on this device or another.
- An unknown command gets the engine's "unknown command" reply; in a group only when it
  is addressed to this bot (``/cmd@thisbot``), since a bare one may be for another bot.
- A press is judged from its button data alone (``bot.buttons``): undecodable data gets an
  "expired" alert; another member's button gets an alert naming its owner and records
  nothing, and so does data naming the presser on a message whose keyboard names someone
  else (a modified client can send any data). Only a message whose keyboard names the
  presser is ever edited. A press that may record is answered right after its turn is
  committed (a few milliseconds), never before, and never after sending anything: the
  callback answer is an acknowledgement, and it does not wait behind replies still being
  sent. An accepted answer edits the question message to show the choice without buttons,
  and any other press takes the buttons off the pressed message; both are courtesies
  (``courier``), sent after the engine's replies and skipped at Telegram's ceiling, so
  an answer costs one message there. A press whose replies are only a brief remark (a
  button left on a question answered before) gets that remark as its callback answer's
  notification, and no message at all.
- Replies are not sent here: a turn's replies are rendered into Bot API calls
  (``courier``) and committed with the turn, and the outbox sender (``bot.outbox``)
  delivers them, in order per chat (a member's chat, or their forum topic), retried
  through outages, resumed after a restart. Our own messages (the /forget question and
  its outcome) go through the outbox too, so they keep their place in that order.
- Handlers never touch the state: everything goes through ``Conversations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, MaybeInaccessibleMessage, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import buttons, pictures
from bot.conversations import Conversations, Turn
from bot.language import hint, negotiate, own_name
from bot.mydata import mydata_for
from bot.outbox import Sender
from bot.render import TELEGRAM_HTML
from bot.telegram import courier, view
from bot.telegram.delivery import Place, answer, notify, send_private
from bot.telegram.keyboards import asked_by, forget_keyboard, language_keyboard, owner_of, turn_asked
from bot.workshops import Workshops
from dialogs.events import COMMANDS, Choose, Confirm, Event, FreeText, Start
from dialogs.i18n import messages
from dialogs.replies import Action, Answered, Reply, Text
from storage.keys import SessionKey
from storage.outbox import Owed

PLATFORM = "telegram"
FORGET = "forget"
MYDATA = "mydata"
LANGUAGE = "language"
_ACTIONS = {action.value for action in Action}
_FORGET_ACTIONS = (buttons.FORGET_YES, buttons.FORGET_NO)
_NAME_LIMIT = 64  # alerts hold 200 characters; a long name must not crowd out the rest


@dataclass(frozen=True, slots=True)
class Member:
    """One person in one chat (or topic): whose session, where to send, how to address."""

    key: SessionKey
    place: Place
    user: User
    addressee: str | None  # a mention in groups, None in a private chat


def member_of(user: User, message: MaybeInaccessibleMessage) -> Member:
    place = Place.of(message)
    chat = str(place.chat_id) if place.thread_id is None else f"{place.chat_id}/{place.thread_id}"
    addressee = None if message.chat.type == ChatType.PRIVATE else view.mention(user)
    return Member(SessionKey(PLATFORM, chat, str(user.id)), place, user, addressee)


def _not_a_vote(data: object) -> bool:
    # Workshop votes have their own handler; everything else, garbage included, is ours.
    return not (isinstance(data, str) and isinstance(buttons.decode(data), buttons.VoteButton))


def _from_bot(message: Message | None, bot_id: int) -> Message | None:
    if message is not None and message.from_user is not None and message.from_user.id == bot_id:
        return message
    return None


class Handlers:
    def __init__(self, conversations: Conversations, workshops: Workshops, sender: Sender) -> None:
        self.conversations = conversations
        self.workshops = workshops
        self.sender = sender

    def install(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        new = filters.UpdateType.MESSAGE  # edits of old messages are not new answers
        # First, for every update: speak the person's language while it is handled.
        app.add_handler(TypeHandler(Update, self.on_any_update), group=-2)
        app.add_handler(CommandHandler(list(COMMANDS), self.on_command, filters=new))
        app.add_handler(CommandHandler(LANGUAGE, self.on_language, filters=new))
        app.add_handler(CommandHandler(FORGET, self.on_forget, filters=new))
        app.add_handler(CommandHandler(MYDATA, self.on_mydata, filters=new))
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_press, pattern=_not_a_vote))

    # --- messages -----------------------------------------------------------------------

    async def on_any_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update is handled in its sender's language: their /language choice, else
        their Telegram app's (``language_code``), else the default (``bot.language``)."""
        user = update.effective_user
        if user is not None:
            hint(user.language_code)
            await self.conversations.speak_to(SessionKey(PLATFORM, "", str(user.id)))

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: a button per language; ``/language es`` chooses at once."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        member = member_of(user, message)
        wanted = context.args[0].lower() if context.args else None
        if wanted is not None:
            chosen = negotiate(wanted, self.conversations.languages)
            if chosen is not None:
                await self._turn(context, member, None, language=chosen)
                return
            known = ", ".join(self.conversations.languages)
            text = messages.LANGUAGE_UNKNOWN.format(language=wanted, known=known)
            await self._owe(member, [courier.send_message(member.place, view.plain(text, member.addressee))])
            return
        names = [(code, own_name(code)) for code in self.conversations.languages]
        choose = view.plain(messages.LANGUAGE_CHOOSE, member.addressee, language_keyboard(user.id, names))
        await self._owe(member, [courier.send_message(member.place, choose)])

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        name = message.text.split(maxsplit=1)[0][1:].partition("@")[0].lower()
        event: Event = COMMANDS[name]
        if isinstance(event, Start) and context.args:
            event = Start(context.args[0])
        await self._turn(context, member_of(user, message), event)

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        member = member_of(user, message)
        confirm = view.plain(messages.FORGET_CONFIRM, member.addressee, forget_keyboard(user.id))
        await self._owe(member, [courier.send_message(member.place, confirm)])

    async def on_mydata(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        member = member_of(user, message)
        found = await mydata_for(self.conversations, PLATFORM, str(user.id), str(user.id), TELEGRAM_HTML)
        erase = f"\n\n{TELEGRAM_HTML.escape(messages.MYDATA_FORGET)}" if found.erasable else ""
        shown = view.split(found.text + erase, forget_keyboard(user.id) if found.erasable else None)
        if message.chat.type == ChatType.PRIVATE:
            await self._owe(member, [courier.send_message(member.place, outgoing) for outgoing in shown])
            return
        # In a group only the person may see it: their private chat, if they opened one. Sent
        # at once rather than owed, because whether Telegram takes it decides the note below.
        if await send_private(context.bot, user.id, shown):
            note = messages.MYDATA_IN_PRIVATE
        else:
            note = messages.MYDATA_OPEN_PRIVATE.format(link=f"t.me/{context.bot.username}")
        await self._owe(member, [courier.send_message(member.place, view.plain(note, member.addressee))])

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        _, at, target = message.text.split(maxsplit=1)[0].partition("@")
        addressed = bool(at) and target.lower() == (context.bot.username or "").lower()
        if message.chat.type != ChatType.PRIVATE and not addressed:
            return
        await self._turn(context, member_of(user, message), FreeText(message.text))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        replied = _from_bot(message.reply_to_message, context.bot.id)
        if message.chat.type != ChatType.PRIVATE and replied is None:
            return
        # A reply to a question (or a confirmation) answers that one: if the person has
        # moved on since, on this device or another, the words are not recorded.
        turn = turn_asked(replied.reply_markup, str(user.id)) if replied is not None else None
        await self._turn(context, member_of(user, message), FreeText(message.text, turn), replied)

    # --- buttons ------------------------------------------------------------------------

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        pressed, user = query.message, query.from_user
        button = buttons.decode(query.data) if isinstance(query.data, str) else None
        if pressed is None or not isinstance(
            button, buttons.AnswerButton | buttons.CommandButton | buttons.ConfirmButton
        ):
            await answer(query, messages.BUTTON_EXPIRED)
            return
        action = button.action if isinstance(button, buttons.CommandButton) else None
        language = buttons.language_of(button) if isinstance(button, buttons.CommandButton) else None
        if language is not None and language not in self.conversations.languages:
            language = None  # a language no longer loaded: an expired button
        event = _event_of(button)
        if event is None and action not in _FORGET_ACTIONS and language is None:
            await answer(query, messages.BUTTON_EXPIRED)
            return
        # The data names whose press it is, the pressed message's keyboard whose message
        # it is: a modified client can send one member's data on another's message.
        on = owner_of(pressed.reply_markup) if isinstance(pressed, Message) else None
        if button.owner != str(user.id) or on not in (None, button.owner):
            foreign = on if button.owner == str(user.id) and on is not None else button.owner
            await answer(query, await self._foreign(context, pressed.chat.id, foreign))
            return
        member = member_of(user, pressed)
        # Only a message whose keyboard names the presser is theirs to edit.
        mine = pressed if on is not None else None
        if language is not None:
            await self._turn(context, member, None, mine, query, language=language)
        elif event is None:
            await self._forget(context, member, mine, query, yes=action == buttons.FORGET_YES)
        else:
            await self._turn(context, member, event, mine, query)

    async def _foreign(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, owner: str) -> str:
        """The alert for a press on someone else's button, naming them when Telegram can."""
        if owner.isdigit():
            try:
                found = await context.bot.get_chat_member(chat_id, int(owner))
            except TelegramError:
                pass
            else:
                return messages.FOREIGN_BUTTON.format(name=found.user.full_name[:_NAME_LIMIT])
        return messages.FOREIGN_BUTTON_UNNAMED

    async def _forget(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        member: Member,
        pressed: MaybeInaccessibleMessage | None,
        query: CallbackQuery,
        yes: bool,
    ) -> None:
        if yes:
            await self.conversations.forget(member.key)
            await self.workshops.forget_member(PLATFORM, str(member.user.id))
        await answer(query)  # only now: the press has had its effect
        outcome = view.plain(messages.FORGOTTEN if yes else messages.FORGET_CANCELLED, member.addressee)
        if pressed is None:
            call = courier.send_message(member.place, outcome)
        else:
            call = courier.edit_message(pressed.chat.id, pressed.message_id, outcome, member.place)
        await self._owe(member, [call])

    async def _owe(self, member: Member, calls: list[courier.Call]) -> None:
        """Owe ``calls`` to the member's chat, after whatever it is owed already."""
        await self.conversations.store.owe(member.key, courier.owed(member.key.chat, calls))
        self.sender.wake(member.key.chat)

    # --- one turn -----------------------------------------------------------------------

    async def _turn(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        member: Member,
        event: Event | None,
        shown: MaybeInaccessibleMessage | None = None,
        query: CallbackQuery | None = None,
        language: str | None = None,
    ) -> None:
        """Run one turn; its replies are committed with it and sent by the outbox.
        ``shown`` is the bot's message the person acted on (pressed, or replied to), which
        may hold the question just answered. ``query`` is the press that caused the turn:
        it is answered only once the turn is committed, because the answer tells the person
        their press counted, and at once, before any reply is sent. With ``language`` (and no
        event) the turn keeps that language as the person's and shows where they are in it."""

        async def render(replies: tuple[Reply, ...]) -> tuple[Owed, ...]:
            calls = _calls(member, replies, shown, pressed=query is not None)
            return courier.owed(member.key.chat, calls)

        if event is None:
            assert language is not None
            turn = await self.conversations.choose_language(member.key, language, render)
        else:
            turn = await self.conversations.handle(member.key, event, render)
        if query is not None:
            remark = _in_passing(turn.replies)
            await (answer(query) if remark is None else notify(query, remark))
        await self._deliver(member, turn)

    async def _deliver(self, member: Member, turn: Turn) -> None:
        if turn.saved:
            self.sender.wake(member.key.chat)
        else:  # nothing could be stored, not even the reply saying so: send it once, now
            await self.sender.deliver_now(turn.owed)


def _calls(
    member: Member, replies: tuple[Reply, ...], shown: MaybeInaccessibleMessage | None, pressed: bool
) -> list[courier.Call]:
    """The Bot API calls that show ``replies`` to ``member``."""
    if pressed and _in_passing(replies) is not None:
        return []  # the press's notification says it all
    calls: list[courier.Call] = []
    recorded = any(isinstance(reply, Answered) for reply in replies)
    if pressed and shown is not None and not recorded:
        calls.append(courier.clear_keyboard(shown.chat.id, shown.message_id))
    held: list[Reply] = []  # replies that go out at the head of the next one (``view.together``)
    for index, reply in enumerate(replies):
        if isinstance(reply, Answered) and shown is not None and _asks(shown, member, reply):
            marked = view.answered(reply, member.addressee)
            calls.append(courier.mark_answered(shown.chat.id, shown.message_id, marked))
            continue
        if index + 1 < len(replies) and view.together(reply, replies[index + 1]):
            held.append(reply)
            continue
        if isinstance(reply, Answered):  # nothing follows to carry it: a message of its own
            calls.append(courier.send_message(member.place, view.answered(reply, member.addressee)))
            continue
        for message in view.outgoing(reply, member.user.id, member.addressee, after=tuple(held)):
            calls.append(courier.send_message(member.place, message))
        held = []
        chart = pictures.owed_chart(reply)
        if chart is not None:
            calls.append(courier.send_photo(member.place, chart))
    return calls


def _in_passing(replies: tuple[Reply, ...]) -> str | None:
    """The remark a press's replies amount to, when they are only brief ones (``Text.brief``)."""
    if replies and all(isinstance(reply, Text) and reply.brief for reply in replies):
        return "\n".join(reply.text for reply in replies if isinstance(reply, Text))
    return None


def _event_of(button: buttons.AnswerButton | buttons.CommandButton | buttons.ConfirmButton) -> Event | None:
    """The engine event a button stands for; None for the /forget buttons (and unknown ones)."""
    if isinstance(button, buttons.AnswerButton):
        return Choose(button.distinction, button.choice, button.turn)
    if isinstance(button, buttons.ConfirmButton):
        return Confirm(button.yes, button.turn)
    return COMMANDS[button.action] if button.action in _ACTIONS else None


def _asks(message: MaybeInaccessibleMessage, member: Member, reply: Answered) -> bool:
    """Whether ``message`` is this member's question that ``reply`` just answered."""
    asked = asked_by(message.reply_markup) if isinstance(message, Message) else None
    return (
        asked is not None
        and asked.owner == str(member.user.id)
        and asked.distinction == reply.distinction
        and asked.turn == reply.turn
    )
