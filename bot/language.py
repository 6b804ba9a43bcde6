"""Which language to speak to a person: their choice, else their platform's, else the default.

Rules:
- A language the person chose (``/language``) is stored with their sessions and wins.
- Otherwise the platform's hint (Telegram's ``language_code`` "es" or "es-419", Discord's
  ``locale`` "es-ES", the terminal's ``--lang`` or locale) is negotiated against the
  languages loaded with Babel's ``negotiate_locale``: "es-419" and "es-ES" both find "es".
- Otherwise ``CAREERBOT_LANGUAGE`` (English unless set). An unknown hint ("xx") is no error.
- An adapter names the platform's hint once per update (``hint``), where the update comes
  in; everything that runs for that update in that task finds it (``hinted``).
- A language's name, for its button, is its own name in itself (Babel's CLDR data):
  "English", "español".
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from functools import lru_cache

from babel import Locale, UnknownLocaleError, negotiate_locale

_hint: ContextVar[str | None] = ContextVar("careerbot_language_hint", default=None)


def hint(language: str | None) -> None:
    """The language the platform says the person uses, for the rest of this task."""
    _hint.set(language)


def hinted() -> str | None:
    return _hint.get()


def negotiate(hint: str | None, available: Iterable[str]) -> str | None:
    """The loaded language that best fits a platform's hint, or None."""
    if not hint:
        return None
    return _negotiated(hint, tuple(available))


@lru_cache(maxsize=1024)
def _negotiated(hint: str, available: tuple[str, ...]) -> str | None:
    # On every turn of everyone whose app names a language: a few hints, asked often.
    return negotiate_locale([hint.replace("_", "-")], list(available), sep="-")


def from_locale_environment(env: dict[str, str]) -> str | None:
    """The terminal's language as POSIX names it (``LC_ALL``, ``LC_MESSAGES``, ``LANG``):
    "es_ES.UTF-8" is "es-ES"; "C" and "POSIX" name none."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").split(".")[0].split("@")[0]
        if value:
            return None if value in {"C", "POSIX"} else value.replace("_", "-")
    return None


def own_name(language: str) -> str:
    """A language's name in itself, capitalised as on a button ("Español")."""
    try:
        name = Locale.parse(language, sep="-").get_display_name() or language
    except (ValueError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:]
