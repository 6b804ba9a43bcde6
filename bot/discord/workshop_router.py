"""Turn ``/workshop`` commands and workshop buttons into ``Workshops`` calls, and post the replies.

Rules:
- Acknowledge first (a defer, or an instant reply), before any database work, so Discord's
  3 seconds are always met.
- A workshop is keyed ("discord", channel id). Workshops run in server channels only; in a
  DM every ``/workshop`` command gets a polite refusal and nothing else happens.
- ``admin`` is the sender's Manage Server permission; the engine itself knows the facilitator
  and refuses anyone else (reveal, next, end, replacing a workshop) with a private reply.
- A facilitator's step owes everything it says in the step's own transaction
  (``Workshops.handle`` with a renderer; ``courier``), and the outbox sender delivers it
  in order per channel, through outages and restarts: the closing edit of the question
  whose votes it ended, the posts for EVERYONE, then the facilitator's private notes.
- Replies for EVERYONE are posted in the channel as the bot (the channel message endpoint),
  never through an interaction token, so the question message can be edited later with the
  bot's own authority: no token older than 15 minutes is ever used. Its id is noted as a
  receipt when the outbox posts it (``WorkshopKey.question_post``), so the count is still
  edited after a restart. PERSON and FACILITATOR replies are ephemeral.
- Whether the bot may post in the channel is read from the interaction
  (``app_permissions``) when the step is taken: if not, nothing public is owed and the
  facilitator is told so privately (the workshop still runs, so they can end it).
- A vote is answered privately (ephemeral), at once: that answer is its acknowledgement.
  Its ``VoteCount`` goes to a ``Coalescer``: the
  question message's count is edited at most once per ``interval``, never once per press.
  A refresh edits only while that question still takes votes and only the message
  remembered for it; edits of one chat's question message are serialised with the closing
  edit, so a late refresh never puts buttons back on a closed question.
- When a question's votes close (revealed, skipped past, ended, or the workshop replaced),
  its message loses its buttons; after a reveal it also shows the final count.
- Whoever ends a workshop (or replaces it) gets its report (``bot.workshop_report``) as an
  ephemeral followup, owed: the text, the chart as a PNG and the aggregate as a CSV
  attachment.
- Pending count refreshes are dropped at shutdown; the next vote refreshes the count again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.buttons import VoteButton
from bot.coalesce import DISCORD_INTERVAL, Coalescer
from bot.discord import courier
from bot.discord.custom_ids import WorkshopControl
from bot.discord.layout import MESSAGE_LIMIT, Outgoing
from bot.discord.respond import NO_PINGS
from bot.discord.router import PLATFORM, handling
from bot.discord.workshop_layout import private_notes, public_posts, question_text, workshop_text
from bot.locks import KeyedLocks
from bot.outbox import Sender, noted
from bot.render import split_message
from bot.workshop_report import ended_by
from bot.workshops import Workshops
from dialogs.events import End, Next, Open, Reveal, Vote, WorkshopEvent
from dialogs.i18n import messages
from dialogs.replies import Tally, Text, VoteCount, WorkshopReply
from dialogs.workshop import WorkshopPhase, WorkshopState, WorkshopStep, current_of, vote_question
from storage.contract import TallyCounts
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import Owed

_log = logging.getLogger(__name__)

# (user, admin, the chat's workshop before the event) -> the event
Steer = Callable[[str, bool, WorkshopState], WorkshopEvent]


def workshop_key(interaction: discord.Interaction[Any]) -> WorkshopKey:
    return WorkshopKey(PLATFORM, str(interaction.channel_id))


def message_id_of(noted: str | None) -> int | None:
    """The question message's id from its receipt (noted before receipts as
    "<distinction>:<id>", whose distinction the receipt's name now holds)."""
    message_id = (noted or "").rpartition(":")[2]
    return int(message_id) if message_id.isdigit() else None


