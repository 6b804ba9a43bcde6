"""One bot in its own process, polling the fake Bot API of ``bench.wireapi`` over HTTP.

``python -m bench.wirebot SIDE BASE_URL WORKDIR`` runs until SIGTERM; with ``-`` for
BASE_URL it imports what its side needs, then reads the address from stdin (so that its
imports and the fake's start-up overlap). Sides:
- ``baseline``: the docs' ``ConversationHandler`` with ``PicklePersistence``
  (``bench.baseline``), started with ``Application.run_polling()`` as the docs do, on
  PTB's default HTTP layer; ``baseline-limited`` adds PTB's ``AIORateLimiter``.
- ``ours-limited``: exactly ``careerbot telegram`` (the command line's own ``main``), with
  its settings from the environment: what a deployment runs, rate limiter included.
- ``ours``: the same, with the rate limiter swapped for one that sends at once, as the
  baseline (which the docs build without one) does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.fakeapi import TOKEN


def baseline(base_url: str, workdir: Path, limited: bool) -> None:
    from telegram import Update
    from telegram.ext import AIORateLimiter

    from bench.baseline import build_baseline
    from bench.core import the_dialog

    app = build_baseline(
        the_dialog(),
        workdir / "baseline.pickle",
        base_url=base_url,
        rate_limiter=AIORateLimiter() if limited else None,
    )
    app.run_polling(allowed_updates=Update.ALL_TYPES)


def ours(base_url: str, workdir: Path, limited: bool) -> int:
    from bot import cli

    if not limited:
        from bench.ptb import NoRateLimit
        from bot.telegram import adapter

        adapter.default_rate_limiter = NoRateLimit  # type: ignore[assignment]
    os.environ.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        CAREERBOT_DB=str(workdir / "ours.db"),
        CAREERBOT_LOG_LEVEL="WARNING",
    )
    os.chdir(workdir)  # no stray .env file is read
    return cli.main(["telegram"])


SIDES = ("baseline", "baseline-limited", "ours", "ours-limited")


def _import_side(side: str) -> None:
    """What the side imports on its way to polling, done before the fake is there."""
    if side.startswith("baseline"):
        import telegram.ext  # noqa: F401

        import bench.baseline
    else:
        import bot.cli
        import bot.telegram.adapter
        import bot.telegram.http  # noqa: F401
    import bench.core  # noqa: F401


def main(argv: list[str]) -> int:
    side, base_url, workdir = argv[0], argv[1], Path(argv[2])
    if side not in SIDES:
        raise SystemExit(f"unknown side {side!r}, expected one of {', '.join(SIDES)}")
    limited = side.endswith("-limited")
    if base_url == "-":
        _import_side(side)
        base_url = sys.stdin.readline().strip()
        if not base_url:
            raise SystemExit("no Bot API address on stdin")
    if side.startswith("baseline"):
        baseline(base_url, workdir, limited)
        return 0
    return ours(base_url, workdir, limited)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
