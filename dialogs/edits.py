"""What a counsellor's edit of a dialog does to a session written against the old content.

Rules:
- Pure: the session, the content it meets now and (when known) the structure it was
  written against come in; the migrated session and what changed for the person go out.
- A session stamped with the dialog's current fingerprint needs nothing, and is only
  checked: an answer, a pending reading or a revisited question that this content cannot
  hold means the stored row is damaged (``Migrated.damaged``); the caller restarts it.
- Otherwise ids go through the dialog's ``renamed`` map first. An answer to a distinction
  that still exists, with a choice that still exists (or a skip), is kept; an answer to a
  removed distinction is dropped; an answer whose choice was removed is dropped, so that
  question is asked again. Distinctions the old structure did not have are new to the
  person. Where they are follows from the answers (``SessionState.position_in``): the
  first question neither answered nor skipped, or the renamed one they went back to.
- A migrated session moves to the next turn, so every button shown before the edit is
  stale; the pending reading and the miss count are set aside.
- The person is told in one line (``notice``) what changed for them; a session from
  before stamps existed (no old structure known) is told only when an answer was lost.
- A running workshop is migrated the same way (``migrate_workshop``), and the group told in
  one line; votes stored under renamed ids count under the new ones (``renamed_tallies``).
- ``impact`` runs the same migration over every stored session, for ``careerbot check
  --db``: what an edit will do before it is deployed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from dialogs.content import Dialog, Structure
from dialogs.i18n import messages
from dialogs.plurals import Plural
from dialogs.replies import Audience, Text
from dialogs.state import SKIP_OFFER, Answer, Phase, SessionState
from dialogs.workshop import (
    Tallies,
    WorkshopPhase,
    WorkshopState,
    WorkshopStep,
    finish,
    in_order,
    vote_question,
)


@dataclass(frozen=True, slots=True)
class Change:
    """What an edit did to one session's answers and questions."""

    kept: int  # answers (chosen or skipped) that still stand
    dropped: int  # answers to distinctions that were removed
    reasked: int  # answers whose choice was removed: that question is asked again
    new: int  # distinctions the old content did not have
    gone: int  # removed distinctions the person had not answered

    @property
    def lost(self) -> int:
        return self.dropped + self.reasked


@dataclass(frozen=True, slots=True)
class Migrated:
    state: SessionState
    change: Change | None = None  # None: the session was written against this content
    damaged: str | None = None  # why the stored session cannot be read, for the log
    notice: str | None = None  # the line that tells the person what changed


def _choices_of(structure: Structure) -> dict[str, tuple[str, ...]]:
    return dict(structure)


def _damage(structure: Structure, state: SessionState) -> str | None:
    """Why ``state`` cannot have been written against ``structure``, or None."""
    choices = _choices_of(structure)
    for answer in state.answers:
        if answer.distinction not in choices:
            return f"an answer to an unknown question {answer.distinction!r}"
        if answer.choice is not None and answer.choice not in choices[answer.distinction]:
            return f"an answer to {answer.distinction!r} with an unknown choice {answer.choice!r}"
    if state.phase is Phase.NEW and state.answers:
        return "answers in a conversation that has not started"
    return None


def _damage_now(dialog: Dialog, state: SessionState) -> str | None:
    """``_damage`` plus what only the current content can tell: the cursor and pending."""
    problem = _damage(dialog.structure, state)
    if problem is not None:
        return problem
    if state.revisit is not None and dialog.index_of(state.revisit) is None:
        return f"a cursor on an unknown question {state.revisit!r}"
    position = state.position_in(dialog)
    if state.phase is Phase.ASKING and position >= dialog.total:
        return "a conversation asking with every question answered"
    if state.phase is Phase.DONE and position < dialog.total:
        return "a finished conversation with questions unanswered"
    if state.pending is not None and state.pending != SKIP_OFFER:
        current = dialog.distinctions[position] if position < dialog.total else None
        if current is None or current.choice(state.pending) is None:
            return f"a pending reading {state.pending!r} that is not a choice of the current question"
    return None