class WorkshopRouter:
    def __init__(
        self,
        client: discord.Client,
        workshops: Workshops,
        sender: Sender,
        *,
        interval: float = DISCORD_INTERVAL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_done: Callable[[int], None] = lambda _id: None,
    ) -> None:
        self.client = client
        self.workshops = workshops
        self.sender = sender
        self.on_done = on_done
        self.coalescer: Coalescer[WorkshopKey, VoteCount] = Coalescer(self._refresh, interval, sleep)
        self._edits = KeyedLocks()

    async def close(self) -> None:
        await self.coalescer.close()

    # --- slash commands ----------------------------------------------------------------

    async def start(
        self, interaction: discord.Interaction[Any], dialog: str | None, language: str | None = None
    ) -> None:
        """Open a workshop in ``language`` (None: the facilitator's)."""
        opening = dialog or self.workshops.default_dialog

        def open_(user: str, admin: bool, _before: WorkshopState) -> WorkshopEvent:
            return Open(user, admin, dialog, language=language)

        await self._steer(interaction, open_, opening)

    async def reveal(self, interaction: discord.Interaction[Any]) -> None:
        await self._steer(interaction, _plain(Reveal), self.workshops.default_dialog)

    async def next(self, interaction: discord.Interaction[Any]) -> None:
        await self._steer(interaction, _plain(Next), self.workshops.default_dialog)

    async def end(self, interaction: discord.Interaction[Any]) -> None:
        await self._steer(interaction, _plain(End), self.workshops.default_dialog)

    # --- buttons -----------------------------------------------------------------------

    async def vote(self, interaction: discord.Interaction[Any], data: VoteButton) -> None:
        async with handling(interaction, self.on_done):
            await interaction.response.defer(ephemeral=True, thinking=True)
            key = workshop_key(interaction)
            user, admin = _sender(interaction)
            event = Vote(user, data.workshop, data.distinction, data.choice, admin)
            turn = await self.workshops.vote(key, event)
            private: list[WorkshopReply] = []
            for reply in turn.replies:
                if isinstance(reply, VoteCount):
                    self.coalescer.notify(key, reply)
                else:
                    private.append(reply)
            await self._reply_privately(interaction, private_notes(private, ""))

    async def control(self, interaction: discord.Interaction[Any], data: WorkshopControl) -> None:
        if data.kind == "wp":
            await self._member_profile(interaction, data.workshop)
        elif data.kind == "wk":
            async with handling(interaction, self.on_done):
                await interaction.response.edit_message(
                    content=messages.DISCORD_WORKSHOP_KEPT, view=None, allowed_mentions=NO_PINGS
                )
        else:

            def replace(user: str, admin: bool, before: WorkshopState) -> WorkshopEvent:
                # Force only the workshop the prompt was about; if it ended meanwhile, this
                # opens plainly, and if yet another one runs now, the engine asks again.
                force = before.active and before.number == data.workshop
                return Open(user, admin, data.dialog, force=force)

            await self._steer(interaction, replace, data.dialog, pressed=True)

    # --- internals ---------------------------------------------------------------------

    async def _steer(
        self, interaction: discord.Interaction[Any], make: Steer, dialog: str, *, pressed: bool = False
    ) -> None:
        async with handling(interaction, self.on_done):
            if interaction.guild_id is None:
                await interaction.response.send_message(messages.DISCORD_WORKSHOP_GUILD_ONLY)
                return
            if pressed:
                await interaction.response.defer()  # the pressed (private) prompt is the original
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
            key = workshop_key(interaction)
            before = await self.workshops.current(key)
            event = make(*_sender(interaction), before)
            # Decided now, from what Discord says the bot may do in this channel: the posts
            # are sent later, by the outbox, when the facilitator's note is long gone.
            can_post = interaction.app_permissions.send_messages
            via = courier.Via.of(interaction, ephemeral=True)

            def render(seen: WorkshopState, _tallies: TallyCounts, result: WorkshopStep) -> tuple[Owed, ...]:
                calls: list[courier.Call] = []
                if can_post:
                    calls += _closing(key, seen, result, self.workshops)
                    calls += _posts(key, result.replies)
                refusal = () if can_post else (Text(messages.DISCORD_WORKSHOP_CANNOT_POST),)
                notes = private_notes((*refusal, *result.replies), dialog)
                calls += _privately(via, notes or [Outgoing(messages.DISCORD_WORKSHOP_POSTED)])
                return courier.owed(key.chat, calls)

            # Under the edits' lock: a count refresh either ends before the step commits, or
            # sees the question closed and leaves it to the closing edit.
            async with self._edits.hold(key):
                turn = await self.workshops.handle(key, event, render)
            self.sender.wake(key.chat)
            ended = ended_by(before, turn.state)
            if ended is not None:
                await self._report(interaction, key, ended)

    async def _report(self, interaction: discord.Interaction[Any], key: WorkshopKey, number: int) -> None:
        """The report of the workshop this member just ended: only they see it."""
        report = await self.workshops.report(key, number)
        if report is None:
            return
        attached = [(report.png_name, report.png), (report.csv_name, report.csv.encode())]
        call = courier.files(courier.Via.of(interaction, ephemeral=True), report.text, attached)
        await self._owe(interaction, [call])

    async def _member_profile(self, interaction: discord.Interaction[Any], number: int) -> None:
        async with handling(interaction, self.on_done):
            await interaction.response.defer(ephemeral=True, thinking=True)
            profile = await self.workshops.member_profile(
                workshop_key(interaction), number, str(interaction.user.id)
            )
            chunks = split_message(workshop_text(profile), MESSAGE_LIMIT)
            via = courier.Via.of(interaction, ephemeral=True)
            await self._owe(interaction, _privately(via, [Outgoing(chunk) for chunk in chunks]))

    async def _owe(self, interaction: discord.Interaction[Any], calls: list[courier.Call]) -> None:
        """Owe ``calls`` to the channel, for the member who asked (their /forget erases them)."""
        chat = str(interaction.channel_id)
        key = SessionKey(PLATFORM, chat, str(interaction.user.id))
        await self.workshops.store.sessions.owe(key, courier.owed(chat, calls))
        self.sender.wake(chat)

    async def _reply_privately(
        self, interaction: discord.Interaction[Any], notes: Sequence[Outgoing]
    ) -> None:
        """A vote's private answer: the first note replaces the deferred response; any more
        are ephemeral followups. Sent at once rather than owed, like a Telegram press's
        callback answer: it is the vote's acknowledgement, and a vote records nothing that
        a reply would have to follow in order."""
        if not notes:
            notes = [Outgoing(messages.DISCORD_WORKSHOP_POSTED)]
        first, *rest = notes
        await interaction.edit_original_response(
            content=first.content, view=first.view(), allowed_mentions=NO_PINGS
        )
        for note in rest:
            view = note.view()
            if view is None:
                await interaction.followup.send(note.content, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.followup.send(
                    note.content, view=view, ephemeral=True, allowed_mentions=NO_PINGS
                )

    async def _refresh(self, key: WorkshopKey, count: VoteCount) -> None:
        """Edit the question message's count (called by the coalescer, a few times a burst)."""
        async with self._edits.hold(key):
            state = await self.workshops.current(key)
            dialog = self.workshops.dialog_of(state)
            if (
                dialog is None
                or state.phase is not WorkshopPhase.ASKING
                or state.number != count.workshop
                or current_of(dialog, state) is None
                or state.distinction != count.distinction
            ):
                return  # the round closed; its closing edit showed the final count
            # Best effort, at once (a late count is worth nothing): until the outbox has
            # posted the question and noted its id, there is nothing to edit.
            message_id = message_id_of(await self.workshops.message(key, count.workshop, count.distinction))
            if message_id is None:
                return
            question = vote_question(dialog, state, count.voters)
            message = self.client.get_partial_messageable(int(key.chat)).get_partial_message(message_id)
            await message.edit(content=question_text(question), allowed_mentions=NO_PINGS)


def _plain(kind: type[Reveal] | type[Next] | type[End]) -> Steer:
    """A facilitator command that needs nothing but who sent it."""
    return lambda user, admin, _before: kind(user, admin)


def _sender(interaction: discord.Interaction[Any]) -> tuple[str, bool]:
    """Who pressed or typed, and whether they may steer as an admin (Manage Server)."""
    admin = interaction.guild_id is not None and interaction.permissions.manage_guild
    return str(interaction.user.id), admin


def _closing(
    key: WorkshopKey, before: WorkshopState, result: WorkshopStep, workshops: Workshops
) -> list[courier.Call]:
    """The edit of the question whose votes this step closed (revealed, moved on, ended or
    replaced): no buttons, and after a reveal the final count."""
    after = result.state
    moved = (after.number, after.position, after.phase) != (before.number, before.position, before.phase)
    dialog = workshops.dialog_of(before)
    if before.phase is not WorkshopPhase.ASKING or not moved or dialog is None:
        return []
    if current_of(dialog, before) is None:
        return []
    final = next(
        (t.voters for t in result.replies if isinstance(t, Tally) and t.distinction == before.distinction),
        None,
    )
    content = None if final is None else question_text(vote_question(dialog, before, final))
    return [courier.edit(int(key.chat), key.question_post(before.number, before.distinction), content)]


def _posts(key: WorkshopKey, replies: Sequence[WorkshopReply]) -> list[courier.Call]:
    """The step's public replies as the bot's channel messages; a question's post is noted."""
    calls = []
    for post in public_posts(replies):
        call = courier.post(int(key.chat), post.out)
        if post.question is not None:
            call = noted(call, key.question_post(post.question.workshop, post.question.distinction))
        calls.append(call)
    return calls


def _privately(via: courier.Via, notes: Sequence[Outgoing]) -> list[courier.Call]:
    """The first note replaces the deferred response (or the pressed prompt); any more are
    ephemeral followups."""
    first, *rest = notes
    return [courier.original(via, first), *(courier.followup(via, note) for note in rest)]
