"""The profile: computed from a session's answers and the content, never stored.

Rules:
- A finished profile reads as counselling: a headline in words about the leaning that won
  ("5 of your 8 answers lean towards a career"), one line per distinction recalling the
  answer and its lean, the distinctions that leaned towards a job offered as places to
  look next (each with its "why"), and the outro's closing, which respects both paths.
- The leaning that won is the lean with the most answers; a tie, or a mixed majority,
  reads as "in between", because neither side clearly won.
- A finished session (phase done) gets the verdict over the answers it has; part-way
  (``/summary`` before the end) the profile lists the answers so far and how many remain,
  and gives no verdict: no headline, no places to look, no closing.
- Skipped distinctions are shown as skipped and count towards no lean.
"""

from __future__ import annotations

from dialogs.content import Dialog, Lean
from dialogs.i18n import messages
from dialogs.replies import LookNext, Profile, ProfileLine
from dialogs.state import Phase, SessionState

_LEANS = tuple(Lean)  # iterating the enum itself costs more, on every finished profile


def dominant_lean(counts: dict[Lean, int]) -> Lean:
    best = max(counts.values())
    winners = [lean for lean, count in counts.items() if count == best]
    return winners[0] if len(winners) == 1 else Lean.MIXED


def headline(counts: dict[Lean, int], skipped: int) -> str:
    """One sentence about where the answers lean, in words (no tally of every lean)."""
    answered = sum(counts.values())
    lean = dominant_lean(counts)
    if lean is Lean.MIXED and counts[Lean.MIXED] <= max(counts[Lean.JOB], counts[Lean.CAREER]):
        text = messages.HEADLINE_SPLIT
    else:
        count = counts[lean]
        if answered == 1 or count == answered:
            text = messages.HEADLINES[f"{lean.value}-{'only' if answered == 1 else 'all'}"]
        else:
            text = messages.HEADLINE_COUNTS[lean.value].form(count)
    if skipped:
        text += " " + messages.HEADLINE_SKIPPED.form(skipped)
    return text.format(count=counts[lean], answered=answered, skipped=skipped)


def profile_of(dialog: Dialog, state: SessionState) -> Profile:
    counts = dict.fromkeys(_LEANS, 0)
    lines: list[ProfileLine] = []
    look_next: list[LookNext] = []
    skipped = 0
    # One pass, not one per distinction; reversed: the first answer wins, as answer_for's.
    given = {a.distinction: a for a in reversed(state.answers)}
    for distinction in dialog.distinctions:
        answer = given.get(distinction.id)
        if answer is None:
            continue
        choice = distinction.choice(answer.choice) if answer.choice else None
        if choice is None:
            skipped += 1
            lines.append(ProfileLine(distinction.title, None, None))
            continue
        counts[choice.leans] += 1
        lines.append(ProfileLine(distinction.title, choice.label, choice.leans))
        if choice.leans is Lean.JOB:
            look_next.append(LookNext(distinction.title, distinction.why))
    remaining = 0 if state.phase is Phase.DONE else max(dialog.total - len(lines), 1)
    if remaining:
        if lines:
            heading = messages.SUMMARY_SO_FAR.format(answered=len(lines), total=dialog.total)
        else:
            heading = messages.SUMMARY_NOTHING_YET
        return Profile(dialog.title, heading, None, tuple(lines), (), None, remaining)
    if not sum(counts.values()):
        return Profile(dialog.title, dialog.outro.heading, None, tuple(lines), (), messages.NO_ANSWERS)
    return Profile(
        dialog.title,
        dialog.outro.heading,
        headline(counts, skipped),
        tuple(lines),
        tuple(look_next),
        dialog.outro.closing[dominant_lean(counts)],
    )
