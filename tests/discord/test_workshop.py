"""Workshops over Discord: a facilitator and a channel of members, through the real client,
the real ``Workshops`` service and a real SQLite file, against the fake Discord."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from dialogs import messages
from dialogs.content import Dialog
from dialogs.workshop import WorkshopPhase
from tests.discord.conftest import ANA, BEN, CLEO, DAN, Bot, latest
from tests.fakes.discord_api import (
    DEFERRED_MESSAGE,
    EPHEMERAL,
    Call,
    FakeDiscord,
    Person,
    button_ids,
    button_labels,
)

VOTE_PREFIX = "1:w:"


async def no_rest(_seconds: float) -> None:
    """The coalescer's rest, shortened to one loop turn (the burst test paces it itself)."""
    await asyncio.sleep(0)


def callbacks(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [c.body for c in fake.calls_to("POST", "/interactions/")]


def public(message: dict[str, Any]) -> bool:
    return not message["flags"] & EPHEMERAL


def question_message(fake: FakeDiscord) -> dict[str, Any]:
    """The newest public message carrying vote buttons."""
    return latest(fake, lambda m: public(m) and any(i.startswith(VOTE_PREFIX) for i in button_ids(m)))


def private_reply(fake: FakeDiscord) -> str:
    """What the last ephemeral reply said."""
    return str(latest(fake, lambda m: not public(m))["content"])


def channel_posts(fake: FakeDiscord) -> list[Call]:
    return fake.calls_to("POST", f"/channels/{fake.guild_channel_id}/messages")


async def workshop(bot: Bot, person: Person, sub: str, **options: str) -> None:
    await bot.act(bot.fake.slash(person, sub, group="workshop", **options))


async def vote(bot: Bot, person: Person, choice: int, question: dict[str, Any] | None = None) -> None:
    message = question or question_message(bot.fake)
    ids = [i for i in button_ids(message) if i.startswith(VOTE_PREFIX)]
    await bot.act(bot.fake.press(person, message, ids[choice]))


async def settle(bot: Bot) -> None:
    await bot.client.workshop_router.coalescer.drain()


async def test_a_facilitator_takes_the_channel_through_a_workshop(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    assert callbacks(fake)[-1] == {"type": DEFERRED_MESSAGE, "data": {"flags": EPHEMERAL}}
    posts = [m for m in fake.messages.values() if public(m)]
    assert dialog.intro.split(".")[0] in posts[0]["content"]
    question = question_message(fake)
    assert dialog.distinctions[0].title in question["content"]
    assert messages.VOTE_COUNT_NONE in question["content"]
    assert list(button_labels(question)) == [c.label for c in dialog.distinctions[0].choices]
    assert messages.WORKSHOP_LEAD in private_reply(fake)  # only the facilitator is told how to lead

    members = (BEN, CLEO, DAN)
    for n, distinction in enumerate(dialog.distinctions):
        question = question_message(fake)
        assert distinction.title in question["content"]
        for m, member in enumerate(members):
            await vote(bot, member, (n + m) % len(distinction.choices) if m < 2 else 0)
            label = distinction.choices[(n + m) % len(distinction.choices) if m < 2 else 0].label
            assert private_reply(fake) == messages.VOTE_RECORDED.format(label=label)
            assert callbacks(fake)[-1] == {"type": DEFERRED_MESSAGE, "data": {"flags": EPHEMERAL}}
        await settle(bot)
        shown = fake.messages[int(question["id"])]
        assert messages.VOTE_COUNT.say(3, voters=3) in shown["content"]
        assert "Ben" not in shown["content"] and str(BEN.id) not in shown["content"]

        await workshop(bot, ANA, "reveal")
        tally = latest(fake, lambda m: public(m) and "%" in m["content"])
        assert distinction.title in tally["content"] and "(3 answered)" in tally["content"]
        assert "█" in tally["content"]
        for member in members:
            assert member.name not in tally["content"] and str(member.id) not in tally["content"]
        assert distinction.why[:30] in tally["content"]  # the difference, explained
        closed = fake.messages[int(question["id"])]
        assert closed["components"] == [] and messages.VOTE_COUNT.say(3, voters=3) in closed["content"]
        assert private_reply(fake) == messages.DISCORD_WORKSHOP_POSTED
        await workshop(bot, ANA, "next")

    ending = latest(fake, public)
    assert messages.WORKSHOP_ENDED.format(number=1) in ending["content"]
    assert messages.WORKSHOP_PROFILE_OFFER in ending["content"]
    assert dialog.title in ending["content"]  # the group profile heading
    assert list(button_labels(ending)) == [messages.DISCORD_WORKSHOP_PROFILE_BUTTON]
    state = await bot.workshops.current(bot.workshop_key())
    assert state.phase is WorkshopPhase.ENDED

    # Ben asks for his own profile: only he sees it, and it holds his answers.
    await bot.act(fake.press(BEN, ending, button_labels(ending)[messages.DISCORD_WORKSHOP_PROFILE_BUTTON]))
    mine = latest(fake, lambda m: not public(m))
    assert (
        messages.WORKSHOP_MEMBER_HEADING.format(number=1, answered=dialog.total, total=dialog.total)
        in (mine["content"])
    )
    assert dialog.distinctions[0].choices[0].label in mine["content"]
    # Someone who never answered is told so, privately.
    await bot.act(fake.press(ANA, ending, button_labels(ending)[messages.DISCORD_WORKSHOP_PROFILE_BUTTON]))
    assert private_reply(fake) == messages.WORKSHOP_MEMBER_NO_VOTES

    # Public messages were posted and edited as the bot, never through an interaction token.
    public_ids = {m["id"] for m in fake.messages.values() if public(m)}
    assert len(channel_posts(fake)) == len(public_ids)
    assert all(c.path.rsplit("/", 1)[-1] not in public_ids for c in fake.calls_to("PATCH", "/webhooks/"))
    assert fake.unexpected == []


async def test_count_edits_keep_the_intro(fake: FakeDiscord, launch: Any, dialog: Dialog) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    await vote(bot, BEN, 0)
    await settle(bot)
    question = fake.messages[int(question_message(fake)["id"])]
    assert messages.VOTE_COUNT.say(1, voters=1) in question["content"]  # the count was edited in
    # The intro the workshop opened with still reads in the channel.
    shown = [m["content"] for m in fake.messages.values() if public(m)]
    assert any(dialog.intro.split(".")[0] in content for content in shown)


async def test_a_member_changes_their_answer_before_the_reveal(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    first = dialog.distinctions[0]
    question = dict(question_message(fake))
    await vote(bot, BEN, 0)
    await vote(bot, CLEO, 0)
    await vote(bot, BEN, 2)  # Ben thinks again
    assert private_reply(fake) == messages.VOTE_RECORDED.format(label=first.choices[2].label)
    await settle(bot)
    assert messages.VOTE_COUNT.say(2, voters=2) in question_message(fake)["content"]

    await workshop(bot, ANA, "reveal")
    tally = latest(fake, lambda m: public(m) and "%" in m["content"])
    rows = {line.split(") ", 1)[1]: line for line in tally["content"].splitlines()[1:4]}
    assert "50% (1)" in rows[first.choices[0].label]
    assert "0% (0)" in rows[first.choices[1].label]
    assert "50% (1)" in rows[first.choices[2].label]
    assert "(2 answered)" in tally["content"]

    # A press after the reveal changes nothing.
    await vote(bot, CLEO, 1, fake.messages[int(question["id"])] | {"components": question["components"]})
    assert private_reply(fake) == messages.VOTE_AFTER_REVEAL
    votes = await bot.workshops.store.tallies(bot.workshop_key(), 1)
    assert votes[first.id] == {first.choices[0].id: 1, first.choices[2].id: 1}


async def test_only_the_facilitator_or_a_manager_may_steer(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    fake.managers.add(DAN.id)
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    await vote(bot, BEN, 1)
    posted = len(channel_posts(fake))

    for sub in ("reveal", "next", "end"):
        await workshop(bot, BEN, sub)
        assert private_reply(fake) == messages.WORKSHOP_ONLY_STEERER
    assert len(channel_posts(fake)) == posted  # nothing revealed, nothing posted
    state = await bot.workshops.current(bot.workshop_key())
    assert (state.phase, state.position) == (WorkshopPhase.ASKING, 0)
    assert question_message(fake)["components"]  # still taking votes

    await workshop(bot, DAN, "reveal")  # Manage Server may steer
    assert "(1 answered)" in latest(fake, lambda m: public(m) and "%" in m["content"])["content"]
    assert (await bot.workshops.current(bot.workshop_key())).phase is WorkshopPhase.REVEALED


async def test_a_second_start_asks_first_and_dms_are_refused(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    old_question = copy.deepcopy(question_message(fake))  # as a member still sees it

    await workshop(bot, BEN, "start")  # not the facilitator: refused, not asked
    assert private_reply(fake) == messages.WORKSHOP_RUNNING_REFUSED

    await workshop(bot, ANA, "start")
    prompt = latest(fake, lambda m: not public(m))
    assert prompt["content"].startswith("Workshop 1")
    labels = button_labels(prompt)
    assert list(labels) == [messages.DISCORD_WORKSHOP_REPLACE, messages.DISCORD_WORKSHOP_KEEP]
    await bot.act(fake.press(ANA, prompt, labels[messages.DISCORD_WORKSHOP_KEEP]))
    assert fake.messages[int(prompt["id"])]["content"] == messages.DISCORD_WORKSHOP_KEPT
    assert (await bot.workshops.current(bot.workshop_key())).number == 1

    await workshop(bot, ANA, "start")
    prompt = latest(fake, lambda m: not public(m))
    await bot.act(fake.press(ANA, prompt, button_labels(prompt)[messages.DISCORD_WORKSHOP_REPLACE]))
    assert fake.messages[int(prompt["id"])]["components"] == []
    state = await bot.workshops.current(bot.workshop_key())
    assert (state.number, state.phase) == (2, WorkshopPhase.ASKING)
    assert (
        messages.WORKSHOP_REPLACED.format(number=1)
        in latest(fake, lambda m: public(m) and "Workshop 1" in m["content"])["content"]
    )
    assert question_message(fake)["id"] != old_question["id"]
    assert fake.messages[int(old_question["id"])]["components"] == []  # its buttons are gone

    # An old button pressed anyway records nothing.
    await vote(bot, BEN, 0, old_question)
    assert private_reply(fake) == messages.VOTE_OLD_WORKSHOP
    assert await bot.workshops.store.tallies(bot.workshop_key(), 2) == {}

    # In a DM, workshops are politely refused.
    await bot.act(fake.slash(BEN, "start", channel_id=fake.dm_channel(BEN), group="workshop"))
    reply = callbacks(fake)[-1]
    assert reply["data"]["content"] == messages.DISCORD_WORKSHOP_GUILD_ONLY
    assert (await bot.workshops.current(bot.workshop_key())).number == 2


async def test_an_old_vote_button_counts_after_a_restart(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    first: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(first, ANA, "start")
    await workshop(first, ANA, "reveal")
    await workshop(first, ANA, "next")
    question = question_message(fake)  # question 2, posted by the first process
    await vote(first, BEN, 0)
    await settle(first)
    await first.shut_down()

    second: Bot = await launch(fake, vote_sleep=no_rest)  # new client, same database file
    edits_before = len(fake.edits_of(question["id"]))
    await vote(second, CLEO, 1, question)
    assert private_reply(fake) == messages.VOTE_RECORDED.format(label=dialog.distinctions[1].choices[1].label)
    await settle(second)
    # The count of the message posted before the restart is edited by the new process.
    assert len(fake.edits_of(question["id"])) == edits_before + 1
    assert messages.VOTE_COUNT.say(2, voters=2) in fake.messages[int(question["id"])]["content"]

    await workshop(second, ANA, "reveal")  # the facilitator survived the restart too
    assert "(2 answered)" in latest(fake, lambda m: public(m) and "%" in m["content"])["content"]
    assert fake.unexpected == []


async def test_forget_erases_workshop_votes_too(fake: FakeDiscord, launch: Any) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    await vote(bot, BEN, 0)
    await vote(bot, CLEO, 0)
    await bot.act(fake.slash(BEN, "forget"))
    prompt = latest(fake, lambda m: not public(m))
    await bot.act(fake.press(BEN, prompt, button_labels(prompt)[messages.DISCORD_FORGET_YES]))
    tallies = await bot.workshops.store.tallies(bot.workshop_key(), 1)
    assert sum(tallies["work"].values()) == 1
    assert await bot.workshops.store.member_votes(bot.workshop_key(), 1, str(BEN.id)) == {}


async def test_next_before_a_reveal_shows_the_results_first(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    first = copy.deepcopy(question_message(fake))
    await vote(bot, BEN, 1)
    await workshop(bot, ANA, "next")
    tally = latest(fake, lambda m: public(m) and "%" in m["content"])
    assert dialog.distinctions[0].title in tally["content"] and "(1 answered)" in tally["content"]
    assert dialog.distinctions[1].title in question_message(fake)["content"]
    closed = fake.messages[int(first["id"])]
    assert closed["components"] == [] and messages.VOTE_COUNT.say(1, voters=1) in closed["content"]
    await vote(bot, CLEO, 0, first)  # the first question's button, after it closed
    assert private_reply(fake) == messages.VOTE_CLOSED


async def test_a_channel_the_bot_cannot_post_in_is_explained_to_the_facilitator(
    fake: FakeDiscord, launch: Any
) -> None:
    fake.read_only.add(fake.guild_channel_id)
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    reply = private_reply(fake)
    assert reply.startswith(messages.DISCORD_WORKSHOP_CANNOT_POST) and messages.WORKSHOP_LEAD in reply
    assert not [m for m in fake.messages.values() if public(m)]
    await workshop(bot, ANA, "end")  # the facilitator can still close it
    assert (await bot.workshops.current(bot.workshop_key())).phase is WorkshopPhase.ENDED


async def test_a_workshop_through_an_outage_shows_every_post_once_in_order(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    first = question_message(fake)
    await vote(bot, BEN, 0)
    await settle(bot)
    fake.webhooks_down = fake.channels_down = True
    sender = bot.client.sender
    # Reveal, next, reveal: each committed with its posts owed; none can be delivered yet.
    for sub in ("reveal", "next", "reveal"):
        await bot.act(fake.slash(ANA, sub, group="workshop"), delivered=False)
    state = await bot.workshops.current(bot.workshop_key())
    assert (state.position, state.phase) == (1, WorkshopPhase.REVEALED)
    failed = sender.failures
    while sender.failures < failed + 2:
        await asyncio.sleep(0.01)
    fake.webhooks_down = fake.channels_down = False
    await bot.delivered()

    posted = [m for key, m in sorted(fake.messages.items()) if public(m) and key > int(first["id"])]
    tallies = [m for m in posted if "%" in m["content"]]
    second = next(m for m in posted if m not in tallies)
    # Once each and in order: the first results, the second question, its results.
    assert [m["id"] for m in posted] == [tallies[0]["id"], second["id"], tallies[1]["id"]]
    assert dialog.distinctions[0].title in tallies[0]["content"]
    assert (
        dialog.distinctions[1].title in tallies[1]["content"]
        and dialog.distinctions[1].title in second["content"]
    )
    assert len(channel_posts(fake)) == len([m for m in fake.messages.values() if public(m)])
    # Each question was closed by its reveal, once it had been posted.
    assert second["components"] == [] and messages.VOTE_COUNT_NONE in second["content"]
    closed = fake.messages[int(first["id"])]
    assert closed["components"] == [] and messages.VOTE_COUNT.say(1, voters=1) in closed["content"]
    assert await bot.outbox.count("discord") == 0
