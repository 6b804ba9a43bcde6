"""The personal conversation engine: ``step(dialog, state, event) -> Step``.

Rules:
- Pure and synchronous: no I/O, no clock, no randomness. Same inputs, same outputs.
- Transitions are a table keyed by (phase, event type); every pair has an entry, so an
  event that makes no sense in a phase gets a helpful reply, never an exception.
- A step returns the new state, the replies in order, and the writes storage must commit
  together with the state (an answer recorded, or all answers cleared).
- A ``Choose`` from an older turn, or for another question, changes nothing and shows the
  current question again; so do typed words that carry an older turn (the question they
  answered is no longer the current one).
- Where the person is follows from the content and the answers (``SessionState.position_in``),
  never from a stored index; /back sets ``revisit``, the question they went back to.
- Typed words are recorded only when the matcher is sure. Otherwise the engine asks
  first (``Confirmation``; the reading waits in ``state.pending``): a weak or long match
  is confirmed, "I don't know" and a third miss offer a skip. The pending reading lives
  for one event: typed yes/no or a ``Confirm`` answer it, anything else sets it aside.
- After an answer the person reads both sides of the difference, then the line about
  their own answer (``Explanation``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from dialogs.content import Choice, Dialog, Distinction
from dialogs.events import (
    Back,
    Choose,
    Confirm,
    Event,
    FreeText,
    Help,
    Restart,
    Resume,
    Skip,
    Start,
    Summary,
    Why,
)
from dialogs.i18n import current, enter, leave, messages
from dialogs.matching import match_choice
from dialogs.profile import profile_of
from dialogs.replies import (
    Action,
    Answered,
    Confirmation,
    Explanation,
    Progress,
    Question,
    Reply,
    Text,
)
from dialogs.state import (
    SKIP_OFFER,
    Answer,
    ClearAnswers,
    Phase,
    RecordAnswer,
    SessionState,
    Write,
    answers_with,
    position_of,
)

_MISSES_BEFORE_SKIP_OFFER = 3
_PUNCTUATION = " .,!?;:'\"()"


@dataclass(frozen=True, slots=True)
class Step:
    state: SessionState
    replies: tuple[Reply, ...]
    writes: tuple[Write, ...] = ()


def new_state(dialog: Dialog) -> SessionState:
    return SessionState(dialog.id, content_version=dialog.version, content_hash=dialog.fingerprint)


# --- building replies -----------------------------------------------------------------


_FIRST_ACTIONS = (Action.SKIP, Action.WHY)
_LATER_ACTIONS = (Action.BACK, Action.SKIP, Action.WHY)


def question(
    dialog: Dialog, state: SessionState, hint: str | None = None, position: int | None = None
) -> Question:
    """``state``'s current question; ``position``, when the caller knows it already, is
    ``state.position_in(dialog)``."""
    if position is None:
        position = state.position_in(dialog)
    distinction = dialog.distinctions[position]
    given = state.answer_for(distinction.id)
    return Question(
        distinction=distinction.id,
        title=distinction.title,
        text=distinction.question,
        choices=distinction.views,
        progress=Progress(position + 1, dialog.total, state.answered),
        turn=state.turn,
        current=given.choice if given else None,
        hint=hint,
        actions=_LATER_ACTIONS if position else _FIRST_ACTIONS,
    )


def _current(dialog: Dialog, state: SessionState) -> Distinction:
    return dialog.distinctions[state.position_in(dialog)]


def _move_to(dialog: Dialog, state: SessionState, revisit: str | None) -> SessionState:
    """Move on to ``revisit`` (None: the first unanswered); no question left finishes."""
    return _moved(dialog, state, state.answers, revisit)[0]


def _moved(
    dialog: Dialog,
    state: SessionState,
    answers: tuple[Answer, ...],
    revisit: str | None,
    position: int | None = None,
) -> tuple[SessionState, int]:
    """``state`` with ``answers``, moved on to ``revisit`` (see ``_move_to``), built in one
    go, and its position (``position``: the caller knows it already). Every field is
    named: this is ``replace`` without its cost."""
    if position is None:
        position = position_of(dialog, answers, revisit)
    moved = SessionState(
        dialog=state.dialog,
        phase=Phase.DONE if position >= dialog.total else Phase.ASKING,
        turn=state.turn + 1,
        misses=0,
        answers=answers,
        pending=None,
        revisit=revisit,
        content_version=state.content_version,
        content_hash=state.content_hash,
    )
    return moved, position


def _in_order_up_to(dialog: Dialog, answers: tuple[Answer, ...], position: int) -> bool:
    """Whether ``answers`` are exactly the first ``position`` questions' answers, in order."""
    if len(answers) != position:
        return False
    distinctions = dialog.distinctions
    for index, answer in enumerate(answers):  # noqa: SIM110  (a loop: all() of a generator costs more)
        if answer.distinction != distinctions[index].id:
            return False
    return True


