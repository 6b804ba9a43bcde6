"""The shared log redactor: secrets and secret-bearing patterns never reach a log line."""

from __future__ import annotations

import logging
import re

import pytest

from bot.redact import MASK, redact_loggers


def test_secrets_and_patterns_are_masked_in_the_named_loggers(caplog: pytest.LogCaptureFixture) -> None:
    redact_loggers(
        ["careerbot.test.urls"],
        secrets=["123:SECRET"],
        patterns=[re.compile(r"(/interactions/\d+/)[A-Za-z0-9._-]+")],
    )
    caplog.set_level(logging.DEBUG)
    urls = logging.getLogger("careerbot.test.urls")
    urls.debug("POST %s", "https://api.example/bot123:SECRET/sendMessage")
    urls.debug("POST /interactions/42/abc.def-1/callback with %s", {"x": 1})
    logging.getLogger("careerbot.test.other").debug("untouched 123:SECRET")
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == f"POST https://api.example/bot{MASK}/sendMessage"
    assert lines[1] == f"POST /interactions/42/{MASK}/callback with {{'x': 1}}"
    # Only the loggers an adapter names are filtered (those that print URLs).
    assert lines[2] == "untouched 123:SECRET"
