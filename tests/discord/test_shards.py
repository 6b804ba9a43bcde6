"""Discord shards: ``DISCORD_SHARD_COUNT`` and ``DISCORD_SHARD_IDS`` start an auto-sharded
client that identifies with exactly those shards, so two processes split the guilds between
them, each answering only its own guilds' interactions (and shard 0 the DMs)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from bot.config import ConfigError, DiscordSettings
from bot.discord.client import HANDLED, CareerClient, ShardedCareerClient
from tests.discord.conftest import ANA, BEN, CLEO, TOKEN, Bot, latest
from tests.fakes.discord_api import FakeDiscord, button_labels

# A second guild on shard 0 of 2, beside the fake's own guild, which is on shard 1 of 2.
SHARD_0_GUILD, SHARD_0_CHANNEL = 900_000_000_000_000_003 + (1 << 22), 900_000_000_000_000_005


def handled_by(client: CareerClient) -> tuple[list[int], asyncio.Task[Any]]:
    """Every interaction id ``client`` handles from now on (cancel the task when done)."""
    handled: list[int] = []

    def record(interaction_id: int) -> bool:
        handled.append(interaction_id)
        return False

    return handled, asyncio.create_task(client.wait_for(HANDLED, check=record))


async def test_two_processes_each_answer_the_interactions_of_their_own_shard(
    fake: FakeDiscord, launch: Any
) -> None:
    fake.other_guilds[SHARD_0_GUILD] = SHARD_0_CHANNEL
    assert ((SHARD_0_GUILD >> 22) % 2, (fake.guild_id >> 22) % 2) == (0, 1)
    first: Bot = await launch(fake, shard_count=2, shard_ids=(0,))
    second: Bot = await launch(fake, shard_count=2, shard_ids=(1,))
    assert isinstance(first.client, ShardedCareerClient) and isinstance(second.client, ShardedCareerClient)
    assert sorted(s for s in fake.identified_shards if s is not None) == [[0, 2], [1, 2]]
    assert [g.id for g in first.client.guilds] == [SHARD_0_GUILD]
    assert [g.id for g in second.client.guilds] == [fake.guild_id]
    (first_handled, first_waiter), (second_handled, second_waiter) = (
        handled_by(first.client),
        handled_by(second.client),
    )
    await asyncio.sleep(0)
    fake.delivered.clear()
    try:
        in_shard_0 = fake.slash(ANA, "start", SHARD_0_CHANNEL)
        await first.act(in_shard_0)
        question = latest(fake, lambda m: m["channel_id"] == str(SHARD_0_CHANNEL))
        pressed = fake.press(ANA, question, next(iter(button_labels(question).values())))
        await first.act(pressed)
        in_shard_1 = fake.slash(BEN, "start")
        await second.act(in_shard_1)
        in_a_dm = fake.slash(CLEO, "help", fake.dm_channel(CLEO))
        await first.act(in_a_dm)  # a DM goes to shard 0
    finally:
        first_waiter.cancel()
        second_waiter.cancel()
    assert first_handled == [int(p["id"]) for p in (in_shard_0, pressed, in_a_dm)]
    assert second_handled == [int(in_shard_1["id"])]
    assert fake.delivered == [("INTERACTION_CREATE", [0, 2])] * 2 + [("INTERACTION_CREATE", [1, 2])] + [
        ("INTERACTION_CREATE", [0, 2])
    ]
    assert len(fake.calls_to("POST", "/interactions/")) == 4  # each one answered once
    assert await first.answers(ANA, SHARD_0_CHANNEL) == 1
    assert await second.answers(BEN) == 0  # asked the first question, in its own guild


async def test_a_shard_id_outside_the_count_is_refused_by_the_fake(fake: FakeDiscord, launch: Any) -> None:
    # What Discord does with a wrong IDENTIFY, which the settings check keeps from happening.
    with pytest.raises(discord.ConnectionClosed, match="4010"):
        await launch(fake, shard_count=2, shard_ids=(2,))
    assert fake.violations == ["IDENTIFY with shard [2, 2]: Invalid shard"]
    fake.violations.clear()


async def test_without_a_shard_count_the_client_is_not_sharded(fake: FakeDiscord, launch: Any) -> None:
    bot: Bot = await launch(fake)
    assert not isinstance(bot.client, ShardedCareerClient)
    assert fake.identified_shards == [None]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS is set without DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"}, "from 0 to 1"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "a"}, "DISCORD_SHARD_IDS='a'"),
    ],
)
def test_shard_settings_are_checked_together(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        DiscordSettings.from_env({"DISCORD_BOT_TOKEN": TOKEN, **env})


def test_shard_settings_are_read() -> None:
    settings = DiscordSettings.from_env(
        {"DISCORD_BOT_TOKEN": TOKEN, "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3, 1"}
    )
    assert (settings.shard_count, settings.shard_ids) == (4, (1, 3))
