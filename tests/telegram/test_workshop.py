"""Workshops in a Telegram group, end to end: the real Application and services on a SQLite
file against the fake Bot API. Count edits are waited for with the coalescer's ``drain``."""

from __future__ import annotations

import copy
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import Services
from bot.render import TELEGRAM_HTML
from bot.telegram.adapter import workshop_counts
from bot.telegram.workshop_view import profile_payload, read_payload
from bot.workshop_render import workshop_reply_text
from dialogs import messages
from dialogs.content import Dialog
from dialogs.workshop import WorkshopPhase, count_text, member_profile, tally
from storage.keys import WorkshopKey
from tests.fakes.telegram_api import BOT_USERNAME, Chat, FakeTelegram, User, private, visible
from tests.telegram.conftest import Bot, relaxed_limiter, running, settings_for
from tests.telegram.helpers import answers_to, vote_buttons, vote_question

FAY = User(4001, "Fay")  # the facilitator
MEMBERS = [User(4101, "Ana"), User(4102, "Ben"), User(4103, "Cleo")]
GROUP = Chat(-100700, "supergroup", title="Careers workshop")
KEY = WorkshopKey("telegram", str(GROUP.id))
BUTTONS = messages.TELEGRAM_WORKSHOP_BUTTONS
Message = dict[str, Any]


@pytest.fixture
async def bot(tg: FakeTelegram, services: Services) -> AsyncIterator[Bot]:
    # A short count interval keeps these tests quick; the burst test uses the real one.
    settings = settings_for(tg)
    # Fay has a private chat with the bot, so her reports go there (tests/telegram/
    # test_workshop_report.py covers the rest) and the group sees only the workshop.
    tg.opened.add(FAY.id)
    async with running(services, settings, rate_limiter=relaxed_limiter(), count_interval=0.05) as started:
        yield started


def results(tg: FakeTelegram) -> Message:
    """The newest message holding a tally (its bars)."""
    return next(m for m in reversed(tg.chat_messages(GROUP.id)) if "█" in m["text"] or "░" in m["text"])


def votes_in_db(db_path: Path) -> list[tuple[int, str, str, str]]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT w.number, v.distinction, v.member, v.choice FROM workshop_votes v"
            " JOIN workshops w ON w.id = v.workshop_id ORDER BY 1, 2, 3"
        ).fetchall()
    return [(int(n), str(d), str(m), str(c)) for n, d, m, c in rows]


async def start_workshop(tg: FakeTelegram, bot: Bot) -> Message:
    await bot.do(tg.say(GROUP, FAY, f"/workshop@{BOT_USERNAME}"))
    return vote_question(tg, GROUP.id)


