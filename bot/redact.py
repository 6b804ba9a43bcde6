"""Keep secrets out of log records.

Rules:
- A ``Redactor`` is a ``logging.Filter`` that rewrites a record's text, replacing every
  known secret (a bot token) and every match of a secret-bearing pattern (a URL path that
  carries an interaction token) with ``<token>``. It never drops a record.
- Filters run only for records logged on the logger they are attached to, so each adapter
  names the loggers that see URLs (``redact_loggers``); one shared redactor serves them all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "<token>"


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.patterns: list[re.Pattern[str]] = []

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in self.patterns:
            # A pattern's first group is what stays; the rest of the match is the secret.
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


REDACTOR = Redactor()


def redact_loggers(
    names: Iterable[str], secrets: Iterable[str] = (), patterns: Iterable[re.Pattern[str]] = ()
) -> None:
    """Attach the shared redactor to ``names`` and teach it ``secrets`` and ``patterns``."""
    REDACTOR.secrets.update(secrets)
    REDACTOR.patterns.extend(p for p in patterns if p not in REDACTOR.patterns)
    for name in names:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)
