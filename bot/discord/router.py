"""Turn interactions into conversation turns and their replies into Discord messages.

Rules:
- Acknowledge first: a defer (or a modal, or an instant ephemeral reply) goes out before
  any database work, so Discord's 3 seconds are always met.
- A session is keyed ("discord", channel id, user id); a DM is its own channel.
- In a server, replies are ephemeral unless the adapter is public (``DISCORD_EPHEMERAL``);
  in a DM they are ordinary messages.
- A button carries its owner. Anyone else pressing it gets a private "this is <owner>'s
  session" and nothing is recorded; the owner's stale press records nothing either (the
  engine shows the current question instead).
- A press that leads to new buttons takes the buttons off the pressed message (and shows
  the recorded answer there), so only the current question has live buttons.
- A turn's replies are not sent here: they are rendered into interaction responses
  (``courier``) and committed with the turn, and the outbox sender (``bot.outbox``)
  delivers them, in order per channel, retried through outages, resumed after a restart.
  Our own messages (the /forget question and its outcome, /mydata, the language buttons)
  are owed the same way, after a defer, so they keep their place in that order.
- A free answer from the modal carries the turn of the question it was opened for; the
  engine records it only if that is still the current turn, else shows the current question.
- ``/career forget`` erases the person's conversations, their workshop votes and the
  replies still owed to them;
  ``/career mydata`` shows all of it first (always privately in a server), with the same
  two buttons.
- Whatever happens, ``on_done(interaction id)`` is called once the interaction is handled.
- An interaction Discord delivers twice is acknowledged the first time only: the second
  acknowledgement is refused (40060), and that copy ends quietly, without an apology.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import discord

from bot import pictures
from bot.buttons import (
    FORGET_NO,
    FORGET_YES,
    AnswerButton,
    CommandButton,
    ConfirmButton,
    language_button,
    language_of,
)
from bot.conversations import Conversations, Render, Turn
from bot.discord import courier
from bot.discord.components import CommandItem, OwnWordsModal
from bot.discord.custom_ids import OwnWords
from bot.discord.layout import Outgoing, lay_out, messages_of, on_discord, text_of
from bot.discord.respond import NO_PINGS
from bot.language import hint, own_name
from bot.mydata import mydata_for
from bot.outbox import Sender
from bot.render import DISCORD_MARKDOWN
from bot.workshops import Workshops
from dialogs.events import Back, Choose, Confirm, Event, FreeText, Restart, Resume, Skip, Summary, Why
from dialogs.i18n import messages
from dialogs.replies import Action, Answered, Reply
from storage.keys import SessionKey
from storage.outbox import Owed

PLATFORM = "discord"
ACTION_EVENTS: dict[str, Event] = {
    Action.RESUME.value: Resume(),
    Action.RESTART.value: Restart(),
    Action.BACK.value: Back(),
    Action.SKIP.value: Skip(),
    Action.WHY.value: Why(),
    Action.SUMMARY.value: Summary(),
}

_log = logging.getLogger(__name__)
# Discord's error code for a second response to one interaction.
ALREADY_ACKNOWLEDGED = 40060


def session_key(interaction: discord.Interaction[Any]) -> SessionKey:
    return SessionKey(PLATFORM, str(interaction.channel_id), str(interaction.user.id))


class Router:
    def __init__(
        self,
        conversations: Conversations,
        workshops: Workshops,
        sender: Sender,
        *,
        ephemeral_in_guilds: bool,
        clock: Callable[[], float] = time.time,
        on_done: Callable[[int], None] = lambda _id: None,
    ) -> None:
        self.conversations = conversations
        self.workshops = workshops
        self.sender = sender
        self.ephemeral_in_guilds = ephemeral_in_guilds
        self.clock = clock
        self.on_done = on_done

    def ephemeral(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.guild_id is not None and self.ephemeral_in_guilds

    # --- slash commands ----------------------------------------------------------------

    async def slash(self, interaction: discord.Interaction[Any], event: Event) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            ephemeral = self.ephemeral(interaction)
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            via = courier.Via.of(interaction, ephemeral)
            render = _renderer(via, str(interaction.user.id), placeholder=True)
            await self._turn(interaction, event, render)

    async def language(self, interaction: discord.Interaction[Any], language: str | None) -> None:
        """/career language: with a language, speak it from now on and show where the person
        is in it; without, a button per language."""
        async with handling(interaction, self.on_done, self.conversations):
            ephemeral = self.ephemeral(interaction)
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            via = courier.Via.of(interaction, ephemeral)
            if language is None or language not in self.conversations.languages:
                offered = _language_buttons(str(interaction.user.id), self.conversations.languages)
                await self._owe(
                    interaction, [courier.original(via, Outgoing(messages.LANGUAGE_CHOOSE, offered))]
                )
                return
            render = _renderer(via, str(interaction.user.id), placeholder=True)
            await self._turn(interaction, Resume(), render, language=language)

    async def forget_prompt(self, interaction: discord.Interaction[Any]) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            ephemeral = self.ephemeral(interaction)
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            confirm = Outgoing(messages.FORGET_CONFIRM, _forget_buttons(str(interaction.user.id)))
            await self._owe(interaction, [courier.original(courier.Via.of(interaction, ephemeral), confirm)])

    async def mydata(self, interaction: discord.Interaction[Any]) -> None:
        """Everything stored about the member, with the /forget buttons; only they see it,
        in a server even when replies are public."""
        async with handling(interaction, self.on_done, self.conversations):
            private = interaction.guild_id is not None
            await interaction.response.defer(ephemeral=private, thinking=True)
            owner = str(interaction.user.id)
            shown = await mydata_for(
                self.conversations, PLATFORM, owner, str(interaction.channel_id), DISCORD_MARKDOWN
            )
            text, buttons = shown.text, _NO_BUTTONS
            if shown.erasable:
                text = on_discord(f"{text}\n\n{DISCORD_MARKDOWN.escape(messages.MYDATA_FORGET)}")
                buttons = _forget_buttons(owner)
            via = courier.Via.of(interaction, private)
            first, *rest = messages_of(text, buttons)
            await self._owe(
                interaction, [courier.original(via, first), *(courier.followup(via, o) for o in rest)]
            )

    # --- buttons and the modal ---------------------------------------------------------

    async def answer(self, interaction: discord.Interaction[Any], data: AnswerButton) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            if await self._foreign(interaction, data.owner):
                return
            await interaction.response.defer()
            event = Choose(data.distinction, data.choice, data.turn)
            via = courier.Via.of(interaction, self.ephemeral(interaction))
            await self._turn(interaction, event, _renderer(via, data.owner, answered=data))

    async def confirm(self, interaction: discord.Interaction[Any], data: ConfirmButton) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            if await self._foreign(interaction, data.owner):
                return
            await interaction.response.defer()
            via = courier.Via.of(interaction, self.ephemeral(interaction))
            await self._turn(
                interaction, Confirm(data.yes, data.turn), _renderer(via, data.owner, strip=True)
            )

    async def command(self, interaction: discord.Interaction[Any], data: CommandButton) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            if await self._foreign(interaction, data.owner):
                return
            if data.action in (FORGET_YES, FORGET_NO):
                await interaction.response.defer()
                if data.action == FORGET_YES:
                    await self.conversations.forget(session_key(interaction))
                    await self.workshops.forget_member(PLATFORM, str(interaction.user.id))
                text = messages.FORGOTTEN if data.action == FORGET_YES else messages.FORGET_CANCELLED
                # Owed after the erasure, which took whatever was still owed to them.
                via = courier.Via.of(interaction, self.ephemeral(interaction))
                await self._owe(interaction, [courier.pressed(via, text)])
                return
            chosen = language_of(data)
            if chosen is not None and chosen in self.conversations.languages:
                await interaction.response.defer()
                via = courier.Via.of(interaction, self.ephemeral(interaction))
                await self._turn(
                    interaction, Resume(), _renderer(via, data.owner, strip=True), language=chosen
                )
                return
            event = ACTION_EVENTS.get(data.action)
            if event is None:
                await self.expired(interaction)
                return
            await interaction.response.defer()
            via = courier.Via.of(interaction, self.ephemeral(interaction))
            await self._turn(interaction, event, _renderer(via, data.owner, strip=True))

    async def own_words(self, interaction: discord.Interaction[Any], data: OwnWords) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            if await self._foreign(interaction, data.owner):
                return
            # A modal can only be the first response, so it is the acknowledgement.
            await interaction.response.send_modal(OwnWordsModal(data))

    async def modal(self, interaction: discord.Interaction[Any], data: OwnWords, text: str) -> None:
        async with handling(interaction, self.on_done, self.conversations):
            if await self._foreign(interaction, data.owner):
                return
            ephemeral = self.ephemeral(interaction)
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            # The form's turn travels with the words, so the engine judges staleness under
            # the session's lock: an answer cannot land on a question it was not meant for.
            via = courier.Via.of(interaction, ephemeral)
            render = _renderer(via, data.owner, placeholder=True)
            await self._turn(interaction, FreeText(text, data.turn), render)

    async def expired(self, interaction: discord.Interaction[Any]) -> None:
        """A component whose custom_id none of our formats parses (an older version's)."""
        async with handling(interaction, self.on_done, self.conversations):
            if not interaction.response.is_done():
                await interaction.response.send_message(messages.DISCORD_EXPIRED_BUTTON, ephemeral=True)

    async def failed(self, interaction: discord.Interaction[Any]) -> None:
        """A slash command discord.py could not run (say, one Discord still lists but we dropped)."""
        async with handling(interaction, self.on_done, self.conversations):
            await apologise(interaction)

    # --- helpers -----------------------------------------------------------------------

    async def _foreign(self, interaction: discord.Interaction[Any], owner: str) -> bool:
        if str(interaction.user.id) == owner:
            return False
        text = messages.DISCORD_FOREIGN_BUTTON.format(owner=f"<@{owner}>")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        return True

    async def _turn(
        self, interaction: discord.Interaction[Any], event: Event, render: Render, language: str | None = None
    ) -> None:
        """Run one turn (``language``: choosing it, which resumes) whose replies ``render``
        makes into responses owed to the channel (the ordering key ``_renderer`` uses),
        then deliver them."""
        key = session_key(interaction)
        if language is None:
            turn: Turn = await self.conversations.handle(key, event, render)
        else:
            turn = await self.conversations.choose_language(key, language, render)
        if turn.saved:
            self.sender.wake(_channel(interaction))
        else:  # nothing could be stored, not even the reply saying so: send it once, now
            await self.sender.deliver_now(turn.owed)

    async def _owe(self, interaction: discord.Interaction[Any], calls: list[courier.Call]) -> None:
        """Owe ``calls`` (our own messages, not a turn's) to the interaction's channel after
        whatever it is owed already, on behalf of its person, whose /forget erases them."""
        channel = _channel(interaction)
        await self.conversations.store.owe(session_key(interaction), courier.owed(channel, calls))
        self.sender.wake(channel)


def _channel(interaction: discord.Interaction[Any]) -> str:
    return str(interaction.channel_id or 0)


def _renderer(
    via: courier.Via,
    owner: str,
    *,
    placeholder: bool = False,
    answered: AnswerButton | None = None,
    strip: bool = False,
) -> Render:
    """How a turn's replies become responses to ``via``'s interaction. ``placeholder``: the
    first replaces the "thinking" defer; ``answered``: the pressed question shows the answer
    when it was recorded; ``strip``: the pressed message loses its buttons when new ones come."""

    async def render(replies: tuple[Reply, ...]) -> tuple[Owed, ...]:
        calls: list[courier.Call] = []
        strip_pressed = strip
        if answered is not None:
            first = replies[0] if replies else None
            recorded = isinstance(first, Answered) and (first.distinction, first.turn) == (
                answered.distinction,
                answered.turn,
            )
            if recorded:
                # The pressed question now shows the answer given, without buttons.
                calls.append(courier.pressed(via, text_of(replies[0])))
                replies = replies[1:]
            strip_pressed = not recorded
        outgoing = lay_out(replies, owner)
        if strip_pressed and any(out.buttons for out in outgoing):
            calls.append(courier.pressed(via, None))
        for n, out in enumerate(outgoing):
            calls.append(courier.original(via, out) if placeholder and n == 0 else courier.followup(via, out))
        for reply in replies:
            chart = pictures.owed_chart(reply)
            if chart is not None:
                calls.append(courier.picture(via, chart))
        return courier.owed(str(via.channel), calls)  # the same key as ``_channel``

    return render


_NO_BUTTONS: tuple[discord.ui.Item[Any], ...] = ()


def _language_buttons(owner: str, languages: tuple[str, ...]) -> tuple[discord.ui.Item[Any], ...]:
    return tuple(CommandItem(language_button(owner, code), own_name(code)) for code in languages)


def _forget_buttons(owner: str) -> tuple[discord.ui.Item[Any], ...]:
    return (
        CommandItem(
            CommandButton(owner, FORGET_YES), messages.DISCORD_FORGET_YES, style=discord.ButtonStyle.danger
        ),
        CommandItem(CommandButton(owner, FORGET_NO), messages.DISCORD_FORGET_NO),
    )


@asynccontextmanager
async def handling(
    interaction: discord.Interaction[Any],
    on_done: Callable[[int], None],
    conversations: Conversations | None = None,
) -> AsyncIterator[None]:
    """Wrap the handling of one interaction: an unexpected error is logged and the person
    gets an apology instead of "This interaction failed"; ``on_done(id)`` runs in any case.
    Everything inside speaks the person's language: their choice (with ``conversations``),
    else their Discord client's (``interaction.locale``), else the default."""
    hint(interaction.locale.value)
    try:
        if conversations is not None:
            await conversations.speak_to(SessionKey(PLATFORM, "", str(interaction.user.id)))
        yield
    except discord.HTTPException as exc:
        if exc.code == ALREADY_ACKNOWLEDGED:
            # The same interaction delivered again: its first copy answered the person.
            _log.debug("Discord interaction %s arrived again and is ignored", interaction.id)
        else:
            _log.exception("failed to handle a Discord interaction (%s)", interaction.type.name)
            await apologise(interaction)
    except Exception:
        _log.exception("failed to handle a Discord interaction (%s)", interaction.type.name)
        await apologise(interaction)
    finally:
        on_done(interaction.id)


async def apologise(interaction: discord.Interaction[Any]) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(messages.DISCORD_FAILED, ephemeral=True)
        else:
            await interaction.response.send_message(messages.DISCORD_FAILED, ephemeral=True)
    except discord.HTTPException:
        _log.warning("could not tell the person that their interaction failed")
