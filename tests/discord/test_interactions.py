"""Interactions that arrive oddly: a form the bot did not make, an autocomplete request,
the same interaction twice. Each gets the answer Discord expects and no traceback."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from dialogs import messages
from tests.discord.conftest import ANA, Bot
from tests.fakes.discord_api import AUTOCOMPLETE_RESULT, CHANNEL_MESSAGE, EPHEMERAL, FakeDiscord


def callbacks(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [c.body for c in fake.calls_to("POST", "/interactions/")]


def loud(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_form_the_bot_did_not_make_is_answered_like_an_expired_button(
    fake: FakeDiscord, launch: Any
) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.submit(ANA, "someone-elses-form", {"field": "words"}))
    [reply] = callbacks(fake)
    assert reply["type"] == CHANNEL_MESSAGE and reply["data"]["flags"] == EPHEMERAL
    assert reply["data"]["content"] == messages.DISCORD_EXPIRED_BUTTON


async def test_an_autocomplete_request_gets_no_suggestions_quietly(
    fake: FakeDiscord, launch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot: Bot = await launch(fake)
    caplog.clear()
    await bot.act(fake.autocomplete(ANA, "start", "dialog", "job"))
    assert callbacks(fake) == [{"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}]
    assert loud(caplog) == []


async def test_the_same_interaction_twice_is_answered_once_and_quietly(
    fake: FakeDiscord, launch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot: Bot = await launch(fake)
    caplog.clear()
    command = fake.slash(ANA, "help")
    await bot.act(command)
    await bot.act(command)  # Discord delivers it again
    assert len(callbacks(fake)) == 2  # the second acknowledgement was refused (40060)...
    assert [m["content"] for m in fake.messages.values()].count(messages.DISCORD_FAILED) == 0
    assert len(fake.calls_to("POST", "/webhooks/")) + len(fake.calls_to("PATCH", "/webhooks/")) == 1
    assert loud(caplog) == []  # ...and nobody was told, or logged, that anything failed


async def test_an_exception_in_the_gateway_loop_connects_again(
    fake: FakeDiscord, launch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot: Bot = await launch(fake, pause=lambda _failures: 0.0)
    caplog.clear()
    # discord.py cannot parse a READY without its user: the error escapes its gateway loop.
    await fake.dispatch("READY", {})
    await fake.wait_for(lambda: len(fake.identified_tokens) == 2 and fake.connected == 1)
    assert not bot.task.done()  # careerbot discord is still running...
    await bot.act(fake.slash(ANA, "help"))  # ...and serving
    assert "/career start" in list(fake.messages.values())[-1]["content"]
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "connecting again" in failure.getMessage() and failure.exc_info is not None


async def test_no_voice_warnings_at_start(
    fake: FakeDiscord, launch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # discord.py warns once per process; make this start look like the first one.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True
    await launch(fake)
    assert [line for line in loud(caplog) if "voice" in line] == []
