"""Turn workshop replies into text for a markup style (plain, Telegram HTML, Discord markdown).

Rules:
- Like ``bot.render``: words come from the replies and ``dialogs.messages``; this module only
  lays them out, escaping everything that came from content or a person.
- Buttons are the adapters' business: a ``VoteQuestion`` gets one vote button per choice
  (``bot.buttons.VoteButton(workshop, distinction, choice)``), a ``WorkshopRunning`` a
  confirm button (``Open(force=True)``), a ``MemberProfileOffer`` a deep link or a button.
- A ``VoteCount`` is shown by editing the question message: ``with_count(question, count)``
  gives the question to re-render, so the count line is the only thing that changes.
"""

from __future__ import annotations

from dataclasses import replace

from bot.render import Style, lean_name, progress_text, reply_text
from dialogs.content import Lean
from dialogs.i18n import messages
from dialogs.replies import (
    Difference,
    GroupProfile,
    MemberProfileOffer,
    Profile,
    Tally,
    Text,
    VoteCount,
    VoteQuestion,
    VoteRecorded,
    WorkshopReply,
    WorkshopRunning,
)


def with_count(question: VoteQuestion, count: VoteCount) -> VoteQuestion:
    """The question message as it reads after ``count`` (unchanged if it is for another one)."""
    if (count.workshop, count.distinction) != (question.workshop, question.distinction):
        return question
    return replace(question, count=count.text)


def vote_question_text(q: VoteQuestion, style: Style) -> str:
    e = style.escape
    return "\n".join(
        [e(progress_text(q.progress)), f"{style.bold(e(q.title))}: {e(q.text)}", style.italic(e(q.count))]
    )


def difference_text(d: Difference, style: Style) -> str:
    e = style.escape
    lines = [style.bold(e(d.title))]
    lines += [f"{style.bold(e(messages.EXPLAIN_SIDES[lean.value]))}: {e(text)}" for lean, text in d.explain]
    lines.append(style.italic(e(messages.WORKSHOP_WHY.format(why=d.why))))
    return "\n".join(lines)


def group_profile_text(p: GroupProfile, style: Style) -> str:
    e = style.escape
    lines = [style.bold(e(p.heading))]
    for lean in Lean:
        lines.append(e(messages.WORKSHOP_LEAN_COUNTS.format(lean=lean_name(lean), count=p.counts[lean])))
    for row in p.rows:
        if row.leans is None:
            detail = messages.WORKSHOP_ROW_NOBODY
        else:
            detail = messages.WORKSHOP_ROW_VOTERS.format(lean=lean_name(row.leans), voters=row.voters)
        lines.append(f"• {e(row.title)}: {e(detail)}")
    lines += ["", e(p.closing)]
    return "\n".join(lines)


def workshop_reply_text(reply: WorkshopReply, style: Style) -> str:
    """Workshop-only replies are laid out here; the ones shared with the personal
    conversation (``Text``, ``Tally``, ``Profile``) by ``bot.render.reply_text``."""
    if isinstance(reply, VoteQuestion):
        return vote_question_text(reply, style)
    if isinstance(reply, Difference):
        return difference_text(reply, style)
    if isinstance(reply, GroupProfile):
        return group_profile_text(reply, style)
    if isinstance(reply, Text | Tally | Profile):
        return reply_text(reply, style)
    assert isinstance(reply, VoteRecorded | VoteCount | MemberProfileOffer | WorkshopRunning)
    return style.escape(reply.text)
