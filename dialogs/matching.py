"""Match a free-text answer to one of a question's choices.

Rules, tried in order; the first rule that settles it wins:
1. a number ("2", "2.", "#2") picks the choice at that position;
2. the choice id or the whole label (any case, surrounding punctuation ignored);
3. the label or a synonym appearing in the text as whole words.
If rule 3 finds several choices, the match is ``ambiguous`` and lists them; if no rule
finds one, it is a miss. Matching is pure and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialogs.content import Choice, Distinction

_NUMBER = re.compile(r"^\s*(?:#|no\.?\s*)?(\d{1,3})\s*[.)]?\s*$", re.IGNORECASE)
_WORD = re.compile(r"[\w'-]+")


@dataclass(frozen=True, slots=True)
class Match:
    choice: Choice | None
    candidates: tuple[Choice, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.choice is None and len(self.candidates) > 1


def _words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def match_choice(distinction: Distinction, text: str) -> Match:
    number = _NUMBER.match(text)
    if number:
        index = int(number.group(1)) - 1
        if 0 <= index < len(distinction.choices):
            return Match(distinction.choices[index])
        return Match(None)
    normalised = _words(text)
    if normalised.strip() == "":
        return Match(None)
    for choice in distinction.choices:
        if normalised in (_words(choice.id), _words(choice.label)):
            return Match(choice)
    found = tuple(
        choice
        for choice in distinction.choices
        if any(_words(phrase) in normalised for phrase in (choice.label, *choice.synonyms))
    )
    if len(found) == 1:
        return Match(found[0])
    return Match(None, found)