def migrate(dialog: Dialog, state: SessionState, before: Structure | None) -> Migrated:
    """``state`` as it reads against ``dialog``; ``before`` is the structure it was written
    against, None when unknown (a session stored before stamps existed)."""
    if state.content_hash == dialog.fingerprint:
        return Migrated(state, damaged=_damage_now(dialog, state))
    if before is not None:
        problem = _damage(before, state)
        if problem is not None:
            return Migrated(state, damaged=problem)
    renamed = dialog.renamed
    choices = _choices_of(dialog.structure)
    kept: dict[str, Answer] = {}
    dropped = reasked = 0
    for answer in state.answers:
        distinction = renamed.distinction(answer.distinction)
        if distinction not in choices:
            dropped += 1
            continue
        choice = None if answer.choice is None else renamed.choice(distinction, answer.choice)
        if choice is not None and choice not in choices[distinction]:
            reasked += 1
            continue
        kept[distinction] = Answer(distinction, choice)
    new = gone = 0
    if before is not None:
        was = {renamed.distinction(d) for d, _ in before}
        new = sum(1 for d in choices if d not in was)
        answered = {a.distinction for a in state.answers}
        gone = sum(1 for d, _ in before if d not in answered and renamed.distinction(d) not in choices)
    revisit = None if state.revisit is None else renamed.distinction(state.revisit)
    moved = replace(
        state,
        answers=tuple(kept[d.id] for d in dialog.distinctions if d.id in kept),
        revisit=revisit if revisit in choices else None,
        pending=None,
        misses=0,
        content_version=dialog.version,
        content_hash=dialog.fingerprint,
    )
    if state.phase is not Phase.NEW:
        done = moved.position_in(dialog) >= dialog.total
        moved = replace(moved, phase=Phase.DONE if done else Phase.ASKING, turn=state.turn + 1)
    change = Change(len(kept), dropped, reasked, new, gone)
    told = state.phase is not Phase.NEW and (before is not None or change.lost > 0)
    return Migrated(moved, change, notice=notice(change) if told else None)


def _counted(count: int, forms: Plural) -> str:
    return forms.say(count, count=count)


def notice(change: Change) -> str:
    """One line telling the person what an edit changed for them."""
    parts = [
        _counted(count, forms)
        for count, forms in (
            (change.new, messages.EDITED_NEW),
            (change.dropped, messages.EDITED_DROPPED),
            (change.reasked, messages.EDITED_REASKED),
            (change.gone, messages.EDITED_GONE),
        )
        if count
    ]
    if change.kept:
        parts.append(messages.EDITED_OTHERS_KEPT if change.lost else messages.EDITED_ALL_KEPT)
    if not parts:
        return messages.EDITED
    return messages.EDITED_PARTS.format(parts=", ".join(parts))


@dataclass(frozen=True, slots=True)
class Impact:
    """What the current content does to one dialog's stored sessions (``careerbot check``)."""

    dialog: str
    stored: int = 0  # sessions stored for this dialog
    affected: int = 0  # sessions that will be told the questions changed
    kept: int = 0
    dropped: int = 0
    reasked: int = 0
    new: int = 0  # questions new to the affected sessions, summed
    damaged: int = 0  # sessions that cannot be read and will start again
    gone: bool = False  # no dialog with this id any more: its sessions start afresh
    workshops: int = 0  # running workshops on this dialog
    workshops_affected: int = 0  # ... whose group will be told the questions changed
    workshops_damaged: int = 0  # workshops that cannot be read and will end at their next step


def impact(
    dialogs: Mapping[str, Dialog],
    sessions: Iterable[tuple[SessionState, str | None]],
    structures: Mapping[str, Structure],
    workshops: Iterable[WorkshopState] = (),
) -> list[Impact]:
    """Run the migration every stored session and running workshop will meet on its next
    turn, and add it up per dialog. ``sessions`` are (state, why it could not be decoded,
    or None) as stored."""
    found: dict[str, Impact] = {}
    for workshop in workshops:
        running = dialogs.get(workshop.dialog)
        was = found.get(workshop.dialog, Impact(workshop.dialog, gone=running is None))
        if workshop.damaged:
            found[workshop.dialog] = replace(was, workshops_damaged=was.workshops_damaged + 1)
            continue
        if not workshop.active:
            continue
        told = running is None or _told(running, workshop, structures)
        found[workshop.dialog] = replace(
            was, workshops=was.workshops + 1, workshops_affected=was.workshops_affected + told
        )
    for state, undecodable in sessions:
        dialog = dialogs.get(state.dialog)
        was = found.get(state.dialog, Impact(state.dialog, gone=dialog is None))
        was = replace(was, stored=was.stored + 1)
        if dialog is not None:
            migrated = None if undecodable else migrate(dialog, state, structures.get(state.content_hash))
            if migrated is None or migrated.damaged is not None:
                was = replace(was, damaged=was.damaged + 1)
            elif migrated.notice is not None and migrated.change is not None:
                c = migrated.change
                was = replace(
                    was,
                    affected=was.affected + 1,
                    kept=was.kept + c.kept,
                    dropped=was.dropped + c.dropped,
                    reasked=was.reasked + c.reasked,
                    new=was.new + c.new,
                )
        found[state.dialog] = was
    return [found[key] for key in sorted(found)]


