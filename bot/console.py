"""The terminal chat: the conversation on stdin/stdout, no token needed.

Rules:
- One input line is one turn; every reply is printed and flushed only after the turn is
  committed, so what the person has seen acknowledged is on disk.
- Works with a TTY or with piped input; end of input ends the chat cleanly.
- The terminal speaks the person's language: ``--lang`` (kept as their choice, like
  ``/language es``), else a choice made before, else the locale (``LC_ALL``,
  ``LC_MESSAGES``, ``LANG``) if its language is loaded, else the default.
- ``/quit`` leaves; ``/mydata`` prints everything stored about the person; ``/forget``
  asks for a "yes" before erasing; ``/help`` is the terminal's
  own (no buttons here, and it lists ``/quit``); other ``/commands`` map to engine events;
  anything else is a free-text answer (a confirmation is answered with y or n). Typed words
  carry the turn of the last question (or confirmation) printed, so they never count for
  a question this terminal has not shown, e.g. one another terminal moved the person on to.
- A finished profile is also drawn as a PNG (``bot.chart``) into ``chart``, and the path is
  printed; a file that cannot be written is reported in one line, the chat goes on.
- At a terminal, the prompt has line editing and history (``readline``).
- On a terminal, long lines are wrapped at word boundaries to its width (a numbered choice
  keeps its indent); piped output is left unwrapped, one reply paragraph per line.
"""

from __future__ import annotations

import asyncio
import re
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot import pictures
from bot.conversations import Conversations
from bot.language import hint, negotiate, own_name
from bot.mydata import mydata_for
from bot.render import PLAIN, reply_text
from dialogs.events import COMMANDS, Event, FreeText, Start
from dialogs.i18n import messages
from dialogs.replies import Confirmation, Profile, Question, Reply, Text
from storage.keys import SessionKey

PROMPT = "> "
_INDENT = re.compile(r"^(\s*(?:\d+\.\s+)?)")


def wrap(text: str, width: int) -> str:
    """Wrap each line of ``text`` at ``width``, continuing a numbered line under its words."""
    lines = []
    for line in text.split("\n"):
        indent = " " * len(_INDENT.match(line).group(1))  # type: ignore[union-attr]
        lines.append(textwrap.fill(line, width, subsequent_indent=indent) if len(line) > width else line)
    return "\n".join(lines)


