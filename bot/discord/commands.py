"""The ``/career`` slash command group.

Rules:
- One group, ``/career``, with ``start [dialog]``, ``resume``, ``back``, ``skip``,
  ``restart``, ``summary``, ``why``, ``help``, ``language [language]``, ``mydata`` and
  ``forget``; each maps to one
  engine event, except ``forget``, which first asks for a confirmation with two buttons, and
  ``mydata``, which shows what is stored with those two buttons under it.
- ``dialog`` offers the loaded dialogs as choices, so a person cannot mistype one; the
  choices are part of the command payload, so new content triggers a re-sync.
- A second group, ``/workshop``, with ``start [dialog] [language]``, ``reveal``, ``next`` and ``end``,
  each handed to the ``WorkshopRouter`` (who may steer is the engine's business).
- Descriptions come from ``dialogs.messages``; their translations reach Discord as
  localizations (``bot.discord.translator``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.discord.router import Router
from bot.discord.workshop_router import WorkshopRouter
from bot.language import own_name
from dialogs.events import COMMANDS, Event, Start
from dialogs.i18n import messages

GROUP = "career"
WORKSHOP_GROUP = "workshop"
_CHOICES_LIMIT = 25  # Discord's limit on an option's choices
Callback = Callable[[discord.Interaction[Any]], Awaitable[None]]


def career_group(
    router: Router, dialog_ids: Sequence[str], languages: Sequence[str] = ()
) -> app_commands.Group:
    group = app_commands.Group(name=GROUP, description=messages.DISCORD_COMMAND_GROUP)
    group.add_command(_start(router, dialog_ids))
    for name, event in COMMANDS.items():
        if name != "start":
            group.add_command(_simple(name, _sender(router, event)))
    if len(languages) > 1:
        group.add_command(_language(router, languages))
    group.add_command(_simple("mydata", router.mydata))
    group.add_command(_simple("forget", router.forget_prompt))
    return group


def _sender(router: Router, event: Event) -> Callback:
    async def send(interaction: discord.Interaction[Any]) -> None:
        await router.slash(interaction, event)

    return send


def _simple(name: str, run: Callback, description: str | None = None) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await run(interaction)

    return app_commands.Command(
        name=name, description=description or messages.DISCORD_COMMANDS[name], callback=callback
    )


def _start(router: Router, dialog_ids: Sequence[str]) -> app_commands.Command[Any, ..., None]:
    choices = [app_commands.Choice(name=d, value=d) for d in dialog_ids[:_CHOICES_LIMIT]]

    @app_commands.describe(dialog=messages.DISCORD_DIALOG_OPTION)
    @app_commands.choices(dialog=choices)
    async def start(interaction: discord.Interaction[Any], dialog: str | None = None) -> None:
        await router.slash(interaction, Start(dialog))

    return app_commands.Command(name="start", description=messages.DISCORD_COMMANDS["start"], callback=start)


def _language(router: Router, languages: Sequence[str]) -> app_commands.Command[Any, ..., None]:
    choices = [app_commands.Choice(name=own_name(code), value=code) for code in languages[:_CHOICES_LIMIT]]

    @app_commands.describe(language=messages.DISCORD_LANGUAGE_OPTION)
    @app_commands.choices(language=choices)
    async def language(interaction: discord.Interaction[Any], language: str | None = None) -> None:
        await router.language(interaction, language)

    return app_commands.Command(
        name="language", description=messages.DISCORD_COMMANDS["language"], callback=language
    )


def workshop_group(
    router: WorkshopRouter, dialog_ids: Sequence[str], languages: Sequence[str] = ()
) -> app_commands.Group:
    group = app_commands.Group(name=WORKSHOP_GROUP, description=messages.DISCORD_WORKSHOP_GROUP)
    choices = [app_commands.Choice(name=d, value=d) for d in dialog_ids[:_CHOICES_LIMIT]]
    spoken = [app_commands.Choice(name=own_name(code), value=code) for code in languages[:_CHOICES_LIMIT]]

    @app_commands.describe(
        dialog=messages.DISCORD_WORKSHOP_DIALOG_OPTION, language=messages.DISCORD_WORKSHOP_LANGUAGE_OPTION
    )
    @app_commands.choices(dialog=choices, language=spoken)
    async def start(
        interaction: discord.Interaction[Any], dialog: str | None = None, language: str | None = None
    ) -> None:
        await router.start(interaction, dialog, language)

    described = messages.DISCORD_WORKSHOP_COMMANDS
    group.add_command(app_commands.Command(name="start", description=described["start"], callback=start))
    for name, run in (("reveal", router.reveal), ("next", router.next), ("end", router.end)):
        group.add_command(_simple(name, run, described[name]))
    return group
