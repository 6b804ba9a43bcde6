"""The picture that goes with a reply: a finished profile is also drawn as a PNG chart.

Rules:
- One rule for every door: only a finished ``Profile`` has a picture (a part-way summary
  gives no verdict, so it has no chart either).
- Pillow is imported only when a picture is drawn, so starting the bot does not load it.
- Adapters draw off the event loop (``picture_of``): a chart takes milliseconds of CPU,
  which other people's turns should not wait behind.
"""

from __future__ import annotations

import asyncio

from dialogs.replies import Profile, Reply

FILENAME = "profile.png"


def draw(profile: Profile) -> bytes:
    from bot.chart import chart_of, render_png

    return render_png(chart_of(profile.title, profile.lines))


async def picture_of(reply: Reply) -> bytes | None:
    """The PNG for ``reply``, or None when it has no picture."""
    if not isinstance(reply, Profile) or not reply.finished:
        return None
    return await asyncio.to_thread(draw, reply)
