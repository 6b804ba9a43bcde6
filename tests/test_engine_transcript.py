"""The engine's outputs, pinned: thousands of seeded steps through every kind of event
must give exactly the replies, states and writes they gave when the digest was recorded.

Speed work on ``dialogs/engine.py`` and ``dialogs/state.py`` (precomputed tuples, one
state built per step, dict lookups) must change nothing a person sees or storage gets;
this test fails on any difference. The walk uses the built-in dialog and English; when
its words or the messages change on purpose, record the digest again from the engine as
it was before (``python -m tests.test_engine_transcript`` prints it) and say why.
"""

from __future__ import annotations

import hashlib
import random
import sys

from dialogs.content import Dialog
from dialogs.engine import new_state, step
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
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs
from dialogs.replies import Confirmation, Question
from dialogs.state import SessionState

WALKS = 300
STEPS = 40
# Recorded again when a press on a question answered before became a brief remark
# (``messages.ALREADY_ANSWERED``) instead of the current question shown again.
DIGEST = "294be608bf49a8e1d69ad7574609d97696ac5584e4c7fb5d78ad243fcf3c2ee0"


def _event(rng: random.Random, dialog: Dialog, state: SessionState, last: object) -> Event:
    """A random event, weighted towards answering what was last shown."""
    roll = rng.random()
    shown = last if isinstance(last, tuple) else ()
    asked = next((r for r in shown if isinstance(r, Question)), None)
    confirm = next((r for r in shown if isinstance(r, Confirmation)), None)
    if confirm is not None and roll < 0.5:
        return Confirm(rng.random() < 0.7, confirm.turn if rng.random() < 0.9 else confirm.turn - 1)
    if asked is not None and roll < 0.6:
        choice = rng.choice(asked.choices).id
        turn = asked.turn if rng.random() < 0.9 else asked.turn - 1
        return Choose(asked.distinction, choice, turn)
    if roll < 0.7:
        distinction = rng.choice(dialog.distinctions)
        words = [c.label for c in distinction.choices] + ["1", "2", "3", "no idea", "yes", "no", "?", "pay"]
        return FreeText(rng.choice(words), rng.choice([None, state.turn, state.turn - 1]))
    kinds: list[Event] = [Start(), Resume(), Back(), Skip(), Restart(), Why(), Summary(), Help()]
    kinds.append(Choose(rng.choice(dialog.distinctions).id, "nonsense", state.turn))
    return rng.choice(kinds)


def transcript_digest() -> str:
    dialog = load_dialogs(BUILTIN_CONTENT)[DEFAULT_DIALOG_ID]
    digest = hashlib.sha256()
    for walk in range(WALKS):
        rng = random.Random(walk)
        state, last = new_state(dialog), None
        for _ in range(STEPS):
            event = _event(rng, dialog, state, last)
            result = step(dialog, state, event)
            digest.update(repr((event, result.state, result.replies, result.writes)).encode())
            state, last = result.state, result.replies
    return digest.hexdigest()


def test_the_engine_says_and_stores_exactly_what_it_did() -> None:
    assert transcript_digest() == DIGEST


if __name__ == "__main__":
    print(transcript_digest())
    sys.exit(0)
