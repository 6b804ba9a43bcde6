"""The terminal chat's layout (the process itself is driven in test_chat_e2e.py)."""

from __future__ import annotations

import io

from bot.console import Console, wrap
from bot.conversations import Conversations
from dialogs.events import Start


def test_wrap_keeps_lines_within_the_width_and_numbered_choices_indented() -> None:
    text = "Title 1/8\n  2. " + "a choice label that goes on and on " * 3 + "\nshort"
    wrapped = wrap(text, 40).split("\n")
    assert all(len(line) <= 40 for line in wrapped)
    assert wrapped[0] == "Title 1/8" and wrapped[-1] == "short"
    assert wrapped[1].startswith("  2. a choice")
    assert all(line.startswith("     ") for line in wrapped[2:-1])  # under the words, not the number
    assert " ".join(w.strip() for w in wrapped[1:-1]) == text.split("\n")[1].strip()


async def test_a_terminal_wraps_and_a_pipe_does_not(conversations: Conversations) -> None:
    narrow, piped = io.StringIO(), io.StringIO()
    await Console(conversations, "ana", out=narrow, width=50).turn(Start())
    await Console(conversations, "bo", out=piped).turn(Start())
    assert max(len(line) for line in narrow.getvalue().splitlines()) <= 50
    assert max(len(line) for line in piped.getvalue().splitlines()) > 50
    assert narrow.getvalue().split() == piped.getvalue().split()  # the same words either way