class Console:
    def __init__(
        self,
        conversations: Conversations,
        user: str,
        out: TextIO = sys.stdout,
        echo: bool = False,
        width: int | None = None,
        chart: Path | None = None,
        locale: str | None = None,
    ) -> None:
        self.locale = locale  # the terminal's language (LC_ALL, LC_MESSAGES, LANG), if any
        self.chart = chart  # where a finished profile's picture goes; None: not drawn
        self.conversations = conversations
        self.echo = echo  # piped input is not shown by a terminal: echo it for a readable log
        self.width = width  # None: do not wrap
        self.key = SessionKey("console", "terminal", user)
        self.out = out
        self.asked: int | None = None  # the turn of the question on screen, if any

    def show(self, replies: tuple[Reply, ...]) -> None:
        for reply in replies:
            if isinstance(reply, Question | Confirmation):
                self.asked = reply.turn
            text = reply_text(reply, PLAIN, numbered=isinstance(reply, Question))
            if isinstance(reply, Text | Question) and reply.actions:
                hints = [f"/{a.value}" for a in reply.actions] + [messages.TERMINAL_QUIT_HINT]
                text += f"\n({' '.join(hints)})"
            if isinstance(reply, Confirmation):
                text += " " + messages.TERMINAL_CONFIRM_HINT
            if self.width:
                text = wrap(text, self.width)
            self.out.write(text + "\n\n")
            if isinstance(reply, Profile) and reply.finished and self.chart is not None:
                self.out.write(self._draw(reply) + "\n\n")
        self.out.flush()

    def _draw(self, profile: Profile) -> str:
        assert self.chart is not None
        try:
            self.chart.write_bytes(pictures.draw(profile))
        except OSError as exc:
            return messages.CHART_FAILED.format(reason=exc.strerror or exc)
        return messages.CHART_SAVED.format(path=self.chart)

    async def turn(self, event: Event) -> None:
        result = await self.conversations.handle(self.key, event)
        self.show(result.replies)

    async def _goodbye(self) -> str:
        # After /forget nothing may be stored any more: "your answers are saved" would lie.
        stored = await self.conversations.current(self.key) is not None
        return messages.GOODBYE if stored else messages.GOODBYE_NOTHING_STORED

    async def _language(self, words: list[str]) -> None:
        """/language es: speak it from now on; /language alone: the languages there are."""
        languages = self.conversations.languages
        chosen = negotiate(words[0], languages) if words else None
        if chosen is not None:
            result = await self.conversations.choose_language(self.key, chosen)
            self.show(result.replies)
            return
        if words:
            known = ", ".join(languages)
            self.out.write(messages.LANGUAGE_UNKNOWN.format(language=words[0], known=known) + "\n\n")
            return
        listing = "\n".join(f"/language {code}  ({own_name(code)})" for code in languages)
        self.out.write(f"{messages.LANGUAGE_CHOOSE}\n{listing}\n\n")

    async def run(
        self, lines: asyncio.Queue[str | None], dialog: str | None, language: str | None = None
    ) -> None:
        hint(self.locale)
        if language is not None:
            await self.conversations.remember_language(self.key, language)
        await self.turn(Start(dialog))
        while True:
            self.out.write(PROMPT)
            self.out.flush()
            line = await lines.get()
            if line is not None and self.echo:
                self.out.write(line if line.endswith("\n") else line + "\n")
            if line is None:
                self.out.write("\n" + await self._goodbye() + "\n")
                break
            text = line.strip()
            command = (
                text[1:].split(maxsplit=1)[0].lower() if text.startswith("/") and len(text) > 1 else None
            )
            if command == "quit":
                self.out.write(await self._goodbye() + "\n")
                break
            if command == "language":
                await self._language(text.split()[1:])
                continue
            if command == "help":
                self.out.write(messages.TERMINAL_HELP + "\n\n")
                continue
            if command == "mydata":
                shown = await mydata_for(
                    self.conversations, self.key.platform, self.key.user, self.key.chat, PLAIN
                )
                erase = f"\n{messages.MYDATA_FORGET_TERMINAL}" if shown.erasable else ""
                self.out.write(f"{shown.text}{erase}\n\n")
                continue
            if command == "forget":
                self.out.write(messages.FORGET_CONFIRM + " (yes/no)\n")
                self.out.flush()
                answer = await lines.get()
                if answer is not None and answer.strip().lower() in {"yes", "y"}:
                    await self.conversations.forget(self.key)
                    self.out.write(messages.FORGOTTEN + "\n\n")
                else:
                    self.out.write(messages.FORGET_CANCELLED + "\n\n")
                if answer is None:
                    # The end of input was the answer; the queue has nothing more to give.
                    self.out.write(await self._goodbye() + "\n")
                    break
                continue
            event = COMMANDS.get(command) if command else None
            await self.turn(event if event is not None else FreeText(text, self.asked))
        self.out.flush()


def _edited_line() -> str:
    """One line from the terminal through readline; an empty string at the end of input."""
    try:
        return input() + "\n"
    except EOFError:
        return ""


def read_lines(source: TextIO) -> asyncio.Queue[str | None]:
    """Feed input lines into a queue from a daemon thread, so the event loop never blocks
    and a pending read never keeps the process alive after /quit. ``None`` marks the end."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    read: Callable[[], str] = source.readline
    if source is sys.stdin and source.isatty():
        import readline  # noqa: F401  (importing it gives input() line editing and history)

        read = _edited_line

    def pump() -> None:
        for line in iter(read, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="careerbot-stdin", daemon=True).start()
    return queue
