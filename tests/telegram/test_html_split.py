"""The Telegram HTML split: parts that fit as a person sees them, each well-formed."""

from __future__ import annotations

import pytest

from bot.telegram.html_split import split_html
from tests.fakes.telegram_spec import render_html


@pytest.mark.parametrize("limit", [2, 3, 5, 7, 50])
def test_parts_fit_and_read_as_the_whole(limit: int) -> None:
    text = '<b>R&amp;D <a href="tg://user?id=5">Zo&#235;</a></b> &lt;tea&gt; ' * 20
    parts = split_html(text, limit)
    # Every part parses on its own (a broken tag or entity raises) and fits.
    shown = [render_html(part) for part in parts]
    assert all(len(part) <= limit for part in shown)
    # Nothing is lost but the spaces cut at.
    assert "".join(shown).replace(" ", "") == render_html(text).replace(" ", "")


def test_a_tag_open_at_a_cut_is_closed_and_opened_again() -> None:
    assert split_html("<i>ab\ncd</i>", 3) == ["<i>ab</i>", "<i>cd</i>"]


def test_cuts_prefer_line_breaks_then_spaces() -> None:
    assert split_html("ab cd\nef gh", 6) == ["ab cd", "ef gh"]
    assert split_html("ab cd ef", 6) == ["ab cd", "ef"]
    assert split_html("short", 4096) == ["short"]
