"""Match a free-text answer to one of a question's choices.

The engine records a ``Match`` only when it is ``sure``; a reading that is not sure is
confirmed with the person first, a text that asks to skip is offered a skip, and a text
that fits several choices equally is asked about. So the matcher may guess, but a guess is
never recorded silently: ``sure`` is kept for answers that leave no room for doubt.

Rules, tried in order; the first rule that settles it wins:
1. a number ("2", "2.", "#2") picks the choice at that position (sure);
2. the choice id or the whole label, any case, punctuation ignored (sure), or the whole
   label with a typo per eight letters (sure: a long label typed nearly whole names one
   choice);
3. phrases found in the text: each choice's synonyms, the skip words
   (``messages.SKIP_WORDS``), as whole words with typos forgiven by length (none up to 5
   letters, one up to 8, two beyond). Where found phrases overlap, the one over more words
   wins (then the closer one), so "no idea" is a skip and not the "no" of a choice, and
   "swap shifts" is not "shifts". A phrase right after a denial ("not long",
   ``messages.NOT_WORDS``) does not count. A word of five letters or more that is another's
   beginning ("retirement", "retire") is read too, never surely;
   - one choice found: it is the reading; sure only for a short answer (at most four
     words) found without a typo of more than one letter in seven, with no skip word, no
     denial, no "but" (``messages.BUT_WORDS``) and no number outside the phrase found
     ("5-10 years" says more than "years");
   - choices of different leans found ("fixed, but sometimes I move a shift"): the answer
     names both sides, so the reading is the question's in-between choice, never sure;
   - otherwise the found choices are the ``candidates`` (ambiguous);
   - only skip words found: ``skip``.
Matching is pure, never raises, and is on every typed turn's path, so the phrases of a
question are prepared once and cached.

Typos are measured with rapidfuzz (optimal string alignment distance, so a swapped pair of
letters is one typo): it is well kept, runs in C, and is both faster and more exact than an
edit distance of our own; its batch lookup compares one string with many in one call. A
typical answer takes a few tens of microseconds; a 40-word one a few hundred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from dialogs.content import Choice, Distinction, Lean
from dialogs.i18n import Catalog, current, messages, speaking

_NUMBER = re.compile(r"^\s*(?:#|no\.?\s*)?(\d{1,3})\s*[.)]?\s*$", re.IGNORECASE)
_WORD = re.compile(r"\d+(?:-\d+)+|\w+")  # "9-5" stays one word, "self-taught" is two
_APOSTROPHES = re.compile(r"['\u2019`]")
_SHORT_ANSWER_WORDS = 4  # longer answers say more than one phrase can settle: confirm them
_SURE_SIMILARITY = 0.85  # one typo in seven letters still names the word; more is a guess
# Another form of a word ("dreamed" for "dream") is read, never sure: an ending can change
# what a word says. Shorter words are left alone: "some" is not "someone".
_STEM_LETTERS = 5
_STEM_SIMILARITY = 0.7
_MAX_WORDS = 40  # past this an answer is never sure anyway; the cap bounds the time spent
_MOST_TYPOS = 2
_SKIP = -1  # the "choice" index of a skip word


def _tokens(text: str) -> tuple[str, ...]:
    """Lowercase words, apostrophes dropped ("don't" -> "dont") so both spellings meet."""
    return tuple(_WORD.findall(_APOSTROPHES.sub("", text.casefold())))


def _typos_allowed(letters: int) -> int:
    # Short words are too close to each other to forgive: "some"/"same", "while"/"whole".
    if letters <= 5:
        return 0
    return 1 if letters <= 8 else _MOST_TYPOS


@dataclass(frozen=True, slots=True)
class _Phrase:
    choice: int  # index into the distinction's choices, or _SKIP
    words: int
    key: str  # the words without spaces, so "some times" meets "sometimes"
    typos: int


@dataclass(frozen=True, slots=True)
class _Index:
    exact: dict[str, int]  # a whole answer that is a choice's id or label
    labels: tuple[str, ...]  # each choice's label, spaces removed, for rule 2's typos
    exact_phrases: tuple[_Phrase, ...]  # too short to forgive a typo
    fuzzy_phrases: tuple[_Phrase, ...]
    fuzzy_keys: tuple[str, ...]  # fuzzy_phrases[i].key, for rapidfuzz's batch lookup
    stems: tuple[_Phrase, ...]  # one-word phrases long enough to be met in another form
    longest: int  # words in the longest phrase
    mixed: int | None  # the only in-between choice, if the question has exactly one


@dataclass(frozen=True, slots=True)
class _Hit:
    phrase: _Phrase
    start: int
    end: int  # token span [start, end)
    similarity: float


@dataclass(frozen=True, slots=True)
class Match:
    choice: Choice | None  # the best reading of the text, if any
    candidates: tuple[Choice, ...] = ()  # the choices that fit about equally well
    sure: bool = False  # True: record without asking
    skip: bool = False  # the person does not know, or asks to skip

    @property
    def ambiguous(self) -> bool:
        return self.choice is None and len(self.candidates) > 1


@dataclass(frozen=True, slots=True)
class _Words:
    """The language's words that are not choices: skip phrases, denials, "but"s."""

    skip: tuple[tuple[str, ...], ...]
    denials: frozenset[str]
    buts: frozenset[str]


