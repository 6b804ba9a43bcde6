"""The profile: computed from a session's answers and the content, never stored.

Rules:
- Counts are per lean over the answered (not skipped) distinctions.
- The closing text follows the lean with the most answers; a tie, or a mixed majority,
  reads as "in between", because neither side clearly won.
- A profile can be drawn part-way through: lines for unanswered distinctions are left out.
"""

from __future__ import annotations

from dialogs import messages
from dialogs.content import Dialog, Lean
from dialogs.replies import Profile, ProfileLine
from dialogs.state import SessionState


def dominant_lean(counts: dict[Lean, int]) -> Lean:
    best = max(counts.values())
    winners = [lean for lean, count in counts.items() if count == best]
    return winners[0] if len(winners) == 1 else Lean.MIXED


def profile_of(dialog: Dialog, state: SessionState) -> Profile:
    counts = dict.fromkeys(Lean, 0)
    lines: list[ProfileLine] = []
    skipped = 0
    for distinction in dialog.distinctions:
        answer = state.answer_for(distinction.id)
        if answer is None:
            continue
        choice = distinction.choice(answer.choice) if answer.choice else None
        if choice is None:
            skipped += 1
            lines.append(ProfileLine(distinction.title, None, None))
            continue
        counts[choice.leans] += 1
        lines.append(ProfileLine(distinction.title, choice.label, choice.leans))
    answered = sum(counts.values())
    if answered == 0:
        closing = messages.NO_ANSWERS
    else:
        closing = dialog.outro.closing[dominant_lean(counts)]
    finished = len(lines) == dialog.total
    heading = (
        dialog.outro.heading
        if finished
        else messages.SUMMARY_SO_FAR.format(answered=len(lines), total=dialog.total)
    )
    return Profile(heading, counts, skipped, tuple(lines), closing)
