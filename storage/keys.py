"""Keys that identify what is stored.

Rules:
- A person's conversation is keyed by (platform, chat, user): one person may talk in a DM
  and in two groups without the sessions mixing. The dialog id completes the row key.
- Platform ids are kept as text, so Telegram's, Discord's and a terminal user's ids all fit;
  a forum topic is part of ``chat`` ("<chat>/<topic>").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionKey:
    platform: str
    chat: str
    user: str


@dataclass(frozen=True, slots=True)
class WorkshopKey:
    """A workshop is keyed by (platform, chat): one shared state per group or channel."""

    platform: str
    chat: str

    def question_post(self, number: int, distinction: str) -> str:
        """The receipt name of workshop ``number``'s public message asking ``distinction``
        (the outbox notes the platform's reference to it under this name once it is sent)."""
        return f"workshop {self.chat} {number} {distinction}"
