"""The ``careerbot`` command line.

Rules:
- ``chat`` runs the terminal conversation; ``check`` validates dialog files (and with
  ``--db``, reports what they will do to the stored sessions); ``telegram``,
  ``discord`` and ``run`` start the platform adapters; ``stats`` and ``export`` are the
  counsellor's (``bot.counsellor``).
- An operator's mistake prints one line, ``careerbot: <what is wrong>``, and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

from bot import counsellor
from bot.app import StartupError, configure_logging, core_settings, open_service
from bot.config import ConfigError, environment, misspelt
from bot.language import from_locale_environment, negotiate
from dialogs.content import Dialog
from dialogs.edits import impact
from dialogs.i18n import CATALOG_FILE, ENGLISH, entries, messages
from dialogs.loader import BUILTIN_CONTENT, DialogError, load_dialogs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careerbot", description="Is your work a job or a career?")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="have the conversation in this terminal")
    chat.add_argument("--user", default=None, help="whose conversation (default: your login name)")
    chat.add_argument("--db", type=Path, default=None, help="SQLite file (default: $CAREERBOT_DB)")
    chat.add_argument("--dialog", default=None, help="dialog id (default: $CAREERBOT_DEFAULT_DIALOG)")
    chat.add_argument(
        "--lang",
        default=None,
        help="the language to speak, e.g. es (default: your locale, else $CAREERBOT_LANGUAGE)",
    )
    chat.add_argument(
        "--chart",
        type=Path,
        default=None,
        help="where the picture of your profile goes (default: beside the database)",
    )
    check = commands.add_parser("check", help="validate dialog YAML files")
    check.add_argument("path", nargs="?", type=Path, default=None)
    check.add_argument(
        "--db", type=Path, default=None, help="also report what these dialogs do to the sessions stored here"
    )
    translate = commands.add_parser(
        "translate", help="create or update a language's catalog of the bot's sentences (messages.po)"
    )
    translate.add_argument("language", help="a language code, such as es or pt-BR")
    translate.add_argument("path", nargs="?", type=Path, default=None, help="the dialogs' folder")
    commands.add_parser("telegram", help="run the Telegram bot")
    commands.add_parser("discord", help="run the Discord bot")
    commands.add_parser("run", help="run every adapter that has a token configured")
    commands.add_parser("health", help="exit 0 if the settings, dialogs and database are usable")
    counsellor.add_commands(commands)
    return parser


async def _chat(args: argparse.Namespace, env: dict[str, str]) -> None:
    from bot.console import Console, read_lines

    if args.user is not None and not _is_utf8(args.user):
        raise StartupError("--user is not UTF-8 text, expected a name such as --user ana")
    if args.db is not None:
        env["CAREERBOT_DB"] = str(args.db)
    settings = core_settings(env)
    db_named = "--db" if args.db is not None else "CAREERBOT_DB"
    async with open_service(settings, db_named, args.dialog) as services:
        user = args.user or _login_name()
        width = shutil.get_terminal_size().columns - 1 if sys.stdout.isatty() else None
        chart = args.chart or _chart_beside(settings.db_path, user)
        conversations = services.conversations
        language = None
        if args.lang is not None:
            language = negotiate(args.lang, conversations.languages)
            if language is None:
                known = ", ".join(conversations.languages)
                problem = f"--lang {args.lang!r} is not a language the dialogs have"
                raise StartupError(f"{problem}, expected one of: {known}")
        locale = from_locale_environment(dict(os.environ))
        console = Console(
            conversations, user, echo=not sys.stdin.isatty(), width=width, chart=chart, locale=locale
        )
        await console.run(read_lines(sys.stdin), args.dialog, language)


def _chart_beside(db_path: Path, user: str) -> Path:
    """careerbot.db -> careerbot-ana.png: one picture per person, next to their answers."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in user)[:64] or "me"
    return db_path.with_name(f"{db_path.stem}-{safe}.png")


def _is_utf8(text: str) -> bool:
    # Bytes that are not UTF-8 reach argv as lone surrogates, which SQLite cannot store.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "me"


def _check(path: Path | None, env: dict[str, str], db: Path | None = None) -> int:
    target = path or Path(env.get("CAREERBOT_DIALOGS") or BUILTIN_CONTENT)
    try:
        dialogs = load_dialogs(target)
    except DialogError as exc:
        print(exc, file=sys.stderr)
        return 1
    for dialog in dialogs.values():
        print(f"ok: {dialog.id} v{dialog.version}, {dialog.total} distinctions")
    incomplete = _report_languages(next(iter(dialogs.values())), target)
    if incomplete:
        return 1
    if db is not None:
        _report_impact(dialogs, db)
    return 0


