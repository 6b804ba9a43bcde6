"""``careerbot export --anonymous``: one CSV row per answer, with a pseudonym for the person.

Rules:
- A person's id in the file is a keyed hash, HMAC-SHA256 over (platform, user) with the
  key ``StatsStore.pseudonym_key`` keeps in the database: the same person gets the same id
  in every export from this database, two people get different ids, and without the key
  nobody can go from an id back to a platform account (nor test a guess).
- Nothing else about a person is written: no name, no chat, no platform user id.
- Columns: person, dialog, language, distinction, choice, lean, answered_at (UTC, ISO 8601).
  A skipped question has no choice and the lean "skipped". The language is the one the
  person chose (``/language``, ``--lang``), else the default (``CAREERBOT_LANGUAGE``): the
  language of an app's hint is never stored, so it cannot be written.
- The file is written beside its final name and renamed into place, readable by its owner
  only: an interrupted export leaves no half file.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from dialogs.content import Dialog
from storage.contract import StatsContract
from storage.stats import AnswerRecord, Filters

LanguageOf = Callable[[str, str], Awaitable[str | None]]  # (platform, user) -> their choice
SKIPPED = "skipped"
HEADER = ("person", "dialog", "language", "distinction", "choice", "lean", "answered_at")
_PSEUDONYM_CHARS = 20  # 80 bits: no two people of a database collide in practice


def pseudonym(key: bytes, platform: str, user: str) -> str:
    message = f"{platform}\x00{user}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_PSEUDONYM_CHARS]


def _lean(dialogs: Mapping[str, Dialog], answer: AnswerRecord) -> str:
    if answer.choice is None:
        return SKIPPED
    dialog = dialogs.get(answer.dialog)
    distinction = (
        next((d for d in dialog.distinctions if d.id == answer.distinction), None) if dialog else None
    )
    choice = distinction.choice(answer.choice) if distinction else None
    return choice.leans.value if choice else ""


async def languages_of(
    answers: Iterable[AnswerRecord], language_of: LanguageOf, default: str
) -> dict[tuple[str, str], str]:
    """Each person's language, read once per person."""
    found: dict[tuple[str, str], str] = {}
    for a in answers:
        if (a.platform, a.user) not in found:
            found[a.platform, a.user] = await language_of(a.platform, a.user) or default
    return found


def rows(
    key: bytes,
    dialogs: Mapping[str, Dialog],
    answers: Iterable[AnswerRecord],
    languages: Mapping[tuple[str, str], str],
) -> list[tuple[str, ...]]:
    return [
        (
            pseudonym(key, a.platform, a.user),
            a.dialog,
            languages[a.platform, a.user],
            a.distinction,
            a.choice or "",
            _lean(dialogs, a),
            datetime.fromtimestamp(a.answered_at, UTC).isoformat(timespec="seconds"),
        )
        for a in answers
    ]


def write_csv(path: Path, table: Iterable[tuple[str, ...]]) -> None:
    """Write ``HEADER`` and ``table`` to ``path`` (0600), all or nothing."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(HEADER)
            writer.writerows(table)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def export(
    store: StatsContract,
    dialogs: Mapping[str, Dialog],
    filters: Filters,
    path: Path,
    language_of: LanguageOf,
    default_language: str,
) -> int:
    """Write the anonymous export; returns how many answers it holds."""
    answers = await store.answers(filters)
    languages = await languages_of(answers, language_of, default_language)
    table = rows(await store.pseudonym_key(), dialogs, answers, languages)
    write_csv(path, table)
    return len(table)