@lru_cache(maxsize=32)
def _words_of(catalog: Catalog) -> _Words:
    with speaking(catalog):
        return _Words(
            skip=tuple(_tokens(words) for words in messages.SKIP_WORDS),
            denials=frozenset(word for words in messages.NOT_WORDS for word in _tokens(words)),
            buts=frozenset(word for words in messages.BUT_WORDS for word in _tokens(words)),
        )


def _phrase(choice: int, words: tuple[str, ...]) -> _Phrase:
    key = "".join(words)
    return _Phrase(choice, len(words), key, _typos_allowed(len(key)))


@lru_cache(maxsize=256)
def _index(choices: tuple[Choice, ...], skip: tuple[tuple[str, ...], ...]) -> _Index:
    """The phrases of one question's choices and the language's skip phrases (all a
    question's reading needs)."""
    exact: dict[str, int] = {}
    phrases = [_phrase(_SKIP, words) for words in skip if words]
    for n, choice in enumerate(choices):
        for name in (choice.id, choice.label):
            exact.setdefault(" ".join(_tokens(name)), n)
        phrases.extend(_phrase(n, words) for words in map(_tokens, choice.synonyms) if words)
    mixed = [n for n, choice in enumerate(choices) if choice.leans is Lean.MIXED]
    return _Index(
        exact=exact,
        labels=tuple("".join(_tokens(choice.label)) for choice in choices),
        exact_phrases=tuple(p for p in phrases if p.typos == 0),
        fuzzy_phrases=tuple(p for p in phrases if p.typos > 0),
        fuzzy_keys=tuple(p.key for p in phrases if p.typos > 0),
        stems=tuple(p for p in phrases if p.words == 1 and len(p.key) >= _STEM_LETTERS),
        longest=max((phrase.words for phrase in phrases), default=1),
        mixed=mixed[0] if len(mixed) == 1 else None,
    )


def _near_label(index: _Index, words: tuple[str, ...]) -> int | None:
    """The one choice whose whole label the answer is, give or take a typo per eight letters."""
    typed = "".join(words)
    found = process.extract(
        typed, index.labels, scorer=OSA.distance, score_cutoff=len(typed) // 8, limit=2
    )
    if len(found) == 1 and found[0][1] <= len(index.labels[found[0][2]]) // 8:
        return int(found[0][2])
    return None


