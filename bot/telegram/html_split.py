"""Split Telegram HTML into messages that each fit, without breaking a tag or an entity.

Rules:
- Telegram's limit (4096) counts the text a person sees, after the HTML is parsed, in
  UTF-16 code units; tags cost nothing and ``&amp;`` costs one. So the split measures
  that, not the length of the HTML.
- A cut never falls inside a tag (``<a href=…>``) or an entity (``&amp;``): it is made
  at the last line break that fits, else the last space, else between two characters.
  The line break or space cut at is dropped, as the message boundary replaces it.
- A tag open at a cut is closed at the end of its part and opened again, with the same
  attributes, at the start of the next, so every part is well-formed HTML on its own.
- The input is HTML we made (``bot.render.TELEGRAM_HTML``): well-formed, escaped.
"""

from __future__ import annotations

import re

# One token: a tag, an entity, or one character of text.
_TOKEN = re.compile(r"<[^>]*>|&#?[a-zA-Z0-9]+;|.", re.DOTALL)


def _cost(token: str) -> int:
    if token.startswith("<") and len(token) > 1:
        return 0
    if token.startswith("&") and len(token) > 1:
        return 1
    return len(token.encode("utf-16-le")) // 2


def _name(tag: str) -> str:
    return tag.strip("</>").split(maxsplit=1)[0].lower()


def _closing(open_tags: tuple[str, ...]) -> str:
    return "".join(f"</{_name(tag)}>" for tag in reversed(open_tags))


def split_html(text: str, limit: int) -> list[str]:
    """``text`` as parts that each show at most ``limit`` characters (at least one part);
    ``limit`` is at least 2, the most one character can cost."""
    # Nearly every message fits: the HTML's own UTF-16 length bounds what it shows (tags
    # and entities show less than they are long), so that is all a short text costs.
    if len(text) * 2 <= limit or len(text.encode("utf-16-le")) // 2 <= limit:
        return [text]
    tokens: list[str] = _TOKEN.findall(text)
    # The tags open before each token, and after the last.
    stacks: list[tuple[str, ...]] = []
    stack: list[str] = []
    for token in tokens:
        stacks.append(tuple(stack))
        if token.startswith("</"):
            stack.pop()
        elif _cost(token) == 0 and token.startswith("<"):
            stack.append(token)
    stacks.append(tuple(stack))
    parts: list[str] = []
    start = 0
    while True:
        shown, at, newline, space = 0, start, -1, -1
        while at < len(tokens) and shown + _cost(tokens[at]) <= limit:
            if tokens[at] == "\n":
                newline = at
            elif tokens[at] == " ":
                space = at
            shown += _cost(tokens[at])
            at += 1
        if at == len(tokens):
            parts.append("".join(stacks[start]) + "".join(tokens[start:]))
            return parts
        # Cut at the last line break, else the last space (dropping it), else right here.
        cut = newline if newline > start else space if space > start else at
        parts.append("".join(stacks[start]) + "".join(tokens[start:cut]) + _closing(stacks[cut]))
        start = cut + 1 if cut in (newline, space) else cut
