"""The workshop engine: one shared state per group, ``step(dialog, state, event, tallies)``.

A facilitator takes a whole group through a dialog's distinctions: each question is posted
for everyone, members vote by button, the facilitator reveals how the group answered and
moves on; at the end the group's profile is posted and every member is offered their own.

Rules:
- Pure and synchronous, like ``dialogs.engine``: no I/O, no clock, no randomness. The
  votes a step needs arrive as ``tallies`` (distinction id -> choice id -> count), loaded
  by the service; a ``Vote`` needs only the small ``WorkshopState``, never the tally.
- Transitions are a table keyed by (phase, event type) with an entry for every pair, so
  every event in every phase gets a reply and ``step`` never raises.
- One workshop per chat: ``Open`` while one runs asks the sender whether to end it
  (``WorkshopRunning``); ``Open(force=True)`` from someone who may steer ends it and
  starts the next. ``number`` only ever grows, so buttons of an ended workshop are stale.
- May steer (reveal, next, end, replace): the facilitator, or anyone the adapter marks
  ``admin``. Anyone else gets a polite refusal addressed to them alone.
- A vote round is identified by (workshop number, distinction): the workshop never goes
  back to a distinction, so a vote button stays valid exactly while its distinction is the
  current one and the phase is ASKING. Any other vote records nothing and says why.
- A valid vote produces ``RecordVote``; storage upserts one row per (workshop,
  distinction, member), so the last press before the reveal wins and nobody counts twice.
  Storage re-checks the round inside the write transaction (a reveal may land first).
- Members may join at any point: they vote on the current question and the ones after it.
- The current question is kept by id (``distinction``), with the ones already asked
  (``done``); ``position`` counts the rounds so far and names the round, never an index
  into the content. The next question is the first in the content not asked yet, so a
  workshop written against content that was edited since (``dialogs.edits``) asks what
  is new and never asks a question twice.
- A workshop the store could not read (``WorkshopState.damaged``) has ended: a reveal,
  next or end gets a notice saying so, an open the notice and then the new workshop, and
  a vote the answer any button of an ended workshop gets. The step's state is the ended one, with
  ``damaged`` cleared, so saving it makes the stored row readable again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from dialogs.content import Dialog, Distinction, Lean
from dialogs.events import End, Next, Open, Reveal, Vote, WorkshopEvent
from dialogs.i18n import current, enter, leave, messages
from dialogs.profile import dominant_lean, profile_of
from dialogs.replies import (
    Audience,
    ChoiceView,
    Difference,
    GroupProfile,
    GroupProfileRow,
    MemberProfileOffer,
    Profile,
    Progress,
    Tally,
    TallyRow,
    Text,
    VoteCount,
    VoteQuestion,
    VoteRecorded,
    WorkshopReply,
    WorkshopRunning,
)
from dialogs.state import Answer, Phase, SessionState

Tallies = Mapping[str, Mapping[str, int]]  # distinction id -> choice id -> votes
NO_TALLIES: Tallies = {}


class WorkshopPhase(enum.StrEnum):
    NONE = "none"  # no workshop has ever run in this chat
    ASKING = "asking"  # the current question takes votes
    REVEALED = "revealed"  # the current question's tally is shown; votes are closed
    ENDED = "ended"


ACTIVE = frozenset({WorkshopPhase.ASKING, WorkshopPhase.REVEALED})


@dataclass(frozen=True, slots=True)
class WorkshopState:
    """Everything about a chat's workshop except the votes. ``number`` 0: none yet."""

    number: int = 0
    dialog: str = ""
    facilitator: str = ""
    phase: WorkshopPhase = WorkshopPhase.NONE
    position: int = 0  # rounds before the current one: names the round, not an index
    distinction: str = ""  # the current question's id
    done: tuple[str, ...] = ()  # the questions asked before it, in the order asked
    content_version: int = 0
    content_hash: str = ""  # the fingerprint of the content it was written against
    language: str = ""  # the language it speaks, its opening dialog's ('': the default)
    damaged: str = ""  # why the stored row could not be read ('': it could); it reads as ended

    @property
    def active(self) -> bool:
        return self.phase in ACTIVE


