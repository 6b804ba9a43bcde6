"""A sentence that changes with a count, in as many forms as its language has.

Rules:
- ``forms`` are the language's gettext plural forms in order (``msgstr[0]``, ``msgstr[1]``,
  ...); the English source has two, (one, other).
- ``rule`` is the catalog's ``Plural-Forms`` expression (C syntax, as gettext and Babel
  write it), so a language with three or four forms (Polish, Russian) picks the right one
  without code: the count chooses the form, the form is then filled in like any template.
- A form index past the forms a catalog gives (a damaged header) falls back to the last one
  rather than failing while the sentence is said.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

ENGLISH_RULE = "(n != 1)"


@cache
def _compiled(rule: str) -> Callable[[int], int]:
    # gettext's own parser of Plural-Forms: it accepts only the C expression grammar.
    return gettext.c2py(rule)


def valid_rule(rule: str) -> bool:
    """Whether ``rule`` is a Plural-Forms expression gettext can evaluate."""
    try:
        _compiled(rule)(1)
    except (ValueError, SyntaxError, RecursionError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Plural:
    """One sentence in every plural form of its language."""

    forms: tuple[str, ...]
    rule: str = ENGLISH_RULE

    def form(self, count: int) -> str:
        """The form ``count`` takes, not yet filled in."""
        index = int(_compiled(self.rule)(count))
        return self.forms[min(index, len(self.forms) - 1)]

    def say(self, count: int, /, **fields: object) -> str:
        """The form for ``count`` with its ``{fields}`` filled in."""
        return self.form(count).format(**fields)
