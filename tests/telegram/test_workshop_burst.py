"""Workshops under strain: a restart in the middle, and 300 members pressing at once."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from pathlib import Path

from bot.app import Services
from bot.coalesce import TELEGRAM_GROUP_INTERVAL
from bot.render import TELEGRAM_HTML
from bot.telegram.adapter import workshop_counts
from bot.workshop_render import workshop_reply_text
from dialogs import messages
from dialogs.content import Dialog
from dialogs.workshop import count_text, tally
from tests.fakes.telegram_api import Chat, FakeTelegram, User, visible
from tests.telegram.conftest import a_process, relaxed_limiter, running, settings_for
from tests.telegram.helpers import answers_to, vote_buttons, vote_question

FAY = User(5001, "Fay")
ANA, BEN = User(5101, "Ana"), User(5102, "Ben")
GROUP = Chat(-100800, "supergroup", title="Big careers day")


async def test_a_restart_mid_workshop_keeps_everything_and_old_buttons_count(
    tg: FakeTelegram, db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog
) -> None:
    first = dialog.distinctions[0]
    async with a_process(tg, db_path, dialogs, count_interval=0.05) as (bot, _services):
        await bot.do(tg.say(GROUP, FAY, "/workshop"))
        question = vote_question(tg, GROUP.id)  # a snapshot, pressed after the restart
        await bot.do(tg.press(ANA, question, first.choices[0].label))
        await workshop_counts(bot.app).drain()
    assert visible(tg.messages[(GROUP.id, question["message_id"])]["text"]).endswith(count_text(1))

    # A new process: a new store on the same file, new services, a new Application.
    async with a_process(tg, db_path, dialogs, count_interval=0.05) as (bot, _services):
        await bot.do(tg.press(BEN, question, first.choices[1].label))
        assert answers_to(tg)[-1]["text"] == messages.VOTE_RECORDED.format(label=first.choices[1].label)
        # The count is edited on the message remembered before the restart.
        await workshop_counts(bot.app).drain()
        now = tg.messages[(GROUP.id, question["message_id"])]
        assert visible(now["text"]).endswith(count_text(2)) and vote_buttons(now)
        # The facilitator, known from SQLite, reveals both votes, the one from before included.
        await bot.do(tg.say(GROUP, FAY, "/reveal"))
        expected = tally(first, {first.choices[0].id: 1, first.choices[1].id: 1})
        assert tg.texts(GROUP.id)[-1].startswith(visible(workshop_reply_text(expected, TELEGRAM_HTML)))


async def test_300_members_pressing_at_once_are_each_counted_once_with_few_edits(
    tg: FakeTelegram, services: Services, dialog: Dialog, db_path: Path
) -> None:
    first = dialog.distinctions[0]
    members = [User(6000 + i, f"Member {i}") for i in range(300)]
    # The coalescer's rest between two count edits lasts until the test ends it: however
    # long the burst takes on this machine, it all falls within one rest (no clock involved).
    rest_over = asyncio.Event()

    async def rest(seconds: float) -> None:
        assert seconds == TELEGRAM_GROUP_INTERVAL  # the real interval for Telegram groups
        await rest_over.wait()

    async with running(services, settings_for(tg), rate_limiter=relaxed_limiter(), count_sleep=rest) as bot:
        await bot.do(tg.say(GROUP, FAY, "/workshop"))
        question = vote_question(tg, GROUP.id)
        mark = len(tg.calls)
        # All 300 presses are queued before the bot sees any; 60 of them press twice.
        presses = [
            tg.press(m, question, first.choices[i % len(first.choices)].label) for i, m in enumerate(members)
        ]
        presses += [tg.press(m, question, first.choices[0].label) for m in members[:60]]
        for update_id in presses:
            await bot.do(update_id)
        rest_over.set()
        await workshop_counts(bot.app).drain()
        final = copy.deepcopy(tg.messages[(GROUP.id, question["message_id"])])
        edits = [
            call
            for call in tg.calls[mark:]
            if call.method == "editMessageText" and call.params["message_id"] == str(question["message_id"])
        ]
        await bot.do(tg.say(GROUP, FAY, "/reveal"))

    # Every press was answered privately, once, and every member's vote is stored once.
    confirmations = answers_to(tg, mark)
    assert len(confirmations) == len(presses)
    assert all(c["text"].startswith(messages.VOTE_RECORDED.split("{")[0]) for c in confirmations)
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT member, choice FROM workshop_votes WHERE distinction = ?", (first.id,)
        ).fetchall()
    assert len(rows) == len({member for member, _ in rows}) == 300
    expected_choice = {
        str(m.id): first.choices[0 if i < 60 else i % len(first.choices)].id for i, m in enumerate(members)
    }
    assert dict(rows) == expected_choice
    # The public message was edited a few times, not once per press, and shows the last count.
    # One edit at the first press, one with the last count after the rest: at most a few.
    assert 2 <= len(edits) <= 5, f"{len(edits)} edits for {len(presses)} presses"
    assert visible(final["text"]).endswith(count_text(300))
    assert vote_buttons(final)
    # The reveal counts each member once.
    shown = tg.texts(GROUP.id)[-1]
    assert shown.startswith(f"{first.title} (300 answered)")


async def test_429s_on_the_count_edit_and_the_reveal_are_waited_out(
    tg: FakeTelegram, services: Services, dialog: Dialog
) -> None:
    first = dialog.distinctions[0]
    # The default rate limiter, as ``serve`` uses it (20 messages a minute per group).
    async with running(services, settings_for(tg), count_interval=0.05) as bot:
        await bot.do(tg.say(GROUP, FAY, "/workshop"))
        await bot.do(tg.say(GROUP, FAY, "/workshop@some_other_bot"))  # not for us: ignored
        question = vote_question(tg, GROUP.id)
        tg.fail_next("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1)
        await bot.do(tg.press(ANA, question, first.choices[0].label))
        await workshop_counts(bot.app).drain()
        tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await bot.do(tg.say(GROUP, FAY, "/reveal"))
    edits = [c for c in tg.called("editMessageText") if c["message_id"] == str(question["message_id"])]
    assert edits[0]["text"] == edits[1]["text"]  # refused once, then sent again
    assert visible(edits[1]["text"]).endswith(count_text(1))
    expected = tally(first, {first.choices[0].id: 1})
    assert tg.texts(GROUP.id)[-1].startswith(visible(workshop_reply_text(expected, TELEGRAM_HTML)))
    assert len(tg.chat_messages(GROUP.id)) == 4  # intro, question, lead note, results