@dataclass(frozen=True, slots=True)
class RecordVote:
    """Upsert one member's vote; ``position`` lets storage check the round is still open."""

    workshop: int
    position: int
    distinction: str
    member: str
    choice: str


@dataclass(frozen=True, slots=True)
class WorkshopStep:
    state: WorkshopState
    replies: tuple[WorkshopReply, ...]
    writes: tuple[RecordVote, ...] = ()


def may_steer(state: WorkshopState, event: WorkshopEvent) -> bool:
    return event.admin or (state.facilitator != "" and event.user == state.facilitator)


# --- building replies -----------------------------------------------------------------


def count_text(voters: int) -> str:
    if voters == 0:
        return messages.VOTE_COUNT_NONE
    return messages.VOTE_COUNT.say(voters, voters=voters)


def current_of(dialog: Dialog, state: WorkshopState) -> Distinction | None:
    """The workshop's current question in ``dialog``, or None when it has none there."""
    return next((d for d in dialog.distinctions if d.id == state.distinction), None)


def in_order(dialog: Dialog, state: WorkshopState) -> WorkshopState:
    """``state`` having asked the first ``position`` questions of ``dialog`` in order, the
    next one current: how a workshop stored before ids were kept reads."""
    ids = [d.id for d in dialog.distinctions]
    return replace(
        state,
        distinction=ids[state.position],
        done=tuple(ids[: state.position]),
        content_version=dialog.version,
        content_hash=dialog.fingerprint,
    )


def _still_to_ask(dialog: Dialog, state: WorkshopState) -> list[Distinction]:
    asked = {*state.done, state.distinction}
    return [d for d in dialog.distinctions if d.id not in asked]


def vote_question(dialog: Dialog, state: WorkshopState, voters: int = 0) -> VoteQuestion:
    distinction = current_of(dialog, state)
    assert distinction is not None  # the engine ends a workshop whose question is gone
    # Rounds so far, this one, and what is left: "5 of 8" stays true after an edit.
    total = state.position + 1 + len(_still_to_ask(dialog, state))
    return VoteQuestion(
        workshop=state.number,
        distinction=distinction.id,
        title=distinction.title,
        text=distinction.question,
        choices=tuple(ChoiceView(c.id, c.label) for c in distinction.choices),
        # The group has answered (revealed) every question before this one.
        progress=Progress(state.position + 1, total, state.position),
        count=count_text(voters),
    )


def vote_count(state: WorkshopState, distinction: str, voters: int) -> VoteCount:
    """The public count after a vote; the service knows ``voters`` once the vote committed."""
    return VoteCount(state.number, distinction, voters, count_text(voters))


def _percentages(counts: list[int]) -> list[int]:
    """Whole percentages that add up to 100 (largest remainder), so the bars never read 99%."""
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    exact = [c * 100 / total for c in counts]
    floors = [int(x) for x in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (floors[i] - exact[i], i))
    for i in by_remainder[: 100 - sum(floors)]:
        floors[i] += 1
    return floors


def tally(distinction: Distinction, votes: Mapping[str, int]) -> Tally:
    counts = [votes.get(c.id, 0) for c in distinction.choices]
    percents = _percentages(counts)
    rows = tuple(
        TallyRow(c.label, c.leans, n, p)
        for c, n, p in zip(distinction.choices, counts, percents, strict=True)
    )
    return Tally(distinction.id, distinction.title, rows, sum(counts))


def difference(distinction: Distinction) -> Difference:
    explain = ((Lean.JOB, distinction.explain.job), (Lean.CAREER, distinction.explain.career))
    return Difference(distinction.id, distinction.title, explain, distinction.why)


def group_lean(distinction: Distinction, votes: Mapping[str, int]) -> Lean | None:
    """The lean most of the group chose on one distinction; a tie reads as mixed."""
    leans = dict.fromkeys(Lean, 0)
    for choice in distinction.choices:
        leans[choice.leans] += votes.get(choice.id, 0)
    return dominant_lean(leans) if sum(leans.values()) else None