async def test_a_whole_workshop_to_the_group_profile_and_a_private_profile(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog, db_path: Path
) -> None:
    question = await start_workshop(tg, bot)
    intro, shown, lead = tg.texts(GROUP.id)
    assert intro == dialog.intro
    assert shown == visible(question["text"])
    assert lead == f"{FAY.first_name}\n{messages.WORKSHOP_LEAD}"
    chosen: dict[int, dict[str, str]] = {member.id: {} for member in MEMBERS}
    for position, distinction in enumerate(dialog.distinctions):
        assert f"Question {position + 1} of {dialog.total}" in visible(question["text"])
        assert [b["text"] for b in vote_buttons(question)] == [c.label for c in distinction.choices]
        assert tg.buttons(question)[-2:] == [BUTTONS["reveal"], BUTTONS["next"]]
        mark = len(tg.calls)
        for i, member in enumerate(MEMBERS):
            choice = distinction.choices[(i + position) % 2]
            await bot.do(tg.press(member, question, choice.label))
            chosen[member.id][distinction.id] = choice.id
        # Each member's confirmation is private: the callback's notification text.
        confirmations = answers_to(tg, mark)
        assert [c["text"] for c in confirmations] == [
            messages.VOTE_RECORDED.format(label=distinction.choice(chosen[m.id][distinction.id]).label)  # type: ignore[union-attr]
            for m in MEMBERS
        ]
        assert all(c["show_alert"] == "false" for c in confirmations)
        # The group sees only how many answered, on the question message, still open.
        await workshop_counts(bot.app).drain()
        now = tg.messages[(GROUP.id, question["message_id"])]
        assert visible(now["text"]).endswith(count_text(len(MEMBERS)))
        assert vote_buttons(now)
        # Reveal: by the Reveal button on even questions, by /reveal on odd ones.
        if position % 2 == 0:
            await bot.do(tg.press(FAY, question, BUTTONS["reveal"]))
            assert answers_to(tg, mark)[-1].get("text") is None  # accepted: no alert
        else:
            await bot.do(tg.say(GROUP, FAY, "/reveal"))
        counts: dict[str, int] = {}
        for choice in chosen.values():
            counts[choice[distinction.id]] = counts.get(choice[distinction.id], 0) + 1
        shown_results = results(tg)
        expected = workshop_reply_text(tally(distinction, counts), TELEGRAM_HTML)
        assert shown_results["text"].startswith(expected)
        shown_text = visible(shown_results["text"])
        assert distinction.explain.job in shown_text and distinction.explain.career in shown_text
        assert "%" in shown_results["text"]
        assert not any(m.first_name in visible(shown_results["text"]) for m in MEMBERS)
        assert tg.buttons(shown_results) == [BUTTONS["next"], BUTTONS["end"]]
        # Voting on the question is closed: final count, no buttons.
        closed = tg.messages[(GROUP.id, question["message_id"])]
        assert "reply_markup" not in closed
        assert visible(closed["text"]).endswith(count_text(len(MEMBERS)))
        if position % 2 == 0:
            await bot.do(tg.press(FAY, shown_results, BUTTONS["next"]))
        else:
            await bot.do(tg.say(GROUP, FAY, "/next"))
        if position + 1 < dialog.total:
            question = vote_question(tg, GROUP.id)
            assert question["message_id"] > shown_results["message_id"]
    state = await services.workshops.current(KEY)
    assert state.phase is WorkshopPhase.ENDED
    assert len(votes_in_db(db_path)) == len(MEMBERS) * dialog.total
    ended, profile, offer = tg.chat_messages(GROUP.id)[-3:]
    assert visible(ended["text"]) == messages.WORKSHOP_ENDED.format(number=1)
    assert visible(profile["text"]).startswith(
        messages.WORKSHOP_GROUP_HEADING.format(title=dialog.title, revealed=dialog.total, total=dialog.total)
    )
    assert visible(offer["text"]) == messages.WORKSHOP_PROFILE_OFFER
    [[button]] = offer["reply_markup"]["inline_keyboard"]
    link = urlsplit(button["url"])
    assert (link.scheme, link.netloc, link.path) == ("https", "t.me", f"/{BOT_USERNAME}")
    [payload] = parse_qs(link.query)["start"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    assert read_payload(payload) == (GROUP.id, 1)

    # Ana follows the deep link: a private chat where /start <payload> shows her profile.
    ana = MEMBERS[0]
    await bot.do(tg.say(private(ana), ana, f"/start {payload}"))
    expected = member_profile(dialog, 1, chosen[ana.id])
    assert expected is not None
    assert tg.texts(ana.id) == [visible(workshop_reply_text(expected, TELEGRAM_HTML))]
    # Someone who never voted is told so; the facilitator's profile shows nobody's answers.
    await bot.do(tg.say(private(FAY), FAY, f"/start {payload}"))
    assert tg.texts(FAY.id)[-1] == messages.WORKSHOP_MEMBER_NO_VOTES
    # A mangled link is answered, not crashed on.
    await bot.do(tg.say(private(ana), ana, "/start ws-nonsense"))
    assert tg.texts(ana.id)[-1] == messages.TELEGRAM_WORKSHOP_BAD_LINK


async def test_a_changed_answer_counts_once_as_the_last_press(
    tg: FakeTelegram, bot: Bot, dialog: Dialog, db_path: Path
) -> None:
    question = await start_workshop(tg, bot)
    first = dialog.distinctions[0]
    ana, ben = MEMBERS[0], MEMBERS[1]
    await bot.do(tg.press(ana, question, first.choices[0].label))
    await bot.do(tg.press(ana, question, first.choices[1].label))
    await bot.do(tg.press(ana, question, first.choices[2].label))
    await bot.do(tg.press(ben, question, first.choices[2].label))
    assert answers_to(tg)[-2]["text"] == messages.VOTE_RECORDED.format(label=first.choices[2].label)
    assert votes_in_db(db_path) == [
        (1, first.id, str(ana.id), first.choices[2].id),
        (1, first.id, str(ben.id), first.choices[2].id),
    ]
    await workshop_counts(bot.app).drain()
    assert visible(tg.messages[(GROUP.id, question["message_id"])]["text"]).endswith(count_text(2))
    await bot.do(tg.say(GROUP, FAY, "/reveal"))
    expected = tally(first, {first.choices[2].id: 2})
    assert results(tg)["text"].startswith(workshop_reply_text(expected, TELEGRAM_HTML))
    # After the reveal a press changes nothing and says why, as an alert.
    await bot.do(tg.press(ana, question, first.choices[0].label))
    assert answers_to(tg)[-1] == {
        "callback_query_id": answers_to(tg)[-1]["callback_query_id"],
        "text": messages.VOTE_AFTER_REVEAL,
        "show_alert": "true",
    }
    assert votes_in_db(db_path)[0][3] == first.choices[2].id


async def test_only_the_facilitator_or_an_admin_may_reveal(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog
) -> None:
    question = await start_workshop(tg, bot)
    ana, ben = MEMBERS[0], MEMBERS[1]
    await bot.do(tg.press(ana, question, dialog.distinctions[0].choices[0].label))
    sent_before = len(tg.called("sendMessage"))
    await bot.do(tg.press(ana, question, BUTTONS["reveal"]))
    refusal = answers_to(tg)[-1]
    assert (refusal["text"], refusal["show_alert"]) == (messages.WORKSHOP_ONLY_STEERER, "true")
    await bot.do(tg.press(ana, question, BUTTONS["next"]))
    assert answers_to(tg)[-1]["text"] == messages.WORKSHOP_ONLY_STEERER
    # Telegram was asked whether she is an admin (she is not).
    asked = {(c["chat_id"], c["user_id"]) for c in tg.called("getChatMember")}
    assert asked == {(str(GROUP.id), str(ana.id))}
    # Nothing was revealed, nothing posted, voting still open.
    assert len(tg.called("sendMessage")) == sent_before
    assert (await services.workshops.current(KEY)).phase is WorkshopPhase.ASKING
    assert vote_buttons(tg.messages[(GROUP.id, question["message_id"])])
    # By command, the refusal is a message addressed to her.
    await bot.do(tg.say(GROUP, ana, "/endworkshop"))
    assert tg.texts(GROUP.id)[-1] == f"{ana.first_name}\n{messages.WORKSHOP_ONLY_STEERER}"
    assert (await services.workshops.current(KEY)).phase is WorkshopPhase.ASKING
    # A group admin may steer as a fallback.
    tg.set_status(GROUP, ben, "administrator")
    await bot.do(tg.press(ben, question, BUTTONS["reveal"]))
    assert (await services.workshops.current(KEY)).phase is WorkshopPhase.REVEALED
    first = dialog.distinctions[0]
    expected = workshop_reply_text(tally(first, {first.choices[0].id: 1}), TELEGRAM_HTML)
    assert results(tg)["text"].startswith(expected)


async def test_a_second_workshop_asks_before_ending_the_first(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog
) -> None:
    old_question = await start_workshop(tg, bot)
    ana = MEMBERS[0]
    await bot.do(tg.say(GROUP, FAY, "/workshop"))
    prompt = tg.last(GROUP.id)
    assert visible(prompt["text"]) == f"{FAY.first_name}\n" + messages.WORKSHOP_RUNNING.format(
        number=1, title=dialog.title, position=1, total=dialog.total
    )
    assert tg.buttons(prompt) == [BUTTONS["replace"], BUTTONS["keep"]]
    # A member can neither replace nor dismiss it.
    await bot.do(tg.press(ana, prompt, BUTTONS["replace"]))
    assert answers_to(tg)[-1]["text"] == messages.WORKSHOP_RUNNING_REFUSED
    await bot.do(tg.press(ana, prompt, BUTTONS["keep"]))
    assert answers_to(tg)[-1]["text"] == messages.WORKSHOP_ONLY_STEERER
    assert (await services.workshops.current(KEY)).number == 1
    # "Keep" leaves the workshop alone and takes the question off the prompt.
    await bot.do(tg.press(FAY, prompt, BUTTONS["keep"]))
    kept = tg.messages[(GROUP.id, prompt["message_id"])]
    assert visible(kept["text"]) == f"{FAY.first_name}\n{messages.TELEGRAM_WORKSHOP_KEPT}"
    assert "reply_markup" not in kept
    # Asked again and confirmed: workshop 1 ends (its question closes), workshop 2 starts.
    await bot.do(tg.say(GROUP, FAY, "/workshop"))
    prompt = copy.deepcopy(tg.last(GROUP.id))  # as the members saw it, buttons and all
    await bot.do(tg.press(FAY, prompt, BUTTONS["replace"]))
    state = await services.workshops.current(KEY)
    assert (state.number, state.phase) == (2, WorkshopPhase.ASKING)
    assert messages.WORKSHOP_REPLACED.format(number=1) in tg.texts(GROUP.id)
    assert "reply_markup" not in tg.messages[(GROUP.id, old_question["message_id"])]
    assert "reply_markup" not in tg.messages[(GROUP.id, prompt["message_id"])]
    # The old workshop's buttons record nothing; the old prompt is stale.
    await bot.do(tg.press(ana, old_question, dialog.distinctions[0].choices[0].label))
    assert answers_to(tg)[-1]["text"] == messages.VOTE_OLD_WORKSHOP
    await bot.do(tg.press(FAY, prompt, BUTTONS["replace"]))
    assert answers_to(tg)[-1]["text"] == messages.TELEGRAM_WORKSHOP_STALE_BUTTON
    assert (await services.workshops.current(KEY)).number == 2


async def test_an_old_steering_button_does_nothing(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog
) -> None:
    first_question = await start_workshop(tg, bot)
    await bot.do(tg.say(GROUP, FAY, "/next"))  # reveals the first question, then asks the second
    first_results = results(tg)
    assert tg.buttons(first_results) == []  # already moved on: no Next / End on it
    second = vote_question(tg, GROUP.id)
    assert second["message_id"] != first_question["message_id"]
    await bot.do(tg.press(FAY, first_question, BUTTONS["next"]))
    assert answers_to(tg)[-1]["text"] == messages.TELEGRAM_WORKSHOP_STALE_BUTTON
    state = await services.workshops.current(KEY)
    assert (state.position, state.phase) == (1, WorkshopPhase.ASKING)
    await bot.do(tg.press(FAY, second, BUTTONS["reveal"]))
    await bot.do(tg.press(FAY, results(tg), BUTTONS["end"]))
    assert (await services.workshops.current(KEY)).phase is WorkshopPhase.ENDED
    assert visible(tg.chat_messages(GROUP.id)[-3]["text"]) == messages.WORKSHOP_ENDED.format(number=1)
    # The group profile covers the two revealed questions.
    assert visible(tg.chat_messages(GROUP.id)[-2]["text"]).startswith(
        messages.WORKSHOP_GROUP_HEADING.format(title=dialog.title, revealed=2, total=dialog.total)
    )


async def test_a_workshop_of_an_unknown_dialog_is_answered(
    tg: FakeTelegram, bot: Bot, services: Services, dialogs: dict[str, Dialog]
) -> None:
    await bot.do(tg.say(GROUP, FAY, "/workshop no-such-dialog"))
    known = ", ".join(sorted(dialogs))
    expected = messages.UNKNOWN_DIALOG.format(dialog="no-such-dialog", known=known)
    assert tg.texts(GROUP.id) == [f"{FAY.first_name}\n{expected}"]
    assert (await services.workshops.current(KEY)).number == 0


async def test_workshop_commands_in_a_private_chat_are_refused_politely(tg: FakeTelegram, bot: Bot) -> None:
    ana = MEMBERS[0]
    for command in ("/workshop", "/reveal", "/next", "/endworkshop"):
        await bot.do(tg.say(private(ana), ana, command))
    assert tg.texts(ana.id) == [messages.TELEGRAM_WORKSHOP_PRIVATE] * 4


async def test_forget_erases_workshop_votes_too(
    tg: FakeTelegram, bot: Bot, dialog: Dialog, db_path: Path
) -> None:
    question = await start_workshop(tg, bot)
    ana, ben = MEMBERS[0], MEMBERS[1]
    await bot.do(tg.press(ana, question, dialog.distinctions[0].choices[0].label))
    await bot.do(tg.press(ben, question, dialog.distinctions[0].choices[1].label))
    await bot.do(tg.say(GROUP, ana, "/forget"))
    await bot.do(tg.press(ana, tg.last(GROUP.id), messages.TELEGRAM_BUTTONS["forget-yes"]))
    assert [vote[2] for vote in votes_in_db(db_path)] == [str(ben.id)]


def test_profile_payloads_round_trip() -> None:
    for chat, number in ((-1001234567890123, 7), (42, 1), (-1, 999999)):
        payload = profile_payload(chat, number)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
        assert read_payload(payload) == (chat, number)
    assert read_payload("ws--5-1") is None and read_payload("dialog-id") is None
