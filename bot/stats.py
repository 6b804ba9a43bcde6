"""``careerbot stats``: the statistics of ``dialogs.stats``, read from storage, as text.

Rules:
- The counts come from ``dialogs.stats`` already under the small-group rule: a count this
  module receives as None is written "fewer than 5" in every format, never a number.
- Three formats: ``table`` (for a person at a terminal), ``csv`` (one row per measure:
  dialog, question, measure, choice, lean, people, percent) and ``json`` (the same
  structure nested). Percentages are whole numbers of the people who chose an answer.
- No person appears in any format: the records' owners are used only to count them once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from dialogs.content import Dialog
from dialogs.i18n import messages, percent
from dialogs.state import Phase
from dialogs.stats import SMALL_GROUP, Conversation, DialogStats, Share, Shown, all_stats
from storage.contract import StatsContract
from storage.stats import Filters, SessionRecord

FORMATS = ("table", "csv", "json")
CSV_HEADER = ("dialog", "question", "measure", "choice", "lean", "people", "percent")


def conversations_of(records: Iterable[SessionRecord]) -> list[Conversation]:
    """Conversations past their first question (a stored session that never asked is not
    a start)."""
    return [
        Conversation(r.person, r.dialog, r.phase == Phase.DONE.value, dict(r.answers))
        for r in records
        if r.phase != Phase.NEW.value
    ]


async def gather(
    store: StatsContract, dialogs: Sequence[Dialog], filters: Filters
) -> tuple[DialogStats, ...]:
    wanted = [d for d in dialogs if filters.dialog is None or d.id == filters.dialog]
    return all_stats(wanted, conversations_of(await store.sessions(filters)))


def people(count: Shown) -> str:
    return str(count) if count is not None else messages.STATS_FEWER.format(limit=SMALL_GROUP)


def _json_people(count: Shown) -> int | str:
    return count if count is not None else messages.STATS_FEWER.format(limit=SMALL_GROUP)


def render(stats: Sequence[DialogStats], form: str) -> str:
    if form == "csv":
        return as_csv(stats)
    if form == "json":
        return as_json(stats)
    return as_table(stats)


def share_text(share: Share) -> str:
    if share.percent is None:
        return people(share.people)
    return messages.STATS_PERCENT.format(people=people(share.people), percent=percent(share.percent))


def as_table(stats: Sequence[DialogStats]) -> str:
    none = messages.STATS_NONE_MOST.format(limit=SMALL_GROUP)
    lines: list[str] = []
    for d in stats:
        lines += [
            messages.STATS_DIALOG.format(title=d.title, dialog=d.dialog),
            messages.STATS_STARTED.format(started=people(d.started), finished=people(d.finished)),
            messages.STATS_LEFT_MOST.format(title=d.left_most or none),
            messages.STATS_SKIPPED_MOST.format(title=d.skipped_most or none),
        ]
        if d.started is None:  # every count below would be "fewer than" too
            lines += [messages.STATS_TOO_FEW.format(limit=SMALL_GROUP), ""]
            continue
        for number, q in enumerate(d.questions, 1):
            lines.append(messages.STATS_QUESTION.format(number=number, title=q.title))
            funnel = messages.STATS_FUNNEL.format(
                reached=people(q.reached),
                answered=people(q.answered),
                skipped=people(q.skipped),
                left=people(q.left_here),
            )
            lines.append(f"   {funnel}")
            lines += [
                f"   {messages.STATS_SHARE.format(label=c.label, people=share_text(c))}" for c in q.choices
            ]
            leans = ", ".join(
                messages.STATS_LEAN.format(label=s.label, people=share_text(s)) for s in q.leans
            )
            lines.append(f"   {messages.STATS_LEANS.format(leans=leans)}")
        lines.append("")
    if not stats:
        lines.append(messages.STATS_NOTHING)
    lines.append(messages.STATS_SMALL_GROUP_NOTE.format(limit=SMALL_GROUP))
    return "\n".join(lines) + "\n"


def as_csv(stats: Sequence[DialogStats]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for d in stats:
        writer.writerow((d.dialog, "", "started", "", "", people(d.started), ""))
        writer.writerow((d.dialog, "", "finished", "", "", people(d.finished), ""))
        for q in d.questions:
            for measure, count in (
                ("reached", q.reached),
                ("answered", q.answered),
                ("skipped", q.skipped),
                ("stopped here", q.left_here),
            ):
                writer.writerow((d.dialog, q.distinction, measure, "", "", people(count), ""))
            for c in q.choices:
                writer.writerow(
                    (d.dialog, q.distinction, "choice", c.id, c.lean.value, people(c.people), _pct(c))
                )
            for s in q.leans:
                writer.writerow(
                    (d.dialog, q.distinction, "lean", "", s.lean.value, people(s.people), _pct(s))
                )
    return out.getvalue()


def _pct(share: Share) -> str:
    return "" if share.percent is None else str(share.percent)


def _share_json(share: Share) -> dict[str, Any]:
    return {
        "id": share.id,
        "label": share.label,
        "lean": share.lean.value,
        "people": _json_people(share.people),
        "percent": share.percent,
    }


def as_json(stats: Sequence[DialogStats]) -> str:
    body = {
        "small_group": SMALL_GROUP,
        "dialogs": [
            {
                "dialog": d.dialog,
                "title": d.title,
                "started": _json_people(d.started),
                "finished": _json_people(d.finished),
                "stopped_most_at": d.left_most,
                "skipped_most": d.skipped_most,
                "questions": [
                    {
                        "distinction": q.distinction,
                        "title": q.title,
                        "reached": _json_people(q.reached),
                        "answered": _json_people(q.answered),
                        "skipped": _json_people(q.skipped),
                        "stopped_here": _json_people(q.left_here),
                        "choices": [_share_json(c) for c in q.choices],
                        "leans": [_share_json(s) for s in q.leans],
                    }
                    for q in d.questions
                ],
            }
            for d in stats
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
