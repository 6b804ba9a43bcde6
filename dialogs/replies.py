"""Replies: what the engines want shown, free of any platform.

Rules:
- Replies are frozen values; an adapter decides how each looks (buttons, an edit, an
  ephemeral message) but never changes what it says.
- Every reply says who should see it (``Audience``).
- A question carries the turn it belongs to; buttons built from it carry that turn back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# ChoiceView is defined with the content, which computes each question's views once.
from dialogs.content import ChoiceView as ChoiceView
from dialogs.content import Lean


class Audience(enum.StrEnum):
    PERSON = "person"
    EVERYONE = "everyone"
    FACILITATOR = "facilitator"


class Action(enum.StrEnum):
    """Commands that an adapter may offer as buttons beside a reply."""

    RESUME = "resume"
    RESTART = "restart"
    BACK = "back"
    SKIP = "skip"
    WHY = "why"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a person is: "Question 3 of 8", and a bar that counts the questions answered
    (not the position: after /back the bar still shows what is done)."""

    position: int  # 1-based number of the current question
    total: int
    answered: int

    @property
    def bar(self) -> str:
        done = min(self.answered, self.total)
        return "▰" * done + "▱" * (self.total - done)


@dataclass(frozen=True, slots=True)
class Text:
    """A line of the bot's own. ``brief``: a short remark on the button press that caused
    it, which changed nothing; a platform that can answer a press in passing (Telegram's
    callback notification) shows it there instead of as a message."""

    text: str
    actions: tuple[Action, ...] = ()
    audience: Audience = Audience.PERSON
    brief: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    distinction: str
    title: str
    text: str
    choices: tuple[ChoiceView, ...]
    progress: Progress
    turn: int
    current: str | None = None  # the choice already given, when a question is asked again
    hint: str | None = None
    actions: tuple[Action, ...] = (Action.BACK, Action.SKIP, Action.WHY)
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class Answered:
    """The person's answer was recorded; adapters may mark the question message with it."""

    distinction: str
    question: str
    label: str
    turn: int
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class Explanation:
    """The difference on one distinction, both sides, then the line about the person's answer."""

    distinction: str
    title: str
    job: str
    career: str
    yours: str
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The engine is not sure what typed words meant: ask before recording. ``label`` is the
    choice it read (None: it offers to skip the question). Adapters offer Yes / Choose again
    (``Confirm`` events carrying ``turn``); the terminal takes y / n."""

    distinction: str
    text: str
    label: str | None
    turn: int
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class ProfileLine:
    title: str
    answer: str | None  # None: skipped
    leans: Lean | None


@dataclass(frozen=True, slots=True)
class LookNext:
    """A distinction that leaned towards a job, offered as a place to look, with its why."""

    title: str
    why: str


@dataclass(frozen=True, slots=True)
class Profile:
    """A person's answers in words. Finished: ``headline`` ("5 of your 8 answers lean
    towards a career"), a line per distinction, where to look next and a closing. Part-way
    (``remaining`` > 0): only the lines so far and how many remain, no verdict."""

    title: str  # the dialog's title (the chart's heading)
    heading: str
    headline: str | None
    lines: tuple[ProfileLine, ...]
    look_next: tuple[LookNext, ...]
    closing: str | None
    remaining: int = 0
    audience: Audience = Audience.PERSON

    @property
    def finished(self) -> bool:
        return self.remaining == 0 and self.closing is not None


@dataclass(frozen=True, slots=True)
class TallyRow:
    label: str
    leans: Lean
    count: int
    percent: int


@dataclass(frozen=True, slots=True)
class Tally:
    """How a workshop group answered one distinction (no names, only counts)."""

    distinction: str
    title: str
    rows: tuple[TallyRow, ...]
    voters: int
    audience: Audience = Audience.EVERYONE


Reply = Text | Question | Answered | Explanation | Confirmation | Profile | Tally


# --- workshop replies ---------------------------------------------------------------------
# A workshop step answers with ``WorkshopReply`` values. EVERYONE goes to the group or
# channel, PERSON only to whoever sent the event (Telegram: the callback's alert text or a
# reply; Discord: ephemeral), FACILITATOR only to the facilitator.


@dataclass(frozen=True, slots=True)
class VoteQuestion:
    """A workshop question for the whole group; its buttons are vote buttons
    (workshop, distinction, choice). ``count`` is the "how many answered" line."""

    workshop: int
    distinction: str
    title: str
    text: str
    choices: tuple[ChoiceView, ...]
    progress: Progress
    count: str
    audience: Audience = Audience.EVERYONE


@dataclass(frozen=True, slots=True)
class VoteRecorded:
    """A member's vote is stored (last press wins); shown to that member only, short enough
    for a Telegram callback alert (200 characters)."""

    workshop: int
    distinction: str
    choice: str
    text: str
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class VoteCount:
    """How many members have answered the current question; adapters coalesce these into
    occasional edits of the ``VoteQuestion`` message (``bot.coalesce``)."""

    workshop: int
    distinction: str
    voters: int
    text: str
    audience: Audience = Audience.EVERYONE


@dataclass(frozen=True, slots=True)
class Difference:
    """The explanation of one distinction for the group, after its tally: each lean's side."""

    distinction: str
    title: str
    explain: tuple[tuple[Lean, str], ...]
    why: str
    audience: Audience = Audience.EVERYONE


@dataclass(frozen=True, slots=True)
class GroupProfileRow:
    title: str
    leans: Lean | None  # the group's majority lean; None: nobody answered
    voters: int


@dataclass(frozen=True, slots=True)
class GroupProfile:
    """The group's profile across the revealed distinctions; ``counts`` counts each
    distinction once, under the lean the group's majority chose there."""

    workshop: int
    heading: str
    counts: dict[Lean, int]
    rows: tuple[GroupProfileRow, ...]
    closing: str
    audience: Audience = Audience.EVERYONE


@dataclass(frozen=True, slots=True)
class MemberProfileOffer:
    """Offer every member their own profile, privately (Telegram: a deep-link button into
    a private chat; Discord: a button answered with an ephemeral ``Profile``)."""

    workshop: int
    text: str
    audience: Audience = Audience.EVERYONE


@dataclass(frozen=True, slots=True)
class WorkshopRunning:
    """Another workshop is running: ask whether to end it. Adapters offer a confirm button
    that sends ``Open(force=True)`` and a button that keeps the running one."""

    workshop: int
    text: str
    audience: Audience = Audience.PERSON


WorkshopReply = (
    Text
    | Tally
    | Profile
    | VoteQuestion
    | VoteRecorded
    | VoteCount
    | Difference
    | GroupProfile
    | MemberProfileOffer
    | WorkshopRunning
)
