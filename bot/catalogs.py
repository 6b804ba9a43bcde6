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
    # context -> (English it translated, translation); a plural entry's are tuples
    old: dict[str, tuple[str | tuple[str, ...], str | tuple[str, ...]]] = {}
    if path.is_file():
        with path.open("rb") as source:
            for message in read_po(source):
                if message.id and message.string and any(message.string):
                    strings = message.string
                    translation = tuple(strings) if isinstance(strings, tuple | list) else strings
                    old[message.context or ""] = (
                        tuple(message.id) if isinstance(message.id, tuple | list) else message.id,
                        translation,
                    )
    po = PoCatalog(locale=language.replace("-", "_"), project="careerbot", fuzzy=False)
    done = 0
    for entry in entries():
        english: str | tuple[str, ...] = (entry.msgid, entry.plural) if entry.plural else entry.msgid
        was, translated = old.get(entry.context, (english, ""))
        if isinstance(translated, tuple) != bool(entry.plural):
            was, translated = english, ""  # the entry became (or stopped being) a plural one
        if entry.plural:
            forms = translated if isinstance(translated, tuple) else ()
            # one form per form of the language's rule, the missing ones empty for a translator
            translated = tuple(forms[i] if i < len(forms) else "" for i in range(po.num_plurals))
        fuzzy = bool(translated) and any(translated) and was != english
        done += all(translated) and bool(translated) and not fuzzy
        po.add(english, translated, context=entry.context, flags=("fuzzy",) if fuzzy else ())
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, po, width=0, omit_header=False)
    return path, done, len(entries()) - done
