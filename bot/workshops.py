"""The ``Workshops`` service: the async shell around the workshop engine, keyed by chat.

How an adapter uses it (every method takes a ``WorkshopKey(platform, chat)``):
- ``/workshop`` (Telegram) or ``/workshop start`` (Discord): ``await open(key, Open(user,
  admin))``; the confirm button of a ``WorkshopRunning`` reply sends ``Open(..., force=True)``.
- a vote button (``bot.buttons.VoteButton``): ``await vote(key, Vote(user, button.workshop,
  button.distinction, button.choice))``. Reply PERSON replies privately (callback alert /
  ephemeral); hand the ``VoteCount`` to a ``bot.coalesce.Coalescer`` instead of editing
  the question message on every press.
- reveal / next / end: ``await reveal(key, Reveal(user, admin))`` and so on.
- the member-profile button of ``MemberProfileOffer``: ``await member_profile(key,
  number, user)`` gives a ``Profile`` (or a ``Text`` when they answered nothing).
- ``/forget``: ``await forget_member(platform, user)`` besides ``Conversations.forget``.
- a steering turn that ended a workshop (``bot.workshop_report.ended_by(before, after)``):
  ``await report(key, number)`` gives the facilitator's report to deliver privately.
- wiring: ``async with open_workshops(conversations) as workshops:`` inside
  ``bot.app.open_service``; it shares the conversation store's connection and is closed
  (pending votes committed) before that store is.
``admin`` is True when the platform says the sender is a group admin (Telegram) or has
Manage Server (Discord); the engine itself knows who the facilitator is.

Rules:
- Facilitator actions (open, reveal, next, end) take the chat's lock, then run the pure
  engine inside one storage transaction (``WorkshopStore.steer``), so the tally a reveal
  shows is exactly the votes stored before voting closed. Replies return after the commit.
  With the adapter's ``render``, the group posts it makes of them are owed in that same
  transaction (``storage.outbox``): a committed step always owes its posts, in order with
  everything else owed to that chat, and delivered by the outbox sender (``bot.outbox``).
- Votes never take the chat lock: the engine checks the vote against the cached state
  (loaded from SQLite on a miss, e.g. after a restart), and storage re-checks the round in
  the group-committed transaction. A vote that lost a race with a reveal is answered as
  stale and records nothing.
- A workshop written against content that was edited since is migrated before the engine
  sees it (``dialogs.edits.migrate_workshop``): the next facilitator action tells the group
  in one line what changed and saves it; a vote is judged against the migrated workshop.
- The cache holds one small ``WorkshopState`` per chat and is only written under the chat
  lock after a commit; it is a shortcut, never the authority.
- A workshop whose stored row does not decode reads as ended (``storage.workshops``): the
  chat is never stuck. The next steering turn tells its sender, saves the ended state over
  the row and logs one warning naming the chat (never anyone's answers); a vote on its
  buttons is answered as stale and records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from bot.conversations import Conversations
from bot.locks import KeyedLocks
from bot.workshop_report import WorkshopReport, report_for
from dialogs.content import Dialog, Structure
from dialogs.edits import migrate_workshop, renamed_tallies
from dialogs.events import End, Next, Open, Reveal, Vote, WorkshopEvent
from dialogs.i18n import current, messages, speak
from dialogs.replies import Audience, Profile, Text, WorkshopReply
from dialogs.workshop import WorkshopState, WorkshopStep, member_profile, step, vote_count
from storage.contract import TallyCounts, WorkshopContract
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import Owed

log = logging.getLogger(__name__)

# An adapter's renderer of a steering turn: the state before it, the tallies it was decided
# on and the engine's step in, the group posts (and edits) it owes out. It runs inside the
# steer's transaction, so it must be quick and touch nothing but its arguments.
Render = Callable[[WorkshopState, TallyCounts, WorkshopStep], tuple[Owed, ...]]


@dataclass(frozen=True, slots=True)
class WorkshopTurn:
    replies: tuple[WorkshopReply, ...]
    state: WorkshopState  # after the event; adapters read ``number`` and ``facilitator``
    owed: tuple[Owed, ...] = ()  # what ``render`` made of it, committed with it


class Workshops:
    def __init__(
        self,
        store: WorkshopContract,
        dialogs: Mapping[str, Dialog],
        default_dialog: str,
        conversations: Conversations | None = None,
    ) -> None:
        """``conversations``: whose language choices a facilitator's workshop speaks."""
        self.conversations = conversations
        if default_dialog not in dialogs:
            raise ValueError(f"default dialog {default_dialog!r} is not among {sorted(dialogs)}")
        self.store = store
        self.dialogs = dict(dialogs)
        self.default_dialog = default_dialog
        self._locks = KeyedLocks()
        self._cache: dict[WorkshopKey, WorkshopState] = {}

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages a workshop can speak, by code."""
        return tuple(sorted(self.dialogs[self.default_dialog].translations))

    async def handle(
        self, key: WorkshopKey, event: WorkshopEvent, render: Render | None = None
    ) -> WorkshopTurn:
        """Dispatch any workshop event to the method below that handles it (``open`` too:
        its guard against an unknown dialog must not be skipped). With ``render``, what a
        steering turn says is owed in the same transaction as the turn (``storage.outbox``);
        a vote's replies are the voter's alone and are never owed."""
        if isinstance(event, Vote):
            return await self.vote(key, event)
        if isinstance(event, Open):
            return await self.open(key, event, render)
        return await self._steer(key, event, render)

    async def open(self, key: WorkshopKey, event: Open, render: Render | None = None) -> WorkshopTurn:
        if event.dialog is not None and event.dialog not in self.dialogs:
            known = ", ".join(sorted(self.dialogs))
            text = messages.UNKNOWN_DIALOG.format(dialog=event.dialog, known=known)
            state = await self.current(key)
            refusal = WorkshopStep(state, (Text(text, audience=Audience.PERSON),))
            owed = render(state, {}, refusal) if render is not None else ()
            # Nothing changed, so only the refusal is owed: to its sender, whose /forget erases it.
            await self.store.sessions.owe(SessionKey(key.platform, key.chat, event.user), owed)
            return WorkshopTurn(refusal.replies, state, owed)
        if event.language is None and self.conversations is not None:
            # The facilitator's language: their /language choice, else their app's.
            facilitator = SessionKey(key.platform, "", event.user)
            event = replace(event, language=await self.conversations.language_for(facilitator))
        return await self._steer(key, event, render)

    async def reveal(self, key: WorkshopKey, event: Reveal) -> WorkshopTurn:
        return await self._steer(key, event)

    async def next(self, key: WorkshopKey, event: Next) -> WorkshopTurn:
        return await self._steer(key, event)

    async def end(self, key: WorkshopKey, event: End) -> WorkshopTurn:
        return await self._steer(key, event)

    async def vote(self, key: WorkshopKey, event: Vote) -> WorkshopTurn:
        state = await self.current(key)
        self._speak(state)
        result = self._step(state, event, before=await self._before(state), quiet=True)
        if not result.writes:
            return WorkshopTurn(result.replies, state)
        (write,) = result.writes
        voters = await self.store.record_vote(key, write)
        if voters is None:
            # A reveal, next or end committed after the cached state was read: answer from
            # the fresh state, which now explains why the vote did not count.
            self._cache.pop(key, None)
            state = await self.current(key)
            fresh = self._step(state, event)
            replies = fresh.replies if not fresh.writes else (Text(messages.VOTE_CLOSED),)
            return WorkshopTurn(replies, state)
        return WorkshopTurn((*result.replies, vote_count(state, write.distinction, voters)), state)

    async def current(self, key: WorkshopKey) -> WorkshopState:
        """The chat's workshop state (cached; loaded from SQLite after a restart)."""
        state = self._cache.get(key)
        if state is None:
            state = await self.store.load(key)
            self._cache.setdefault(key, state)
        return state

    async def member_profile(self, key: WorkshopKey, number: int, user: str) -> Profile | Text:
        """One member's own profile for workshop ``number``, for a private reply."""
        dialog = self.dialogs.get(await self.store.dialog_of(key, number) or "")
        state = await self.current(key)
        if dialog is not None and state.number == number:
            dialog = dialog.in_language(state.language or None)  # the titles the group saw
        votes = await self.store.member_votes(key, number, user)
        profile = member_profile(dialog, number, votes) if dialog is not None else None
        return profile or Text(messages.WORKSHOP_MEMBER_NO_VOTES)

    async def voters(self, key: WorkshopKey, number: int, distinction: str) -> int:
        """How many members have answered ``distinction`` in workshop ``number`` (the public
        count an adapter shows on the question message)."""
        tallies = await self.store.tallies(key, number)
        return sum(tallies.get(distinction, {}).values())

    async def message(self, key: WorkshopKey, number: int, distinction: str) -> str | None:
        """The platform's reference to the question post of ``distinction``, noted by the
        outbox when it delivered that post (``WorkshopKey.question_post``); None until then."""
        return await self.store.message(key, number, distinction)

    async def forget_member(self, platform: str, user: str) -> int:
        """Erase every workshop vote of this person on this platform (part of /forget)."""
        erased = await self.store.forget_member(platform, user)
        # Their name as facilitator is erased too; drop cached states that still hold it.
        for key in [k for k, s in self._cache.items() if k.platform == platform and s.facilitator == user]:
            async with self._locks.hold(key):
                self._cache.pop(key, None)
        return erased

    async def report(
        self, key: WorkshopKey, number: int, user: str | None = None, admin: bool = False
    ) -> WorkshopReport | None:
        """Workshop ``number``'s report for its facilitator (``bot.workshop_report``).

        With ``user`` (someone asking for it later, by a link), only its facilitator or an
        ``admin`` of the group gets it; None for anyone else."""
        if user is not None and not admin and await self.store.facilitator_of(key, number) != user:
            return None
        stats = self.store.sessions.stats()
        return await report_for(stats, self.dialogs, key, number)

    def drop_cached(self) -> None:
        """Forget every cached state (after rows were erased behind the cache's back)."""
        self._cache.clear()

    # --- internals ----------------------------------------------------------------------

    def _opening(self, event: WorkshopEvent) -> Dialog:
        """The dialog an ``Open`` would start, in its language: the one named, else the
        facilitator's (the language their update is being handled in)."""
        wanted = event.dialog if isinstance(event, Open) and event.dialog else self.default_dialog
        language = event.language if isinstance(event, Open) and event.language else current().language
        return self.dialogs[wanted].in_language(language)

    def dialog_of(self, state: WorkshopState, opening: Dialog | None = None) -> Dialog | None:
        """The running workshop's dialog, in the language it speaks."""
        dialog = self.dialogs.get(state.dialog)
        if dialog is None:
            return opening
        return dialog.in_language(state.language or None)

    def _step(
        self,
        state: WorkshopState,
        event: WorkshopEvent,
        tallies: TallyCounts | None = None,
        before: Structure | None = None,
        quiet: bool = False,
    ) -> WorkshopStep:
        """The engine's step, on the workshop migrated to the current content first (the
        group is told what changed; ``quiet``: a vote, whose replies are the voter's alone)."""
        opening = self._opening(event)
        # When the running workshop's content is gone, the engine ends it (it sees the
        # mismatching dialog id) rather than indexing into the wrong questions.
        running = self.dialog_of(state, opening)
        assert running is not None
        counted = renamed_tallies(running, tallies or {})
        migrated = migrate_workshop(running, state, before, counted)
        if migrated is None:
            return step(running, state, event, counted, opening)
        if migrated.moved:
            # The event was meant for a question that is gone: the group sees where it is now.
            return WorkshopStep(state, (Text(messages.VOTE_CLOSED),)) if quiet else migrated.step
        result = step(running, migrated.step.state, event, counted, opening)
        return result if quiet else replace(result, replies=(*migrated.step.replies, *result.replies))

    async def _before(self, state: WorkshopState) -> Structure | None:
        """The structure a workshop written against other content saw, when it is known."""
        running = self.dialogs.get(state.dialog)
        if running is None or not state.content_hash or state.content_hash == running.fingerprint:
            return None
        return await self.store.sessions.structure(state.content_hash)

    async def _steer(
        self, key: WorkshopKey, event: WorkshopEvent, render: Render | None = None
    ) -> WorkshopTurn:
        async with self._locks.hold(key):
            seen = await self.current(key)
            before = await self._before(seen)
            # What a workshop may be stamped with after this turn: the dialog it opens or runs.
            for dialog in (self._opening(event), self.dialogs.get(seen.dialog)):
                if dialog is not None:
                    await self.store.sessions.remember(dialog)

            def decide(
                state: WorkshopState, tallies: TallyCounts
            ) -> tuple[WorkshopState, tuple[WorkshopStep, tuple[Owed, ...], str], tuple[Owed, ...]]:
                known = before if state.content_hash == seen.content_hash else None
                result = self._step(state, event, tallies, known)
                self._speak(result.state)  # the posts are rendered in the workshop's language
                owed = render(state, tallies, result) if render is not None else ()
                return result.state, (result, owed, state.damaged), owed

            result, owed, damaged = await self.store.steer(key, decide)
            self._cache[key] = result.state
            if damaged:
                log.warning(
                    "the stored workshop %s/%s could not be read (%s); it was ended",
                    key.platform,
                    key.chat,
                    damaged,
                )
        self._speak(result.state)
        return WorkshopTurn(result.replies, result.state, owed)

    def _speak(self, state: WorkshopState) -> None:
        """What the adapter says about this workshop is said in its language."""
        running = self.dialog_of(state)
        if running is not None and state.language:
            speak(running.messages)


@asynccontextmanager
async def open_workshops(conversations: Conversations) -> AsyncIterator[Workshops]:
    """Workshops on the conversations' store and dialogs; exit before that store closes."""
    store = conversations.store.workshop_store()
    try:
        yield Workshops(store, conversations.dialogs, conversations.default_dialog, conversations)
    finally:
        await store.close()