def _report_languages(dialog: Dialog, folder: Path) -> bool:
    """One line per language; every sentence a catalog lacks is named (file:1:1, what).
    Returns whether any catalog is incomplete."""
    incomplete = False
    for language, translated in sorted(dialog.translations.items()):
        if translated.messages is ENGLISH:
            continue  # the source: dialogs/messages.py itself
        missing = translated.messages.missing
        po = folder / language / CATALOG_FILE
        for entry in missing:
            print(
                f"{po}:1:1: no translation of {entry.context} ({entry.msgid[:40]!r}), "
                f"expected one (careerbot translate {language} adds the entry)",
                file=sys.stderr,
            )
        incomplete = incomplete or bool(missing)
        if not missing:
            print(f"ok: language {language}, every dialog and all {len(entries())} sentences translated")
    return incomplete


def _translate(language: str, path: Path | None, env: dict[str, str]) -> int:
    from bot.catalogs import update_catalog
    from dialogs.translations import LANGUAGE_PATTERN

    if not LANGUAGE_PATTERN.match(language):
        raise StartupError(f"{language!r} is not a language code, expected one such as es or pt-BR")
    folder = path or Path(env.get("CAREERBOT_DIALOGS") or BUILTIN_CONTENT)
    written, done, todo = update_catalog(folder / language, language)
    print(f"wrote {written}: {done} sentences translated, {todo} to translate")
    return 0


def _report_impact(dialogs: dict[str, Dialog], db: Path) -> None:
    """What these dialogs will do to the sessions stored in ``db``; affected sessions are a
    report, not an error (the exit status stays 0)."""
    from storage.sessions import StorageError
    from storage.survey import stored

    try:
        found_in = stored(db)
    except StorageError as exc:
        raise StartupError(f"--db: {exc}") from None
    sessions = ((s.state, s.damaged) for s in found_in.sessions)
    for found in impact(dialogs, sessions, found_in.structures, found_in.workshops):
        fields = asdict(found)
        if found.stored and found.gone:
            print(messages.CHECK_GONE.format(**fields))
        elif found.stored:
            template = messages.CHECK_AFFECTED if found.affected else messages.CHECK_NONE_AFFECTED
            print(template.format(**fields))
        if found.damaged:
            print(messages.CHECK_DAMAGED.format(**fields))
        if found.workshops:
            print(messages.CHECK_WORKSHOPS.format(**fields))
        if found.workshops_damaged:
            print(messages.CHECK_WORKSHOPS_DAMAGED.format(**fields))


def _health(env: dict[str, str]) -> int:
    """For a container's HEALTHCHECK or a monitor: settings, dialogs, then the database."""
    from storage.health import problem

    settings = core_settings(env)
    try:
        load_dialogs(settings.dialogs_path)
    except DialogError as exc:
        print(f"careerbot: {exc}", file=sys.stderr)
        return 1
    if settings.db_url is not None:
        from storage.postgres.health import problem as postgres_problem

        found = asyncio.run(postgres_problem(settings.db_url, settings.busy_timeout))
    else:
        found = problem(settings.db_path)
    if found is not None:
        print(f"careerbot: CAREERBOT_DB: {found}", file=sys.stderr)
        return 1
    print("ok")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        env = environment()
        for warning in misspelt(env):
            print(f"careerbot: warning: {warning}", file=sys.stderr)
        if args.command == "translate":
            return _translate(args.language, args.path, env)
        if args.command == "check":
            return _check(args.path, env, args.db)
        if args.command == "health":
            return _health(env)
        if args.command == "chat":
            asyncio.run(_chat(args, env))
            return 0
        if args.command in counsellor.COMMANDS:
            asyncio.run(counsellor.run(args, env))
            return 0
        from bot.runner import run_adapters

        settings = core_settings(env)
        configure_logging(settings.log_level)
        asyncio.run(run_adapters(args.command, settings, env))
        return 0
    except (StartupError, ConfigError) as exc:
        print(f"careerbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`careerbot chat | head`): every turn shown so far was
        # committed first, so there is nothing to save; leave quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
