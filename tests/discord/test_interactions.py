"""Interactions that arrive oddly: a form the bot did not make, an autocomplete request,
the same interaction twice. Each gets the answer Discord expects and no traceback."""

from __future__ import annotations

import logging
from typing import Any

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