def _hits(index: _Index, words: tuple[str, ...]) -> list[_Hit]:
    """Every phrase found in the text, as whole words, typos forgiven by the phrase's length."""
    # Every run of words, spaces removed; a typed phrase may have one word more or fewer
    # than written ("some times", "im"). Phrases too short for a typo are looked up in a
    # dict; the others with rapidfuzz, from whichever side makes fewer calls.
    spans = [
        (start, stop)
        for start in range(len(words))
        for stop in range(start + 1, min(len(words), start + index.longest + 1) + 1)
    ]
    runs = ["".join(words[start:stop]) for start, stop in spans]
    exact: dict[str, list[int]] = {}
    for at, run in enumerate(runs):
        exact.setdefault(run, []).append(at)
    found = [(phrase, at, 0) for phrase in index.exact_phrases for at in exact.get(phrase.key, ())]
    fuzzy = index.fuzzy_phrases
    if len(runs) < len(fuzzy):  # a short answer: look each run up among the phrases
        for at, run in enumerate(runs):
            for _key, typos, n in process.extract(
                run, index.fuzzy_keys, scorer=OSA.distance, score_cutoff=_MOST_TYPOS, limit=None
            ):
                found.append((fuzzy[n], at, typos))
    else:  # a long one: look each phrase up among the runs of about its length
        by_length: dict[int, list[int]] = {}
        for at, run in enumerate(runs):
            by_length.setdefault(len(run), []).append(at)
        for phrase in fuzzy:
            near = [
                at
                for length in range(len(phrase.key) - phrase.typos, len(phrase.key) + phrase.typos + 1)
                for at in by_length.get(length, ())
            ]
            candidates = [runs[at] for at in near]
            for _run, typos, n in process.extract(
                phrase.key, candidates, scorer=OSA.distance, score_cutoff=phrase.typos, limit=None
            ):
                found.append((phrase, near[n], typos))
    hits = []
    for phrase, at, typos in found:
        if typos <= phrase.typos:
            start, stop = spans[at]
            # Only a word long enough to forgive a typo may be split or joined: "so me" is
            # not "some", but "some times" is "sometimes".
            split = abs(phrase.words - (stop - start))
            if split == 0 or (split == 1 and phrase.typos > 0):
                hits.append(_Hit(phrase, start, stop, 1 - typos / len(phrase.key)))
    covered = {at for hit in hits for at in range(hit.start, hit.end)}
    for at, word in enumerate(words):
        if at not in covered and len(word) >= _STEM_LETTERS:
            hits.extend(_Hit(p, at, at + 1, _STEM_SIMILARITY) for p in index.stems if _same_stem(word, p.key))
    return hits


def _same_stem(word: str, key: str) -> bool:
    """One word is the other with an ending added: "retirement"/"retire", "accomplish"/"-ment"."""
    return word.startswith(key) or key.startswith(word)


def _kept(hits: list[_Hit]) -> list[_Hit]:
    """Hits over more words first, then closer ones; a hit overlapping a kept one is dropped."""
    kept: list[_Hit] = []
    taken: set[int] = set()
    ranked = sorted(hits, key=lambda h: (h.start - h.end, -h.similarity, -len(h.phrase.key), h.start))
    for hit in ranked:
        span = set(range(hit.start, hit.end))
        if not span & taken:
            kept.append(hit)
            taken |= span
    return kept


def _denied(hit: _Hit, words: tuple[str, ...], read: set[int], denials: frozenset[str]) -> bool:
    """A denial just before the hit, not itself part of a phrase read ("not sure, probably")."""
    if hit.phrase.choice == _SKIP or words[hit.start] in denials:
        return False  # a phrase that is itself a denial ("not much") means what it says
    before = range(max(0, hit.start - 2), hit.start)
    return any(words[at] in denials and at not in read for at in before)


def _unread_number(words: tuple[str, ...], found: list[_Hit]) -> bool:
    read = {at for hit in found for at in range(hit.start, hit.end)}
    return any(at not in read and any(c.isdigit() for c in word) for at, word in enumerate(words))


def match_choice(distinction: Distinction, text: str) -> Match:
    choices = distinction.choices
    number = _NUMBER.match(text)
    if number:
        position = int(number.group(1)) - 1
        return Match(choices[position], sure=True) if 0 <= position < len(choices) else Match(None)
    words = _tokens(text)[:_MAX_WORDS]
    if not words:
        return Match(None)
    language = _words_of(current())
    index = _index(choices, language.skip)
    exact = index.exact.get(" ".join(words))
    if exact is None:
        exact = _near_label(index, words)
    if exact is not None:
        return Match(choices[exact], sure=True)

    kept = _kept(_hits(index, words))
    read = {at for hit in kept for at in range(hit.start, hit.end)}
    found = [
        hit
        for hit in kept
        if hit.phrase.choice != _SKIP and not _denied(hit, words, read, language.denials)
    ]
    asked_to_skip = any(hit.phrase.choice == _SKIP for hit in kept)
    chosen = sorted({hit.phrase.choice for hit in found})
    if not chosen:
        return Match(None, skip=asked_to_skip)
    if len(chosen) == 1:
        doubt = (
            asked_to_skip
            or len(found) < len(kept)  # something was denied or asked to skip
            or len(words) > _SHORT_ANSWER_WORDS
            or any(word in language.buts for word in words)
            or _unread_number(words, found)
            or max(hit.similarity for hit in found) < _SURE_SIMILARITY
        )
        return Match(choices[chosen[0]], sure=not doubt)
    candidates = tuple(choices[n] for n in chosen)
    if index.mixed is not None and len({choice.leans for choice in candidates}) > 1:
        return Match(choices[index.mixed], candidates)
    return Match(None, candidates)
