"""Slash command descriptions in every language loaded, for Discord's localizations.

Rules:
- The commands are written with the English descriptions (``dialogs.messages``); this
  ``app_commands.Translator`` gives, for each Discord locale whose language is loaded
  ("es-ES" and "es-419" both find "es", ``bot.language.negotiate``), the same sentence from
  that language's catalog. Discord shows each person the description in their client's
  language.
- Only descriptions are translated: command and option names stay as they are, so
  ``/career start`` is the same command whatever the language.
"""

from __future__ import annotations

from collections.abc import Mapping

from discord import Locale, app_commands

from bot.language import negotiate
from dialogs.i18n import ENGLISH, Catalog

_DESCRIPTIONS = {
    app_commands.TranslationContextLocation.command_description,
    app_commands.TranslationContextLocation.group_description,
    app_commands.TranslationContextLocation.parameter_description,
}


def _sentences(catalog: Catalog) -> dict[str, str]:
    """Every English sentence of the catalog's constants, mapped to its translation."""
    found: dict[str, str] = {}
    for name, english in ENGLISH.values.items():
        translated = catalog.values[name]
        if isinstance(english, str) and isinstance(translated, str):
            found.setdefault(english, translated)
        elif isinstance(english, dict) and isinstance(translated, dict):
            for key, text in english.items():
                found.setdefault(text, translated[key])
    return found


class CatalogTranslator(app_commands.Translator):
    def __init__(self, catalogs: Mapping[str, Catalog]) -> None:
        super().__init__()
        self._by_locale: dict[Locale, dict[str, str]] = {}
        for locale in Locale:
            language = negotiate(locale.value, catalogs)
            if language is not None and catalogs[language] is not ENGLISH:
                self._by_locale[locale] = _sentences(catalogs[language])

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location not in _DESCRIPTIONS:
            return None
        return self._by_locale.get(locale, {}).get(string.message)
