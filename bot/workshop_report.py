"""The report a facilitator gets when a workshop ends: the group's chart, who took part, a CSV.

Rules:
- One rule for every platform (``ended_by``): a steering turn that takes a workshop from
  active to ended, or replaces it with a new one, ends that workshop, and the person whose
  event it was (the facilitator, or an admin steering for them) gets its report privately.
  How "privately" is done is the adapter's business.
- The chart is the profile renderer's (``bot.chart``): one row per question, the share of
  each lean as a stacked bar and a dot at the lean most of the group took (a tie reads as
  in between), the same rule as the reveal; a question nobody answered is drawn like a
  skipped one, labelled "nobody answered".
- The CSV holds the aggregate only: one row per question and choice, with its lean, its
  votes and its whole percentage of that question's votes (adding up to 100, as the
  reveal showed them). No member is named: it is what the whole group already saw.
- ``participants`` counts the members who answered at least one question.
- Drawing takes tens of milliseconds of CPU: ``build`` runs it off the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from bot.chart import LEANS, Chart, ChartRow, render_png
from dialogs.content import Dialog
from dialogs.i18n import messages
from dialogs.workshop import WorkshopState, group_lean, tally
from storage.contract import StatsContract
from storage.keys import WorkshopKey

CSV_HEADER = ("question", "title", "choice", "label", "lean", "votes", "percent")


@dataclass(frozen=True, slots=True)
class WorkshopReport:
    workshop_id: int  # the database's id, as ``careerbot workshops`` lists it
    number: int
    participants: int
    text: str
    png: bytes
    csv: str

    @property
    def png_name(self) -> str:
        return f"workshop-{self.number}.png"

    @property
    def csv_name(self) -> str:
        return f"workshop-{self.number}.csv"


def ended_by(before: WorkshopState, after: WorkshopState) -> int | None:
    """The number of the workshop a steering turn ended, or None."""
    if not before.active:
        return None
    ended = after.number != before.number or not after.active
    return before.number if ended else None


def chart_of(dialog: Dialog, number: int, tallies: Mapping[str, Mapping[str, int]]) -> Chart:
    rows = []
    for distinction in dialog.distinctions:
        votes = tallies.get(distinction.id, {})
        shares = [0, 0, 0]
        for choice in distinction.choices:
            shares[LEANS.index(choice.leans)] += votes.get(choice.id, 0)
        if not sum(shares):
            rows.append(ChartRow(distinction.title, None, None))
            continue
        answered = messages.REPORT_ROW_VOTERS.format(voters=sum(shares))
        lean = group_lean(distinction, votes)
        rows.append(ChartRow(distinction.title, lean, answered, (shares[0], shares[1], shares[2])))
    title = messages.REPORT_TITLE.format(number=number, title=dialog.title)
    return Chart(title, tuple(rows), skipped=messages.REPORT_ROW_NOBODY)


def csv_of(dialog: Dialog, tallies: Mapping[str, Mapping[str, int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for distinction in dialog.distinctions:
        shown = tally(distinction, tallies.get(distinction.id, {}))
        for choice, row in zip(distinction.choices, shown.rows, strict=True):
            writer.writerow(
                (
                    distinction.id,
                    distinction.title,
                    choice.id,
                    choice.label,
                    choice.leans.value,
                    row.count,
                    row.percent,
                )
            )
    return out.getvalue()


def text_of(dialog: Dialog, number: int, participants: int) -> str:
    fields = {"number": number, "title": dialog.title, "participants": participants}
    return messages.REPORT_TEXT.say(participants, **fields)


async def build(
    stats: StatsContract, dialogs: Mapping[str, Dialog], workshop_id: int
) -> WorkshopReport | None:
    """The report of a stored workshop; None if it is gone or its dialog is not loaded."""
    record = await stats.workshop(workshop_id)
    dialog = dialogs.get(record.dialog) if record else None
    if record is None or dialog is None:
        return None
    dialog = dialog.in_language(record.language or None)  # its titles as the group saw them
    tallies = await stats.tallies(workshop_id)
    png = await asyncio.to_thread(render_png, chart_of(dialog, record.number, tallies))
    return WorkshopReport(
        workshop_id,
        record.number,
        record.participants,
        text_of(dialog, record.number, record.participants),
        png,
        csv_of(dialog, tallies),
    )


async def report_for(
    stats: StatsContract, dialogs: Mapping[str, Dialog], key: WorkshopKey, number: int
) -> WorkshopReport | None:
    workshop_id = await stats.workshop_id(key.platform, key.chat, number)
    return await build(stats, dialogs, workshop_id) if workshop_id is not None else None