def _after(dialog: Dialog, state: SessionState, position: int) -> str | None:
    """Where someone who went back goes after answering at ``position``: on through the
    answered questions that follow, as before; None (the first unanswered) otherwise."""
    return _after_in(dialog, state.revisit, state.answers, position)


def _after_in(dialog: Dialog, revisit: str | None, answers: tuple[Answer, ...], position: int) -> str | None:
    following = position + 1
    if revisit is None or following >= dialog.total:
        return None
    distinction = dialog.distinctions[following].id
    return distinction if any(a.distinction == distinction for a in answers) else None


def _ask_or_finish(dialog: Dialog, state: SessionState, position: int | None = None) -> tuple[Reply, ...]:
    if state.phase is Phase.DONE:
        return (profile_of(dialog, state),)
    return (question(dialog, state, position=position),)


# --- handlers: (dialog, state, event) -> Step -------------------------------------------


def _begin(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    fresh = _move_to(dialog, replace(new_state(dialog), turn=state.turn), None)
    writes: tuple[Write, ...] = (ClearAnswers(),)
    return Step(fresh, (Text(dialog.intro), question(dialog, fresh)), writes)


def _restart(dialog: Dialog, state: SessionState, event: Event) -> Step:
    step = _begin(dialog, state, event)
    if state.phase is Phase.NEW:
        return step
    return replace(step, replies=(Text(messages.RESTARTED), *step.replies[1:]))


def _welcome_back(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    if not state.answers:  # nothing to come back to: begin again where they are, intro first
        return Step(state, (Text(dialog.intro), question(dialog, state)))
    text = messages.WELCOME_BACK.format(
        title=dialog.title,
        answered=state.answered,
        total=dialog.total,
        position=state.position_in(dialog) + 1,
    )
    return Step(state, (Text(text, (Action.RESTART,)), question(dialog, state)))


def _resume(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (question(dialog, state),))


def _finished_already(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    text = messages.FINISHED_ALREADY.format(title=dialog.title)
    return Step(state, (Text(text, (Action.RESTART,)), profile_of(dialog, state)))


def _not_started(_dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (Text(messages.NOT_STARTED),))


def _help(_dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (Text(messages.HELP),))


def _record(dialog: Dialog, state: SessionState, choice_id: str, position: int | None = None) -> Step:
    """Record ``choice_id`` for the current question (at ``position``, when known)."""
    if position is None:
        position = state.position_in(dialog)
    distinction = dialog.distinctions[position]
    choice = distinction.choice(choice_id)
    assert choice is not None  # callers only pass ids of this distinction's choices
    answer = Answer(distinction.id, choice.id)
    if state.revisit is None and _in_order_up_to(dialog, state.answers, position):
        # The usual answer: the questions before this one answered, in order, none after.
        # It goes last, and the next question is the one after it: what ``answers_with``
        # and ``position_of`` would find, without their scans.
        answers = (*state.answers, answer)
        moved, at = _moved(dialog, state, answers, None, position + 1)
    else:
        answers = answers_with(dialog, state.answers, answer)
        moved, at = _moved(dialog, state, answers, _after_in(dialog, state.revisit, answers, position))
    replies: tuple[Reply, ...] = (
        Answered(distinction.id, distinction.question, choice.label, state.turn),
        Explanation(
            distinction.id,
            distinction.title,
            distinction.explain.job,
            distinction.explain.career,
            choice.reflection,
        ),
        *_ask_or_finish(dialog, moved, at),
    )
    return Step(moved, replies, (RecordAnswer(distinction.id, choice.id, state.turn),))


def _choose(dialog: Dialog, state: SessionState, event: Event) -> Step:
    assert isinstance(event, Choose)
    position = state.position_in(dialog)
    distinction = dialog.distinctions[position]
    if event.turn != state.turn or event.distinction != distinction.id:
        if event.distinction != distinction.id and _chosen(state, event.distinction):
            # A button left on a question answered before: the current question is already
            # the newest one shown, so a remark in passing is all it takes.
            return Step(state, (Text(messages.ALREADY_ANSWERED, brief=True),))
        return Step(state, (Text(messages.STALE_CHOICE), question(dialog, state, position=position)))
    if distinction.choice(event.choice) is None:
        return Step(state, (Text(messages.UNKNOWN_CHOICE), question(dialog, state, position=position)))
    return _record(dialog, state, event.choice, position)


def _chosen(state: SessionState, distinction_id: str) -> bool:
    """Whether ``distinction_id`` has an answer with a choice (not skipped)."""
    return any(a.distinction == distinction_id and a.choice is not None for a in state.answers)


def _stale_after_done(_dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (Text(messages.STALE_AFTER_DONE, (Action.SUMMARY, Action.RESTART)),))


def _unknown_command(text: str) -> Text:
    command = text.split()[0]
    return Text(messages.UNKNOWN_COMMAND.format(command=command))


def _ask_to_confirm(state: SessionState, distinction: Distinction, reading: Choice | None, text: str) -> Step:
    """Keep ``reading`` (None: a skip) pending and ask the person whether it is right."""
    asking = replace(state, pending=SKIP_OFFER if reading is None else reading.id)
    label = None if reading is None else reading.label
    return Step(asking, (Confirmation(distinction.id, text, label, state.turn),))


def _confirmed(dialog: Dialog, state: SessionState, yes: bool) -> Step:
    """Settle the pending reading: record it (or skip), or ask the question again."""
    reading = state.pending
    if reading is None:
        return Step(state, (Text(messages.CONFIRM_STALE), question(dialog, state)))
    if not yes:
        cleared = replace(state, pending=None, misses=0)
        return Step(cleared, (question(dialog, cleared, messages.CONFIRM_AGAIN),))
    if reading == SKIP_OFFER:
        return _skip(dialog, state, Skip())
    return _record(dialog, state, reading)


def _typed_yes_no(text: str) -> bool | None:
    words = text.lower().strip(_PUNCTUATION)
    if words in messages.CONFIRM_YES_WORDS:
        return True
    if words in messages.CONFIRM_NO_WORDS:
        return False
    return None


def _confirm(dialog: Dialog, state: SessionState, event: Event) -> Step:
    assert isinstance(event, Confirm)
    if event.turn is not None and event.turn != state.turn:
        return Step(state, (Text(messages.CONFIRM_STALE), question(dialog, state)))
    return _confirmed(dialog, state, event.yes)


def _confirm_when_idle(_dialog: Dialog, state: SessionState, _event: Event) -> Step:
    message = messages.NOT_STARTED if state.phase is Phase.NEW else messages.STALE_AFTER_DONE
    return Step(state, (Text(message),))


def _free_text(dialog: Dialog, state: SessionState, event: Event) -> Step:
    assert isinstance(event, FreeText)
    text = event.text.strip()
    if text.startswith("/"):
        return Step(state, (_unknown_command(text),))
    if event.turn is not None and event.turn != state.turn:
        return Step(state, (Text(messages.STALE_TEXT), question(dialog, state)))
    if not text:
        return Step(state, (Text(messages.EMPTY_TEXT), question(dialog, state)))
    if state.pending is not None:
        yes = _typed_yes_no(text)
        if yes is not None:
            return _confirmed(dialog, state, yes)
        state = replace(state, pending=None)  # new words: read them afresh
    distinction = _current(dialog, state)
    match = match_choice(distinction, text)
    if match.skip:
        return _ask_to_confirm(state, distinction, None, messages.CONFIRM_SKIP)
    if match.choice is not None and match.sure:
        return _record(dialog, state, match.choice.id)
    if match.choice is not None:
        return _ask_to_confirm(
            state, distinction, match.choice, messages.CONFIRM_READ.format(label=match.choice.label)
        )
    count = len(distinction.choices)
    missed = replace(state, misses=state.misses + 1)
    if missed.misses >= _MISSES_BEFORE_SKIP_OFFER:
        return _ask_to_confirm(missed, distinction, None, messages.CONFIRM_SKIP_AFTER_MISSES)
    if match.ambiguous:
        labels = "; ".join(c.label for c in match.candidates)
        hint = messages.AMBIGUOUS.format(labels=labels, count=count)
    elif missed.misses >= 2:
        listing = "; ".join(f"{n} = {c.label}" for n, c in enumerate(distinction.choices, 1))
        hint = messages.SECOND_MISS.format(listing=listing)
    else:
        hint = messages.FIRST_MISS.format(count=count)
    return Step(missed, (question(dialog, missed, hint),))


def _text_when_idle(_dialog: Dialog, state: SessionState, event: Event) -> Step:
    assert isinstance(event, FreeText)
    if event.text.strip().startswith("/"):
        return Step(state, (_unknown_command(event.text.strip()),))
    message = messages.NOT_STARTED if state.phase is Phase.NEW else messages.DONE_TEXT
    return Step(state, (Text(message),))


def _back(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    position = state.position_in(dialog)
    if position == 0:
        return Step(state, (Text(messages.AT_FIRST_QUESTION), question(dialog, state)))
    moved = _move_to(dialog, state, dialog.distinctions[position - 1].id)
    return Step(moved, (question(dialog, moved),))


def _back_from_done(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    moved = _move_to(dialog, state, dialog.distinctions[-1].id)
    return Step(moved, (Text(messages.BACK_TO_LAST), question(dialog, moved)))


def _skip(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    position = state.position_in(dialog)
    distinction = dialog.distinctions[position]
    skipped = state.with_answer(dialog, Answer(distinction.id, None))
    moved = _move_to(dialog, skipped, _after(dialog, skipped, position))
    replies = (Text(messages.SKIPPED.format(title=distinction.title)), *_ask_or_finish(dialog, moved))
    return Step(moved, replies, (RecordAnswer(distinction.id, None, state.turn),))


def _nothing_to_skip(_dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (Text(messages.NOTHING_TO_SKIP, (Action.RESTART,)),))


def _why(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    distinction = _current(dialog, state)
    return Step(state, (Text(messages.WHY_HEADING.format(why=distinction.why)), question(dialog, state)))


def _why_when_done(_dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (Text(messages.WHY_WHEN_DONE, (Action.SUMMARY, Action.RESTART)),))


def _summary_so_far(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (profile_of(dialog, state), question(dialog, state)))


def _summary(dialog: Dialog, state: SessionState, _event: Event) -> Step:
    return Step(state, (profile_of(dialog, state),))


Handler = Callable[[Dialog, SessionState, Event], Step]

TRANSITIONS: dict[tuple[Phase, type[Event]], Handler] = {
    (Phase.NEW, Start): _begin,
    (Phase.NEW, Resume): _begin,
    (Phase.NEW, Restart): _begin,
    (Phase.NEW, Choose): _not_started,
    (Phase.NEW, FreeText): _text_when_idle,
    (Phase.NEW, Confirm): _confirm_when_idle,
    (Phase.NEW, Back): _not_started,
    (Phase.NEW, Skip): _not_started,
    (Phase.NEW, Why): _not_started,
    (Phase.NEW, Summary): _not_started,
    (Phase.NEW, Help): _help,
    (Phase.ASKING, Start): _welcome_back,
    (Phase.ASKING, Resume): _resume,
    (Phase.ASKING, Restart): _restart,
    (Phase.ASKING, Choose): _choose,
    (Phase.ASKING, FreeText): _free_text,
    (Phase.ASKING, Confirm): _confirm,
    (Phase.ASKING, Back): _back,
    (Phase.ASKING, Skip): _skip,
    (Phase.ASKING, Why): _why,
    (Phase.ASKING, Summary): _summary_so_far,
    (Phase.ASKING, Help): _help,
    (Phase.DONE, Start): _finished_already,
    (Phase.DONE, Resume): _finished_already,
    (Phase.DONE, Restart): _restart,
    (Phase.DONE, Choose): _stale_after_done,
    (Phase.DONE, FreeText): _text_when_idle,
    (Phase.DONE, Confirm): _confirm_when_idle,
    (Phase.DONE, Back): _back_from_done,
    (Phase.DONE, Skip): _nothing_to_skip,
    (Phase.DONE, Why): _why_when_done,
    (Phase.DONE, Summary): _summary,
    (Phase.DONE, Help): _help,
}


def step(dialog: Dialog, state: SessionState, event: Event) -> Step:
    """Apply one event, in the dialog's language. Never raises for any event in any state."""
    if state.pending is not None and not isinstance(event, FreeText | Confirm):
        state = replace(state, pending=None)  # a confirmation is answered next, or set aside
    handler = TRANSITIONS[(state.phase, type(event))]
    if current() is dialog.messages:  # already spoken here: entering it again changes nothing
        return handler(dialog, state, event)
    token = enter(dialog.messages)
    try:
        return handler(dialog, state, event)
    finally:
        leave(token)
