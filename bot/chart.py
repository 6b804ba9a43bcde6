"""The profile as a picture: one row per distinction on a job <-> career scale, as a PNG.

Rules:
- The input is small and typed (``Chart`` of ``ChartRow``: label, lean, answer) and knows
  nothing of sessions or platforms, so the same renderer draws a person's profile now and a
  workshop group's chart later (a row's optional ``shares`` is drawn as a stacked bar).
- Every word drawn comes from the input or from ``dialogs.messages``; none is written here.
- A row with no lean and no shares is a skipped question: it gets no dot at all (a dot in
  the middle would read as "in between"), a dashed track and the word "skipped" on it.
- Text never leaves the picture: long titles and labels are wrapped, then shortened with
  "…"; an answer is one line, shortened the same way. The height follows the lines used.
- 1080 px wide and no text under 28 px, so it stays readable when a phone shows it full width.
- Drawn with Pillow, imported only inside ``draw_chart``: importing this module (and so
  starting ``careerbot chat``) does not load it. Pillow over matplotlib: matplotlib's import
  alone takes longer than the chat's whole 0.5 s start-up budget and it is many times the
  size; a chart of dots, lines and text needs nothing it has.
- The font is DejaVu Sans, shipped in ``bot/fonts/`` (its licence beside it). Pillow's own
  ``load_default`` font would need no file, but it has no accented letters: "ñ" and "¿"
  come out as empty boxes.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dialogs.content import Lean
from dialogs.i18n import messages
from dialogs.i18n import percent as percent_text
from dialogs.replies import ProfileLine

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
ELLIPSIS = "…"
LEANS = (Lean.JOB, Lean.MIXED, Lean.CAREER)  # left to right on every row's scale

# Layout, in pixels. The height of a chart is
#   TOP + title lines * TITLE_LINE + TITLE_GAP + SCALE_BAND
#   + for each row: ROW_TOP + label lines * LABEL_LINE + TRACK_BAND + ANSWER_LINE + ROW_GAP
#   + BOTTOM
WIDTH = 1080
MARGIN = 60
TEXT_WIDTH = WIDTH - 2 * MARGIN
TOP = 56
TITLE_SIZE, TITLE_LINE, TITLE_MAX_LINES = 52, 66, 2
TITLE_GAP = 20
SCALE_SIZE, SCALE_BAND = 32, 56
ROW_TOP = 28
LABEL_SIZE, LABEL_LINE, LABEL_MAX_LINES = 36, 46, 2
TRACK_BAND = 64
ANSWER_SIZE, ANSWER_LINE = 30, 40
SHARE_SIZE = 28
ROW_GAP = 12
BOTTOM = 40
DOT = 44  # diameter of an answer's dot
TRACK_WIDTH, TICK = 6, 16
BAR = 40  # height of a group row's stacked bar
SUPERSAMPLE = 4  # dots are drawn this much larger, then shrunk, for smooth edges
# Chart backgrounds kept drawn (``_base``), one per dialog and language in use: 5.7 MB each.
BASES_KEPT = 4
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Colours: Okabe-Ito hues, told apart with every common colour-vision deficiency.
BACKGROUND = (255, 255, 255)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
TRACK = (206, 212, 218)
DIVIDER = (233, 236, 239)
COLOURS = {Lean.JOB: (230, 159, 0), Lean.MIXED: (204, 121, 167), Lean.CAREER: (0, 114, 178)}


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One distinction. ``lean`` None with no ``shares``: skipped (then ``answer`` is None).

    ``shares`` (a group's row): how much of the group leaned job, in between and career,
    in any unit (counts or fractions); drawn as a stacked bar under the dot, if any."""

    label: str
    lean: Lean | None
    answer: str | None
    shares: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.shares is not None and (
            len(self.shares) != 3 or min(self.shares) < 0 or sum(self.shares) <= 0
        ):
            raise ValueError(f"shares must be three non-negative numbers, not all 0: {self.shares!r}")
        if self.skipped and self.answer is not None:
            raise ValueError(f"row {self.label!r} has an answer but no lean")

    @property
    def skipped(self) -> bool:
        return self.lean is None and self.shares is None


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    rows: tuple[ChartRow, ...]
    # The words under job, in between, career, and on a skipped row: in the language spoken
    # when the chart is made.
    scale: tuple[str, str, str] = field(default_factory=lambda: _scale_words())
    skipped: str = field(default_factory=lambda: messages.CHART_SKIPPED)


def _scale_words() -> tuple[str, str, str]:
    job, between, career = messages.CHART_SCALE
    return job, between, career


def chart_of(title: str, lines: Iterable[ProfileLine]) -> Chart:
    """A person's chart from their profile's lines (a skipped line has no answer and no lean)."""
    return Chart(title, tuple(ChartRow(line.title, line.leans, line.answer) for line in lines))


