"""The picture that goes with a reply: a finished profile is also drawn as a PNG chart.

Rules:
- One rule for every door: only a finished ``Profile`` has a picture (a part-way summary
  gives no verdict, so it has no chart either).
- Pillow is imported only when a picture is drawn, so starting the bot does not load it.
- Couriers draw off the event loop (``png_of``, in a thread). A warm chart is cheap (about
  0.1 ms, ~0.35 ms with the hop), but the first ones are not: fonts and the text a dialog's
  charts share take ~150 ms, and each row's strip for an answer a few ms the first time.
  On the loop that would stall every other person's turn; the hop costs a finished
  conversation a fraction of a millisecond.
- A reply owed in the outbox carries its chart's input, not the picture (``owed_chart``:
  the title, the rows and the words of the scale, in the language of the turn, a few
  hundred bytes as JSON against ~150 KB of PNG as base64); the courier draws it when it
  delivers it (``png_of``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from dialogs.content import Lean
from dialogs.replies import Profile, Reply

FILENAME = "profile.png"


def draw(profile: Profile) -> bytes:
    from bot.chart import chart_of, render_png

    return render_png(chart_of(profile.title, profile.lines))


def owed_chart(reply: Reply) -> dict[str, Any] | None:
    """What ``png_of`` draws ``reply``'s picture from, as JSON values; None when it has no
    picture. Call it in the turn's language: the scale's words are taken from it."""
    if not isinstance(reply, Profile) or not reply.finished:
        return None
    from bot.chart import chart_of

    chart = chart_of(reply.title, reply.lines)
    rows = [[row.label, row.lean, row.answer] for row in chart.rows]
    return {"title": chart.title, "rows": rows, "scale": list(chart.scale), "skipped": chart.skipped}


async def png_of(owed: dict[str, Any]) -> bytes:
    """The PNG of a chart owed as ``owed_chart`` gave it."""
    from bot.chart import Chart, ChartRow, render_png

    rows = tuple(
        ChartRow(label, None if lean is None else Lean(lean), answer) for label, lean, answer in owed["rows"]
    )
    job, between, career = owed["scale"]
    chart = Chart(owed["title"], rows, (job, between, career), owed["skipped"])
    return await asyncio.to_thread(render_png, chart)