def group_profile(dialog: Dialog, state: WorkshopState, tallies: Tallies) -> GroupProfile:
    """The group's profile over the distinctions revealed so far (all of them at the end)."""
    shown = {*state.done, *((state.distinction,) if state.phase is WorkshopPhase.REVEALED else ())}
    counts = dict.fromkeys(Lean, 0)
    rows: list[GroupProfileRow] = []
    for distinction in (d for d in dialog.distinctions if d.id in shown):
        votes = tallies.get(distinction.id, {})
        lean = group_lean(distinction, votes)
        if lean is not None:
            counts[lean] += 1
        rows.append(
            GroupProfileRow(distinction.title, lean, sum(votes.get(c.id, 0) for c in distinction.choices))
        )
    closing = (
        dialog.outro.closing[dominant_lean(counts)]
        if sum(counts.values())
        else messages.WORKSHOP_GROUP_NO_VOTES
    )
    heading = messages.WORKSHOP_GROUP_HEADING.format(
        title=dialog.title, revealed=len(rows), total=len(rows) + len(_still_to_ask(dialog, state))
    )
    return GroupProfile(state.number, heading, counts, tuple(rows), closing)


def member_profile(dialog: Dialog, number: int, votes: Mapping[str, str]) -> Profile | None:
    """One member's own profile from their workshop votes (distinction id -> choice id).

    Reuses the personal profile, so both read alike; None when they answered nothing.
    """
    renamed = dialog.renamed
    votes = {renamed.distinction(d): renamed.choice(renamed.distinction(d), c) for d, c in votes.items()}
    answers = tuple(
        Answer(d.id, votes[d.id]) for d in dialog.distinctions if d.id in votes and d.choice(votes[d.id])
    )
    if not answers:
        return None
    profile = profile_of(dialog, SessionState(dialog.id, Phase.DONE, dialog.total, answers=answers))
    heading = messages.WORKSHOP_MEMBER_HEADING.format(
        number=number, answered=len(answers), total=dialog.total
    )
    return replace(profile, heading=heading)


def _to_person(text: str) -> Text:
    return Text(text, audience=Audience.PERSON)


def _to_everyone(text: str) -> Text:
    return Text(text, audience=Audience.EVERYONE)


def finish(dialog: Dialog, state: WorkshopState, tallies: Tallies) -> WorkshopStep:
    ended = replace(state, phase=WorkshopPhase.ENDED)
    replies: tuple[WorkshopReply, ...] = (
        _to_everyone(messages.WORKSHOP_ENDED.format(number=state.number)),
        group_profile(dialog, state, tallies),
        MemberProfileOffer(state.number, messages.WORKSHOP_PROFILE_OFFER),
    )
    return WorkshopStep(ended, replies)


# --- handlers: (context, state, event) -> WorkshopStep -----------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    dialog: Dialog  # the running workshop's dialog
    opening: Dialog  # the dialog an ``Open`` starts
    tallies: Tallies


def _open(ctx: _Context, state: WorkshopState, event: WorkshopEvent) -> WorkshopStep:
    assert isinstance(event, Open)
    dialog = ctx.opening
    opened = WorkshopState(
        state.number + 1,
        dialog.id,
        event.user,
        WorkshopPhase.ASKING,
        0,
        dialog.distinctions[0].id,
        content_version=dialog.version,
        content_hash=dialog.fingerprint,
        language=dialog.language,
    )
    replies: tuple[WorkshopReply, ...] = (
        _to_everyone(dialog.intro),
        vote_question(dialog, opened),
        Text(messages.WORKSHOP_LEAD, audience=Audience.FACILITATOR),
    )
    return WorkshopStep(opened, replies)


