"""Turn replies into text for a given markup style (plain, Telegram HTML, Discord markdown).

Rules:
- The words come from the replies (content and ``dialogs.messages``); this module only lays
  them out. Buttons are the adapters' business; ``numbered`` adds the choices as a list for
  places without buttons (the terminal, or a hint after two misses).
- Everything that came from content or a person goes through ``style.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from dialogs.content import Lean
from dialogs.i18n import messages, percent
from dialogs.replies import (
    Answered,
    Confirmation,
    Explanation,
    Profile,
    Progress,
    Question,
    Reply,
    Tally,
    Text,
)


@dataclass(frozen=True, slots=True)
class Style:
    escape: Callable[[str], str]
    bold: Callable[[str], str]
    italic: Callable[[str], str]


PLAIN = Style(escape=lambda s: s, bold=lambda s: s, italic=lambda s: s)
TELEGRAM_HTML = Style(
    escape=lambda s: html.escape(s, quote=False),
    bold=lambda s: f"<b>{s}</b>",
    italic=lambda s: f"<i>{s}</i>",
)


def _discord_escape(text: str) -> str:
    for ch in "\\*_~`|":
        text = text.replace(ch, "\\" + ch)
    # ">" quotes only at the start of a line; elsewhere it is plain text.
    return "\n".join("\\" + line if line.startswith(">") else line for line in text.split("\n"))


DISCORD_MARKDOWN = Style(escape=_discord_escape, bold=lambda s: f"**{s}**", italic=lambda s: f"*{s}*")


def lean_name(lean: Lean) -> str:
    return messages.LEAN_NAMES[lean.value]


def progress_text(progress: Progress) -> str:
    """ "Question 3 of 8 ▰▰▱▱▱▱▱▱": where the person is, and a bar of what is answered."""
    where = messages.QUESTION_PROGRESS.format(position=progress.position, total=progress.total)
    return f"{where} {progress.bar}"


def question_text(q: Question, style: Style, numbered: bool = False) -> str:
    e = style.escape
    lines = [e(progress_text(q.progress)), f"{style.bold(e(q.title))}: {e(q.text)}"]
    if numbered:
        lines += [f"  {n}. {e(c.label)}" for n, c in enumerate(q.choices, 1)]
    if q.current is not None:
        label = next((c.label for c in q.choices if c.id == q.current), None)
        if label:
            lines.append(style.italic(e(messages.EARLIER_ANSWER.format(label=label))))
    if q.hint:
        lines.append(style.italic(e(q.hint)))
    return "\n".join(lines)


def answered_text(a: Answered, style: Style) -> str:
    return f"{style.escape(a.question)}\n✓ {style.bold(style.escape(a.label))}"


def explanation_text(x: Explanation, style: Style) -> str:
    """Both sides of the difference, then the line about the person's own answer."""
    e = style.escape
    sides = messages.EXPLAIN_SIDES
    return "\n".join(
        [
            style.bold(e(x.title)),
            f"{style.bold(e(sides['job']))}: {e(x.job)}",
            f"{style.bold(e(sides['career']))}: {e(x.career)}",
            f"➜ {style.italic(e(x.yours))}",
        ]
    )


def confirmation_text(c: Confirmation, style: Style) -> str:
    return style.escape(c.text)


def profile_text(p: Profile, style: Style) -> str:
    e = style.escape
    lines = [style.bold(e(p.heading))]
    if p.headline:
        lines.append(e(p.headline))
    if p.lines:
        lines.append("")
    for line in p.lines:
        if line.answer is None:
            lines.append(f"• {e(line.title)}: {style.italic(e(messages.SKIPPED_ANSWER))}")
        else:
            lean = f", {messages.PROFILE_LEANS[line.leans.value]}" if line.leans else ""
            lines.append(f"• {e(line.title)}: “{e(line.answer)}”{e(lean)}")
    if p.look_next:
        lines += ["", style.bold(e(messages.LOOK_NEXT_HEADING))]
        lines += [f"• {style.bold(e(item.title))}: {e(item.why)}" for item in p.look_next]
    if p.remaining:
        lines += ["", e(messages.SUMMARY_REMAINING.say(p.remaining, remaining=p.remaining))]
    if p.closing:
        lines += ["", e(p.closing)]
    return "\n".join(lines)


def tally_text(t: Tally, style: Style, width: int = 10) -> str:
    e = style.escape
    lines = [style.bold(e(t.title)) + e(messages.TALLY_ANSWERED.format(voters=t.voters))]
    column = len(percent(100))  # the percentages right-aligned, as wide as the widest
    for row in t.rows:
        filled = round(row.percent * width / 100)
        bar = "█" * filled + "░" * (width - filled)
        lines.append(f"{bar} {percent(row.percent):>{column}} ({row.count}) {e(row.label)}")
    return "\n".join(lines)


def reply_text(reply: Reply, style: Style, numbered: bool = False) -> str:
    if isinstance(reply, Question):
        return question_text(reply, style, numbered)
    if isinstance(reply, Answered):
        return answered_text(reply, style)
    if isinstance(reply, Explanation):
        return explanation_text(reply, style)
    if isinstance(reply, Confirmation):
        return confirmation_text(reply, style)
    if isinstance(reply, Profile):
        return profile_text(reply, style)
    if isinstance(reply, Tally):
        return tally_text(reply, style)
    assert isinstance(reply, Text)
    return style.escape(reply.text)


def split_message(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most ``limit`` characters, at line breaks when possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text or not chunks:
        chunks.append(text)
    return chunks
