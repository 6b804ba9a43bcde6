"""Turn ``/workshop`` commands and workshop buttons into ``Workshops`` calls, and post the replies.

Rules:
- Acknowledge first (a defer, or an instant reply), before any database work, so Discord's
  3 seconds are always met.
- A workshop is keyed ("discord", channel id). Workshops run in server channels only; in a
  DM every ``/workshop`` command gets a polite refusal and nothing else happens.
- ``admin`` is the sender's Manage Server permission; the engine itself knows the facilitator
  and refuses anyone else (reveal, next, end, replacing a workshop) with a private reply.
- Replies for EVERYONE are posted in the channel as the bot (the channel message endpoint),
  never through an interaction token, so the question message can be edited later with the
  bot's own authority: no token older than 15 minutes is ever used. Its id is remembered
  in SQLite (``Workshops.remember_message``, as ``<distinction>:<message id>``), so the
  count is still edited after a restart. PERSON and FACILITATOR replies are ephemeral.
- A vote is answered privately (ephemeral). Its ``VoteCount`` goes to a ``Coalescer``: the
  question message's count is edited at most once per ``interval``, never once per press.
  A refresh edits only while that question still takes votes and only the message
  remembered for it; edits of one chat's question message are serialised with the closing
  edit, so a late refresh never puts buttons back on a closed question.
- When a question's votes close (revealed, skipped past, ended, or the workshop replaced),
  its message loses its buttons; after a reveal it also shows the final count.
- Whoever ends a workshop (or replaces it) gets its report (``bot.workshop_report``) as an
  ephemeral followup: the text, the chart as a PNG and the aggregate as a CSV attachment.
- Pending count refreshes are dropped at shutdown; the next vote refreshes the count again.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.buttons import VoteButton
from bot.coalesce import DISCORD_INTERVAL, Coalescer
from bot.discord.custom_ids import WorkshopControl
from bot.discord.layout import MESSAGE_LIMIT, Outgoing
from bot.discord.respond import NO_PINGS
from bot.discord.router import PLATFORM, handling
from bot.discord.workshop_layout import private_notes, public_posts, question_text, workshop_text
from bot.locks import KeyedLocks
from bot.render import split_message
from bot.workshop_report import ended_by
from bot.workshops import Workshops, WorkshopTurn
from dialogs.events import End, Next, Open, Reveal, Vote, WorkshopEvent
from dialogs.i18n import messages
from dialogs.replies import Tally, Text, VoteCount, WorkshopReply
from dialogs.workshop import WorkshopPhase, WorkshopState, current_of, vote_question
from storage.keys import WorkshopKey

_log = logging.getLogger(__name__)

# (user, admin, the chat's workshop before the event) -> the event
Steer = Callable[[str, bool, WorkshopState], WorkshopEvent]


def workshop_key(interaction: discord.Interaction[Any]) -> WorkshopKey:
    return WorkshopKey(PLATFORM, str(interaction.channel_id))


def message_ref(distinction: str, message_id: int) -> str:
    return f"{distinction}:{message_id}"


def parse_message_ref(ref: str | None) -> tuple[str, int] | None:
    distinction, _, message_id = (ref or "").rpartition(":")
    return (distinction, int(message_id)) if distinction and message_id.isdigit() else None


class WorkshopRouter:
    def __init__(
        self,
        client: discord.Client,
        workshops: Workshops,
        *,
        interval: float = DISCORD_INTERVAL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_done: Callable[[int], None] = lambda _id: None,
    ) -> None:
        self.client = client
        self.workshops = workshops
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
            if isinstance(event, Open):
                turn = await self.workshops.open(key, event)
            else:
                turn = await self.workshops.handle(key, event)
            await self._close_questions(key, before, turn)
            posted = await self._post(key, turn.replies)
            refusal = () if posted else (Text(messages.DISCORD_WORKSHOP_CANNOT_POST),)
            notes = private_notes((*refusal, *turn.replies), dialog)
            await self._reply_privately(interaction, notes or [Outgoing(messages.DISCORD_WORKSHOP_POSTED)])
            ended = ended_by(before, turn.state)
            if ended is not None:
                await self._report(interaction, key, ended)

    async def _report(self, interaction: discord.Interaction[Any], key: WorkshopKey, number: int) -> None:
        """The report of the workshop this member just ended: only they see it."""
        report = await self.workshops.report(key, number)
        if report is None:
            return
        files = [
            discord.File(io.BytesIO(report.png), filename=report.png_name),
            discord.File(io.BytesIO(report.csv.encode()), filename=report.csv_name),
        ]
        await interaction.followup.send(report.text, files=files, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _member_profile(self, interaction: discord.Interaction[Any], number: int) -> None:
        async with handling(interaction, self.on_done):
            await interaction.response.defer(ephemeral=True, thinking=True)
            profile = await self.workshops.member_profile(
                workshop_key(interaction), number, str(interaction.user.id)
            )
            chunks = split_message(workshop_text(profile), MESSAGE_LIMIT)
            await self._reply_privately(interaction, [Outgoing(chunk) for chunk in chunks])

    async def _post(self, key: WorkshopKey, replies: Sequence[WorkshopReply]) -> bool:
        """Post the public replies as the bot; False if Discord refused to let it post."""
        channel = self.client.get_partial_messageable(int(key.chat))
        try:
            for post in public_posts(replies):
                view = post.out.view()
                if view is None:
                    message = await channel.send(post.out.content, allowed_mentions=NO_PINGS)
                else:
                    message = await channel.send(post.out.content, view=view, allowed_mentions=NO_PINGS)
                if post.question is not None:
                    ref = message_ref(post.question.distinction, message.id)
                    await self.workshops.remember_message(
                        key, post.question.workshop, post.question.distinction, ref
                    )
        except discord.Forbidden:
            _log.warning("not allowed to post in channel %s", key.chat)
            return False
        return True

    async def _reply_privately(
        self, interaction: discord.Interaction[Any], notes: Sequence[Outgoing]
    ) -> None:
        """The first note replaces the deferred response (or the pressed prompt); any more
        are ephemeral followups."""
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

    async def _close_questions(self, key: WorkshopKey, before: WorkshopState, turn: WorkshopTurn) -> None:
        """Take the buttons off the question whose votes this turn closed (revealed, moved
        on, ended or replaced); after a reveal it also shows the final count."""
        after = turn.state
        if before.phase is not WorkshopPhase.ASKING or (
            (after.number, after.position, after.phase) == (before.number, before.position, before.phase)
        ):
            return
        tallies = [r for r in turn.replies if isinstance(r, Tally)]
        async with self._edits.hold(key):
            ref = parse_message_ref(await self.workshops.message(key, before.number, before.distinction))
            dialog = self.workshops.dialog_of(before)
            if ref is None or dialog is None or current_of(dialog, before) is None:
                return
            if before.distinction != ref[0]:
                return
            message = self.client.get_partial_messageable(int(key.chat)).get_partial_message(ref[1])
            final = next((t.voters for t in tallies if t.distinction == ref[0]), None)
            try:
                if final is None:
                    await message.edit(view=None)
                else:
                    question = vote_question(dialog, before, final)
                    await message.edit(content=question_text(question), view=None, allowed_mentions=NO_PINGS)
            except discord.HTTPException as exc:
                _log.warning("could not close the question message in channel %s: %s", key.chat, exc)

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
            ref = parse_message_ref(await self.workshops.message(key, count.workshop, count.distinction))
            if ref is None or ref[0] != count.distinction:
                return
            question = vote_question(dialog, state, count.voters)
            message = self.client.get_partial_messageable(int(key.chat)).get_partial_message(ref[1])
            await message.edit(content=question_text(question), allowed_mentions=NO_PINGS)


def _plain(kind: type[Reveal] | type[Next] | type[End]) -> Steer:
    """A facilitator command that needs nothing but who sent it."""
    return lambda user, admin, _before: kind(user, admin)


def _sender(interaction: discord.Interaction[Any]) -> tuple[str, bool]:
    """Who pressed or typed, and whether they may steer as an admin (Manage Server)."""
    admin = interaction.guild_id is not None and interaction.permissions.manage_guild
    return str(interaction.user.id), admin
