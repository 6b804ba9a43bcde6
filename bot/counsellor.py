"""The counsellor's commands: ``stats``, ``export``, ``workshops`` and ``report``.

- ``workshops`` lists every stored workshop by its id, platform, number in its chat,
  dialog, phase, opening time and how many took part (no chat, no member); ``report ID
  --out PATH.png [--csv PATH.csv]`` draws that workshop's report again
  (``bot.workshop_report``), as its facilitator received it.

Rules:
- They open the same database and dialogs as the bot (``bot.app.open_service``), so they
  need no server and can run beside it. Like every command, opening first erases what is
  past ``CAREERBOT_RETENTION_DAYS`` (so nothing expired is counted); after that they only
  read, except that the first export makes the pseudonym key.
- ``--since DATE`` takes an ISO date or date and time (``2026-01-31``,
  ``2026-01-31T09:00``), read as UTC unless it names its offset; anything else is an
  operator's mistake, one line and exit 2, like every other.
- Output words come from ``dialogs.messages``; the formats from ``bot.stats`` and
  ``bot.export``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import StartupError, core_settings, open_service
from bot.export import export
from bot.stats import FORMATS, gather, render
from bot.workshop_report import build
from dialogs.i18n import messages
from storage.stats import Filters

COMMANDS = ("stats", "export", "workshops", "report")
PLATFORMS = ("telegram", "discord", "console")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser("stats", help="what people answered, in numbers (no one is named)")
    stats.add_argument("--dialog", default=None, help="only this dialog (default: every dialog)")
    stats.add_argument("--since", default=None, help="only conversations active since this date (UTC)")
    stats.add_argument("--platform", choices=PLATFORMS, default=None, help="only this platform's people")
    stats.add_argument("--format", choices=FORMATS, default="table")
    stats.add_argument("--db", type=Path, default=None, help="SQLite file (default: $CAREERBOT_DB)")
    exporting = commands.add_parser("export", help="every answer as CSV, people replaced by pseudonyms")
    exporting.add_argument("--anonymous", action="store_true", help="required: the export is anonymous")
    exporting.add_argument("--since", default=None, help="only answers given since this date (UTC)")
    exporting.add_argument("--db", type=Path, default=None, help="SQLite file (default: $CAREERBOT_DB)")
    exporting.add_argument("path", type=Path, help="the CSV file to write")
    listing = commands.add_parser("workshops", help="past workshops: id, platform, dialog, who took part")
    listing.add_argument("--db", type=Path, default=None, help="SQLite file (default: $CAREERBOT_DB)")
    report = commands.add_parser("report", help="draw a workshop's chart again (ids: careerbot workshops)")
    report.add_argument("workshop", type=int, help="the workshop's id, from careerbot workshops")
    report.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    report.add_argument("--csv", type=Path, default=None, help="also write the aggregate as CSV here")
    report.add_argument("--db", type=Path, default=None, help="SQLite file (default: $CAREERBOT_DB)")


def since_of(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        expected = "expected e.g. 2026-01-31 or 2026-01-31T09:00"
        raise StartupError(f"--since {text!r} is not a date, {expected}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


async def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    if args.db is not None:
        env["CAREERBOT_DB"] = str(args.db)
    settings = core_settings(env)
    db_named = "--db" if args.db is not None else "CAREERBOT_DB"
    if args.command == "stats":
        filters = Filters(since_of(args.since), args.dialog, args.platform)
        async with open_service(settings, db_named, args.dialog) as services:
            store = services.conversations.store.stats()
            dialogs = list(services.conversations.dialogs.values())
            sys.stdout.write(render(await gather(store, dialogs, filters), args.format))
    elif args.command == "workshops":
        async with open_service(settings, db_named) as services:
            found = await services.conversations.store.stats().workshops()
        for w in found:
            opened = datetime.fromtimestamp(w.opened_at, UTC).strftime(messages.MYDATA_TIME)
            print(
                messages.WORKSHOPS_LINE.format(
                    id=w.id,
                    platform=w.platform,
                    number=w.number,
                    dialog=w.dialog,
                    phase=w.phase,
                    opened=opened,
                    participants=w.participants,
                )
            )
        if not found:
            print(messages.WORKSHOPS_NONE)
    elif args.command == "report":
        for path in (args.out, args.csv):
            if path is not None and not path.parent.is_dir():
                raise StartupError(f"{path}: the folder {path.parent} does not exist")
        async with open_service(settings, db_named) as services:
            stats = services.conversations.store.stats()
            report = await build(stats, services.conversations.dialogs, args.workshop)
        if report is None:
            raise StartupError(messages.REPORT_UNKNOWN.format(id=args.workshop))
        args.out.write_bytes(report.png)
        if args.csv is not None:
            args.csv.write_text(report.csv, encoding="utf-8")
        print(messages.REPORT_SAVED.format(id=args.workshop, participants=report.participants, path=args.out))
    elif args.command == "export":
        if not args.anonymous:
            raise StartupError("export writes anonymous data only, expected --anonymous to say so")
        if not args.path.parent.is_dir():
            raise StartupError(f"{args.path}: the folder {args.path.parent} does not exist")
        async with open_service(settings, db_named) as services:
            store = services.conversations.store.stats()
            written = await export(
                store,
                services.conversations.dialogs,
                Filters(since_of(args.since)),
                args.path,
                services.conversations.store.language,
                settings.language,
            )
        print(messages.EXPORT_DONE.format(rows=written, path=args.path, language=settings.language))