def height_of(title_lines: int, label_lines: Sequence[int]) -> int:
    """The chart's height for that many title lines and, per row, label lines."""
    rows = sum(ROW_TOP + n * LABEL_LINE + TRACK_BAND + ANSWER_LINE + ROW_GAP for n in label_lines)
    return TOP + title_lines * TITLE_LINE + TITLE_GAP + SCALE_BAND + rows + BOTTOM


def x_of(lean: Lean) -> int:
    """Where a lean's dot sits: the dots' edges line up with the text margins."""
    left, right = MARGIN + DOT // 2, WIDTH - MARGIN - DOT // 2
    return left + (right - left) * LEANS.index(lean) // 2


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes (RGB, ``WIDTH`` wide)."""
    return encode_png(draw_chart(chart))


def encode_png(image: Image.Image) -> bytes:
    """An RGB ``image`` as a PNG: every row unfiltered, deflated at zlib's fastest level.

    Pillow's own PNG encoder tries every PNG filter on every row to keep the best one, at
    any compression level; for this picture (flat colour, mostly white) that costs more
    than the compression itself and buys nothing: unfiltered rows at level 1 take about
    half the time of Pillow's fastest setting and make a smaller file. Lossless either way
    (a test compares the decoded pixels with Pillow's)."""
    width, height = image.size
    raw = memoryview((image if image.mode == "RGB" else image.convert("RGB")).tobytes())
    stride = width * 3
    deflate = zlib.compressobj(1)
    # Each row is its filter type (0: none) and then its pixels, fed to zlib as they are.
    parts = [deflate.compress(b"\x00" + raw[y * stride : (y + 1) * stride]) for y in range(height)]
    parts.append(deflate.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, no interlace
    pixels = b"".join(parts)
    return b"".join((_PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", pixels), _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def draw_chart(chart: Chart) -> Image.Image:
    """The chart as an image (RGB, ``WIDTH`` wide)."""
    from PIL import ImageDraw

    base, bands = _base(chart.title, tuple(row.label for row in chart.rows), chart.scale)
    image = base.copy()
    draw = ImageDraw.Draw(image)
    for row, y in zip(chart.rows, bands, strict=True):
        _track(image, draw, row, chart.skipped, y + TRACK_BAND // 2)
        if row.answer:
            _answer(draw, row, y + TRACK_BAND)
    return image


@functools.lru_cache(maxsize=BASES_KEPT)
def _base(
    title: str, labels: tuple[str, ...], scale: tuple[str, str, str]
) -> tuple[Image.Image, tuple[int, ...]]:
    """What every chart with this title, these row labels and these scale words shares (the
    text is most of a chart's drawing), drawn once; and where each row's track band begins.
    Never drawn on: ``draw_chart`` copies it. What it adds per person (a row's track, dot
    and answer) stays inside that row's track band and answer line, so drawing it after
    the rows below gives the same pixels as drawing row by row."""
    from PIL import Image, ImageDraw

    title_font, label_font = _font(TITLE_SIZE), _font(LABEL_SIZE)
    title_lines = fit(title, title_font, TEXT_WIDTH, TITLE_MAX_LINES)
    wrapped = [fit(label, label_font, TEXT_WIDTH, LABEL_MAX_LINES) for label in labels]
    image = Image.new(
        "RGB", (WIDTH, height_of(len(title_lines), [len(lines) for lines in wrapped])), BACKGROUND
    )
    draw = ImageDraw.Draw(image)
    y = TOP
    for line in title_lines:
        # A 1 px stroke in the text's own colour: a bold title from the one font file.
        draw.text((MARGIN, y), line, font=title_font, fill=INK, stroke_width=1, stroke_fill=INK)
        y += TITLE_LINE
    y += TITLE_GAP
    _scale(draw, scale, y)
    y += SCALE_BAND
    bands = []
    for lines in wrapped:
        draw.line((MARGIN, y, WIDTH - MARGIN, y), fill=DIVIDER, width=2)
        y += ROW_TOP
        for line in lines:
            draw.text((MARGIN, y), line, font=label_font, fill=INK)
            y += LABEL_LINE
        bands.append(y)
        y += TRACK_BAND + ANSWER_LINE + ROW_GAP
    return image, tuple(bands)


def fit(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """``text`` wrapped at spaces into lines at most ``width`` px wide, at most ``max_lines``;
    a word wider than a line is cut, and text left over ends the last line with "…"."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > width:
            cut = _longest_prefix(word, font, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    if len(lines) <= max_lines:
        return lines
    return [*lines[: max_lines - 1], shorten(lines[max_lines - 1] + ELLIPSIS, font, width)]


def shorten(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """``text`` as it is if it fits in ``width`` px, else cut to fit with "…" at its end."""
    if font.getlength(text) <= width:
        return text
    kept = text.removesuffix(ELLIPSIS)
    while kept and font.getlength(kept.rstrip() + ELLIPSIS) > width:
        kept = kept[:-1]
    return kept.rstrip() + ELLIPSIS


def _longest_prefix(word: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    cut = len(word) - 1
    while cut > 1 and font.getlength(word[:cut]) > width:
        cut -= 1
    return cut


def _scale(draw: ImageDraw.ImageDraw, words: tuple[str, str, str], y: int) -> None:
    """The scale's three words above the rows, each over its dots' column."""
    font = _font(SCALE_SIZE)
    places = ((MARGIN, "la"), (WIDTH // 2, "ma"), (WIDTH - MARGIN, "ra"))
    for lean, word, (x, anchor) in zip(LEANS, words, places, strict=True):
        # a third of the width each, less a gap, so long translations never collide
        text = shorten(word, font, TEXT_WIDTH // 3 - 16)
        draw.text((x, y), text, font=font, fill=COLOURS[lean], anchor=anchor)


def _track(image: Image.Image, draw: ImageDraw.ImageDraw, row: ChartRow, skipped: str, y: int) -> None:
    left, right = x_of(Lean.JOB), x_of(Lean.CAREER)
    if row.skipped:
        for x in range(left, right, 28):  # dashed: nothing was chosen on this line
            draw.line((x, y, min(x + 14, right), y), fill=TRACK, width=TRACK_WIDTH)
        font = _font(ANSWER_SIZE)
        box = draw.textbbox((WIDTH // 2, y), skipped, font=font, anchor="mm")
        draw.rectangle((box[0] - 16, box[1] - 8, box[2] + 16, box[3] + 8), fill=BACKGROUND)
        draw.text((WIDTH // 2, y), skipped, font=font, fill=MUTED, anchor="mm")
        return
    if row.shares is not None:
        _bar(draw, row.shares, y)
    else:
        draw.line((left, y, right, y), fill=TRACK, width=TRACK_WIDTH)
        for lean in LEANS:
            x = x_of(lean)
            draw.ellipse((x - TICK // 2, y - TICK // 2, x + TICK // 2, y + TICK // 2), fill=TRACK)
    if row.lean is not None:
        dot = _dot(COLOURS[row.lean])
        image.paste(dot, (x_of(row.lean) - dot.width // 2, y - dot.height // 2), dot)


def _bar(draw: ImageDraw.ImageDraw, shares: tuple[float, float, float], y: int) -> None:
    """A group's row: the width between the margins split by each lean's share."""
    font = _font(SHARE_SIZE)
    x = MARGIN
    for lean, share, percent in zip(LEANS, shares, percents(shares), strict=True):
        width = round(TEXT_WIDTH * share / sum(shares))
        if width <= 0:
            continue
        end = min(x + width, WIDTH - MARGIN)
        draw.rectangle((x, y - BAR // 2, end - 1, y + BAR // 2), fill=COLOURS[lean])
        text = messages.CHART_SHARE.format(percent=percent_text(percent))
        if font.getlength(text) + 16 <= end - x:  # a number only where it fits inside its part
            draw.text(((x + end) // 2, y), text, font=font, fill=_ink_on(COLOURS[lean]), anchor="mm")
        x = end


def percents(shares: Sequence[float]) -> list[int]:
    """Whole percentages that add up to 100 (largest remainder), so the bar's numbers agree."""
    total = sum(shares)
    exact = [100 * s / total for s in shares]
    whole = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: whole[i] - exact[i])
    for i in by_remainder[: 100 - sum(whole)]:
        whole[i] += 1
    return whole


def _answer(draw: ImageDraw.ImageDraw, row: ChartRow, y: int) -> None:
    """The answer in words under the track, lined up with its dot (left, centre or right)."""
    assert row.answer is not None
    font = _font(ANSWER_SIZE)
    text = shorten(row.answer, font, TEXT_WIDTH)
    place = {Lean.JOB: (MARGIN, "la"), Lean.MIXED: (WIDTH // 2, "ma"), Lean.CAREER: (WIDTH - MARGIN, "ra")}
    x, anchor = place[row.lean] if row.lean is not None else (MARGIN, "la")
    draw.text((x, y), text, font=font, fill=MUTED, anchor=anchor)


def _ink_on(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Dark text on a light colour, white on a dark one."""
    red, green, blue = colour
    return INK if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else BACKGROUND


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), size)


@functools.cache
def _dot(colour: tuple[int, int, int]) -> Image.Image:
    """An answer's dot with a white ring (so it stands out on a bar), smooth-edged."""
    from PIL import Image, ImageDraw

    ring, big = 4 * SUPERSAMPLE, (DOT + 8) * SUPERSAMPLE
    stamp = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(stamp)
    draw.ellipse((0, 0, big - 1, big - 1), fill=(*BACKGROUND, 255))
    draw.ellipse((ring, ring, big - 1 - ring, big - 1 - ring), fill=(*colour, 255))
    return stamp.resize((DOT + 8, DOT + 8), Image.Resampling.LANCZOS)