def _open_while_running(ctx: _Context, state: WorkshopState, event: WorkshopEvent) -> WorkshopStep:
    assert isinstance(event, Open)
    if not may_steer(state, event):
        return WorkshopStep(state, (_to_person(messages.WORKSHOP_RUNNING_REFUSED),))
    if event.force:
        opened = _open(ctx, state, event)
        notice = _to_everyone(messages.WORKSHOP_REPLACED.format(number=state.number))
        return replace(opened, replies=(notice, *opened.replies))
    text = messages.WORKSHOP_RUNNING.format(
        number=state.number, title=ctx.dialog.title, position=state.position + 1, total=ctx.dialog.total
    )
    return WorkshopStep(state, (WorkshopRunning(state.number, text),))


def _no_workshop(_ctx: _Context, state: WorkshopState, _event: WorkshopEvent) -> WorkshopStep:
    return WorkshopStep(state, (_to_person(messages.WORKSHOP_NONE),))


def _vote_without_workshop(_ctx: _Context, state: WorkshopState, event: WorkshopEvent) -> WorkshopStep:
    assert isinstance(event, Vote)
    text = messages.VOTE_OLD_WORKSHOP if event.workshop < state.number else messages.VOTE_NO_WORKSHOP
    return WorkshopStep(state, (_to_person(text),))


def _stale_vote(dialog: Dialog, state: WorkshopState, event: Vote) -> Text | None:
    """Why a vote cannot count, or None when it can."""
    if event.workshop != state.number:
        return _to_person(messages.VOTE_OLD_WORKSHOP)
    current = current_of(dialog, state)
    if current is None or event.distinction != current.id:
        return _to_person(messages.VOTE_CLOSED)
    if state.phase is not WorkshopPhase.ASKING:
        return _to_person(messages.VOTE_AFTER_REVEAL)
    if current.choice(event.choice) is None:
        return _to_person(messages.VOTE_UNKNOWN_CHOICE)
    return None


def _vote(ctx: _Context, state: WorkshopState, event: WorkshopEvent) -> WorkshopStep:
    assert isinstance(event, Vote)
    refusal = _stale_vote(ctx.dialog, state, event)
    if refusal is not None:
        return WorkshopStep(state, (refusal,))
    current = current_of(ctx.dialog, state)
    choice = None if current is None else current.choice(event.choice)
    assert current is not None and choice is not None  # _stale_vote checked both
    confirm = VoteRecorded(
        state.number, current.id, choice.id, messages.VOTE_RECORDED.format(label=choice.label)
    )
    write = RecordVote(state.number, state.position, current.id, event.user, choice.id)
    return WorkshopStep(state, (confirm,), (write,))


Handler = Callable[[_Context, WorkshopState, WorkshopEvent], WorkshopStep]


def _steering(handler: Handler) -> Handler:
    """Let only the facilitator or an admin through; anyone else is refused politely."""

    def guarded(ctx: _Context, state: WorkshopState, event: WorkshopEvent) -> WorkshopStep:
        if not may_steer(state, event):
            return WorkshopStep(state, (_to_person(messages.WORKSHOP_ONLY_STEERER),))
        return handler(ctx, state, event)

    return guarded


def _reveal(ctx: _Context, state: WorkshopState, _event: WorkshopEvent) -> WorkshopStep:
    distinction = current_of(ctx.dialog, state)
    assert distinction is not None  # step ends a workshop whose question is gone
    revealed = replace(state, phase=WorkshopPhase.REVEALED)
    votes = ctx.tallies.get(distinction.id, {})
    return WorkshopStep(revealed, (tally(distinction, votes), difference(distinction)))


def _already_revealed(_ctx: _Context, state: WorkshopState, _event: WorkshopEvent) -> WorkshopStep:
    return WorkshopStep(state, (_to_person(messages.WORKSHOP_ALREADY_REVEALED),))


def _advance(ctx: _Context, state: WorkshopState, _event: WorkshopEvent) -> WorkshopStep:
    following = _still_to_ask(ctx.dialog, state)
    if not following:
        return finish(ctx.dialog, state, ctx.tallies)
    moved = replace(
        state,
        phase=WorkshopPhase.ASKING,
        position=state.position + 1,
        distinction=following[0].id,
        done=(*state.done, state.distinction),
    )
    return WorkshopStep(moved, (vote_question(ctx.dialog, moved),))


