"""The engine stays pure: importing ``dialogs`` loads no I/O or platform library."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("asyncio", "telegram", "discord", "aiosqlite", "sqlite3", "socket")


def test_importing_dialogs_loads_no_io_or_platform_modules() -> None:
    code = (
        "import sys, json\n"
        "import dialogs, dialogs.engine, dialogs.loader, dialogs.matching, dialogs.profile\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(dialogs.__path__): importlib.import_module('dialogs.' + m.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "dialogs.engine" in loaded
    leaked = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert leaked == []


def test_the_terminal_chat_imports_neither_telegram_nor_discord() -> None:
    code = "import sys, json\nimport bot.cli, bot.console, bot.app\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert "bot" in loaded
    assert not loaded & {"telegram", "discord"}
