"""``/mydata``: everything stored about a person on this platform, as one message.

Rules:
- What is shown is read by ``storage.mydata.person_data`` for (platform, user), the same
  key ``/forget`` erases by, so the message lists exactly what "erase" would erase, and
  nothing about anyone else.
- The language the person chose (/language) is listed too: /forget erases it as well.
- Labels come from the loaded dialogs, in the language spoken (a question's title, a
  choice's label); something
  stored for content that is no longer loaded is shown by its ids, never hidden.
- Words come from ``dialogs.messages``; the markup style is the adapter's. The adapters
  add their way to erase it: the /forget buttons (Telegram, Discord), or a line naming
  ``/forget`` (terminal). It is shown only to the person: Telegram sends it in their
  private chat, Discord as an ephemeral reply in servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.conversations import Conversations
from bot.language import own_name
from bot.render import Style
from dialogs.content import Dialog
from dialogs.i18n import current, messages
from storage.mydata import PersonData, StoredAnswer


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime(messages.MYDATA_TIME)


def _labels(
    dialogs: Mapping[str, Dialog], dialog: str, distinction: str, choice: str | None
) -> tuple[str, str]:
    """(question title, answer label), falling back to the stored ids."""
    content = dialogs.get(dialog)
    found = next((d for d in content.distinctions if d.id == distinction), None) if content else None
    if choice is None:
        return (found.title if found else distinction), messages.SKIPPED_ANSWER
    picked = found.choice(choice) if found else None
    return (found.title if found else distinction), (picked.label if picked else choice)


def _answer_line(dialogs: Mapping[str, Dialog], dialog: str, answer: StoredAnswer) -> str:
    title, label = _labels(dialogs, dialog, answer.distinction, answer.choice)
    return messages.MYDATA_ANSWER.format(title=title, answer=label, when=_when(answer.answered_at))


def mydata_text(
    data: PersonData,
    dialogs: Mapping[str, Dialog],
    platform: str,
    here: str | None,
    style: Style,
    language: str | None = None,
) -> str:
    """The message; ``here`` is the chat it is shown in (that chat reads "this chat");
    ``language`` the one the person chose with /language, if they did."""
    e = style.escape
    name = messages.MYDATA_PLATFORMS.get(platform, platform)
    if data.empty and language is None:
        return e(messages.MYDATA_NOTHING.format(platform=name))

    def place(chat: str) -> str:
        return messages.MYDATA_HERE if chat == here else messages.MYDATA_CHAT.format(chat=chat)

    lines = [style.bold(e(messages.MYDATA_HEADING.format(platform=name)))]
    if language is not None:
        lines += ["", f"• {e(messages.MYDATA_LANGUAGE.format(language=own_name(language)))}"]
    for s in data.sessions:
        content = dialogs.get(s.dialog)
        heading = messages.MYDATA_SESSION.format(
            title=content.title if content else s.dialog,
            place=place(s.chat),
            phase=messages.MYDATA_PHASES.get(s.phase, s.phase),
            when=_when(s.updated_at),
        )
        lines += ["", f"• {e(heading)}"]
        lines += [f"   ◦ {e(_answer_line(dialogs, s.dialog, a))}" for a in s.answers]
        if not s.answers:
            lines.append(f"   ◦ {e(messages.MYDATA_NO_ANSWERS)}")
    if data.votes:
        lines += ["", style.bold(e(messages.MYDATA_VOTES))]
        for v in data.votes:
            title, label = _labels(dialogs, v.dialog, v.distinction, v.choice)
            line = messages.MYDATA_VOTE.format(
                number=v.workshop, place=place(v.chat), title=title, answer=label, when=_when(v.voted_at)
            )
            lines.append(f"• {e(line)}")
    if data.led:
        lines.append("")
        for w in data.led:
            line = messages.MYDATA_LED.format(number=w.workshop, place=place(w.chat), when=_when(w.opened_at))
            lines.append(f"• {e(line)}")
    lines += ["", e(messages.MYDATA_IDS.get(platform, messages.MYDATA_IDS["telegram"]))]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Shown:
    text: str
    erasable: bool  # something is stored: offer to erase it


async def mydata_for(
    conversations: Conversations, platform: str, user: str, here: str | None, style: Style
) -> Shown:
    """Read what is stored about the person and lay it out for ``style``."""
    data = await conversations.store.person_data(platform, user)
    language = await conversations.store.language(platform, user)
    # Titles and labels in the language this is said in.
    spoken = {name: d.in_language(current().language) for name, d in conversations.dialogs.items()}
    text = mydata_text(data, spoken, platform, here, style, language)
    return Shown(text, not data.empty or language is not None)
