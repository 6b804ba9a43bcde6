"""Slash command sync that happens only when the command set changed.

Rules:
- Discord limits command creations per day, so the payload of the commands (with the
  application id and the target guild) is hashed, and the tree is synced only when that
  hash differs from the one remembered after the last successful sync.
- The hash is remembered in a sidecar file next to the database (``<db>.discord-commands``),
  written only after Discord accepted the sync, atomically. No file (an in-memory
  database): always sync.
- ``DISCORD_GUILD_ID`` set: the global commands are copied to that guild and synced there
  (instant, for testing); otherwise they are synced globally.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

_log = logging.getLogger(__name__)


def marker_for(db_path: Path) -> Path | None:
    """Where the hash of the last synced command set is kept, for this database."""
    if str(db_path) == ":memory:":
        return None
    return db_path.with_name(db_path.name + ".discord-commands")


async def command_hash(tree: app_commands.CommandTree[Any], application_id: int, guild_id: int | None) -> str:
    """The hash of what a sync would send, localizations included (a changed translation
    is a changed command set)."""
    guild = discord.Object(guild_id) if guild_id is not None else None
    translator = tree.translator
    commands = tree.get_commands(guild=guild)
    if translator is None:
        payload = [command.to_dict(tree) for command in commands]
    else:
        payload = [await command.get_translated_payload(tree, translator) for command in commands]
    document = {"application": application_id, "guild": guild_id, "commands": payload}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any], application_id: int, guild_id: int | None, marker: Path | None
) -> bool:
    """Sync the tree if its commands changed since the last sync; True if it synced."""
    guild = discord.Object(guild_id) if guild_id is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    digest = await command_hash(tree, application_id, guild_id)
    if marker is not None and _read(marker) == digest:
        _log.info("slash commands unchanged, not syncing")
        return False
    synced = await tree.sync(guild=guild)
    _log.info("synced %d slash command(s) %s", len(synced), f"to guild {guild_id}" if guild else "globally")
    if marker is not None:
        _write(marker, digest)
    return True


def _read(marker: Path) -> str | None:
    try:
        return marker.read_text(encoding="ascii").strip()
    except OSError:
        return None


def _write(marker: Path, digest: str) -> None:
    # Write then rename, so a crash never leaves half a hash that would skip a needed sync.
    partial = marker.with_name(marker.name + ".tmp")
    partial.write_text(digest + "\n", encoding="ascii")
    os.replace(partial, marker)
