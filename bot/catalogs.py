"""Write a language's gettext catalog of the bot's sentences, for translators' tools.

Rules:
- ``careerbot translate LANG`` creates ``<dialogs>/<LANG>/messages.po``, or brings an
  existing one up to date with ``dialogs/messages.py``: every entry the English has, each
  with its context (``dialogs.i18n``), keeping the translations already made; an entry
  whose English changed keeps its old translation marked fuzzy (unused until a translator
  confirms it), as gettext's msgmerge does.
- The file is plain gettext: Poedit, Weblate or any .po editor opens it.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import read_po, write_po

from dialogs.i18n import CATALOG_FILE, entries


def update_catalog(folder: Path, language: str) -> tuple[Path, int, int]:
    """Write ``folder/messages.po``; returns its path, how many entries are translated and
    how many still need a translator."""
    path = folder / CATALOG_FILE
    old: dict[str, tuple[str, str]] = {}  # context -> (English it translated, translation)
    if path.is_file():
        with path.open("rb") as source:
            for message in read_po(source):
                if message.id and isinstance(message.string, str) and message.string:
                    old[message.context or ""] = (str(message.id), message.string)
    po = PoCatalog(locale=language.replace("-", "_"), project="careerbot", fuzzy=False)
    done = 0
    for entry in entries():
        english, translated = old.get(entry.context, (entry.msgid, ""))
        fuzzy = bool(translated) and english != entry.msgid
        done += bool(translated) and not fuzzy
        po.add(entry.msgid, translated, context=entry.context, flags=("fuzzy",) if fuzzy else ())
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, po, width=0, omit_header=False)
    return path, done, len(entries()) - done