def _reveal_and_advance(ctx: _Context, state: WorkshopState, event: WorkshopEvent) -> WorkshopStep:
    """Next before a reveal: show the results first, so no question goes unrevealed."""
    shown = _reveal(ctx, state, event)
    moved = _advance(ctx, shown.state, event)
    return WorkshopStep(moved.state, (*shown.replies, *moved.replies))


def _end(ctx: _Context, state: WorkshopState, _event: WorkshopEvent) -> WorkshopStep:
    return finish(ctx.dialog, state, ctx.tallies)


_IDLE: dict[type[WorkshopEvent], Handler] = {
    Open: _open,
    Vote: _vote_without_workshop,
    Reveal: _no_workshop,
    Next: _no_workshop,
    End: _no_workshop,
}

TRANSITIONS: dict[tuple[WorkshopPhase, type[WorkshopEvent]], Handler] = {
    **{(WorkshopPhase.NONE, kind): handler for kind, handler in _IDLE.items()},
    **{(WorkshopPhase.ENDED, kind): handler for kind, handler in _IDLE.items()},
    (WorkshopPhase.ASKING, Open): _open_while_running,
    (WorkshopPhase.ASKING, Vote): _vote,
    (WorkshopPhase.ASKING, Reveal): _steering(_reveal),
    (WorkshopPhase.ASKING, Next): _steering(_reveal_and_advance),
    (WorkshopPhase.ASKING, End): _steering(_end),
    (WorkshopPhase.REVEALED, Open): _open_while_running,
    (WorkshopPhase.REVEALED, Vote): _vote,
    (WorkshopPhase.REVEALED, Reveal): _steering(_already_revealed),
    (WorkshopPhase.REVEALED, Next): _steering(_advance),
    (WorkshopPhase.REVEALED, End): _steering(_end),
}


def step(
    dialog: Dialog,
    state: WorkshopState,
    event: WorkshopEvent,
    tallies: Tallies = NO_TALLIES,
    opening: Dialog | None = None,
) -> WorkshopStep:
    """Apply one event, in the dialog's language; never raises for any event in any state.

    ``dialog`` is the running workshop's dialog (when none runs, any dialog will do);
    ``opening`` the dialog an ``Open`` would start (default: ``dialog``); ``tallies`` the
    votes of the current workshop, needed by ``Reveal``, ``Next`` and ``End``.
    """
    if current() is dialog.messages:  # already spoken here: entering it again changes nothing
        return _step(dialog, state, event, tallies, opening)
    token = enter(dialog.messages)
    try:
        return _step(dialog, state, event, tallies, opening)
    finally:
        leave(token)


def _step(
    dialog: Dialog,
    state: WorkshopState,
    event: WorkshopEvent,
    tallies: Tallies,
    opening: Dialog | None,
) -> WorkshopStep:
    notice: tuple[WorkshopReply, ...] = ()
    if state.damaged:
        state = replace(state, phase=WorkshopPhase.ENDED, damaged="")
        if not isinstance(event, Vote):  # a voter only needs to know the button is stale
            notice = (_to_person(messages.WORKSHOP_DAMAGED),)
        if not isinstance(event, Open | Vote):  # the notice says all that "none here" would
            return WorkshopStep(state, notice)
    elif state.active and (dialog.id != state.dialog or current_of(dialog, state) is None):
        # The content this workshop ran on is gone or shorter since a restart: end it
        # rather than index into questions that no longer exist, then handle the event.
        state = replace(state, phase=WorkshopPhase.ENDED)
        notice = (_to_person(messages.WORKSHOP_CONTENT_GONE),)
    ctx = _Context(dialog, opening or dialog, tallies)
    result = TRANSITIONS[(state.phase, type(event))](ctx, state, event)
    return replace(result, replies=(*notice, *result.replies)) if notice else result