def _told(dialog: Dialog, workshop: WorkshopState, structures: Mapping[str, Structure]) -> bool:
    """Whether a running workshop's group will be told the questions changed."""
    migrated = migrate_workshop(dialog, workshop, structures.get(workshop.content_hash), {})
    return migrated is not None and bool(migrated.step.replies)


# --- a running workshop -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkshopMigrated:
    step: WorkshopStep  # the migrated state, and what the group is told
    moved: bool = False  # the current question is gone: the group moved on (or finished)


def renamed_tallies(dialog: Dialog, tallies: Tallies) -> Tallies:
    """Votes stored under old ids, counted under the new ones of ``dialog.renamed``."""
    renamed = dialog.renamed
    if not renamed.distinctions and not renamed.choices:
        return tallies
    counted: dict[str, dict[str, int]] = {}
    for old, votes in tallies.items():
        distinction = renamed.distinction(old)
        into = counted.setdefault(distinction, {})
        for choice, count in votes.items():
            new = renamed.choice(distinction, choice)
            into[new] = into.get(new, 0) + count
    return counted


def migrate_workshop(
    dialog: Dialog, state: WorkshopState, before: Structure | None, tallies: Tallies
) -> WorkshopMigrated | None:
    """A running workshop written against other content, as it reads against ``dialog``;
    None when there is nothing to migrate. Questions asked that still exist stay asked (the
    votes on them count, under renamed ids too); the current one carries on if it still
    exists, else its round ends unrevealed and the next question not asked yet opens (or the
    workshop finishes); new questions come up in their turn."""
    if not state.active or state.dialog != dialog.id or state.content_hash == dialog.fingerprint:
        return None
    stamped = replace(state, content_version=dialog.version, content_hash=dialog.fingerprint)
    ids = [d.id for d in dialog.distinctions]
    if not state.distinction:
        # Stored before workshops kept ids: its position was an index into this content.
        if state.position >= dialog.total:
            return None  # the engine ends it: the content it ran on is gone
        return WorkshopMigrated(WorkshopStep(in_order(dialog, state), ()))
    renamed = dialog.renamed
    asked = [renamed.distinction(d) for d in state.done]
    done = tuple(d for d in asked if d in ids)
    current = renamed.distinction(state.distinction)
    new = gone = 0
    if before is not None:
        was = {renamed.distinction(d) for d, _ in before}
        new = sum(1 for d in ids if d not in was)
        before_asked = {*state.done, state.distinction}
        gone = sum(1 for d, _ in before if d not in before_asked and renamed.distinction(d) not in ids)
    moved = current not in ids
    change = Change(len(done), len(asked) - len(done), 0, new, gone)
    told = Text(workshop_notice(change, moved), audience=Audience.EVERYONE)
    migrated = replace(stamped, distinction=current, done=done)
    if not moved:
        return WorkshopMigrated(WorkshopStep(migrated, (told,)))
    following = [d for d in ids if d not in done]
    if not following:
        finished = finish(dialog, replace(migrated, distinction="", phase=WorkshopPhase.ASKING), tallies)
        return WorkshopMigrated(replace(finished, replies=(told, *finished.replies)), moved=True)
    # A new round: buttons of the removed question are stale.
    opened = replace(
        migrated, phase=WorkshopPhase.ASKING, position=state.position + 1, distinction=following[0]
    )
    return WorkshopMigrated(WorkshopStep(opened, (told, vote_question(dialog, opened))), moved=True)


def workshop_notice(change: Change, moved: bool) -> str:
    parts = [messages.WORKSHOP_EDITED_CURRENT] if moved else []
    parts += [
        _counted(count, forms)
        for count, forms in (
            (change.new, messages.EDITED_NEW),
            (change.dropped, messages.WORKSHOP_EDITED_DROPPED),
            (change.gone, messages.WORKSHOP_EDITED_GONE),
        )
        if count
    ]
    if change.kept:
        parts.append(messages.WORKSHOP_EDITED_KEPT)
    if not parts:
        return messages.WORKSHOP_EDITED
    return messages.WORKSHOP_EDITED_PARTS.format(parts=", ".join(parts))
