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
- Drawn with Pillow, imported only where something is drawn: importing this module (and so
  starting ``careerbot chat``) does not load it. Pillow over matplotlib: matplotlib's import
  alone takes longer than the chat's whole 0.5 s start-up budget and it is many times the
  size; a chart of dots, lines and text needs nothing it has.
- The font is DejaVu Sans, shipped in ``bot/fonts/`` (its licence beside it). Pillow's own
  ``load_default`` font would need no file, but it has no accented letters: "ñ" and "¿"
  come out as empty boxes.
- A PNG is joined from bands kept compressed (``render_png``): the text every chart of a
  dialog shares, and each row's strip, which depends on that row's answer alone. Only what
  no chart had before is drawn. Nothing drawn for a row may leave its strip (its track
  band and answer line): a test compares every pixel with a drawing in one pass.
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
# A row's strip, what ``draw_chart`` adds per person on a row: its track band and answer line.
STRIP = TRACK_BAND + ANSWER_LINE
# Row strips kept compressed (``_row_band``), one per answer given (and per group bar):
# 5-15 KB each, so at most a few MB whatever people type.
ROW_BANDS_KEPT = 512
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
    """The chart as PNG bytes (RGB, ``WIDTH`` wide): the same pixels as ``draw_chart``.

    A chart is a stack of horizontal bands: what every chart of this title, these labels
    and scale words shares (``_shared_bands``), and for each row the strip that holds its
    track, dot and answer (``_row_band``), which depends on that row's answer alone. Each
    band is kept as compressed PNG rows, so a person's chart is mostly joined from bands
    drawn and compressed for someone before: a fraction of a millisecond, where drawing
    and compressing the whole picture took 25-50 ms."""
    shared = _shared_bands(chart.title, tuple(row.label for row in chart.rows), chart.scale)
    bands = [shared[0]]
    for row, below in zip(chart.rows, shared[1:], strict=True):
        bands.append(_row_band(row.lean, row.answer, row.shares, chart.skipped))
        bands.append(below)
    return _png(sum(band.height for band in bands), bands)


@dataclass(frozen=True, slots=True)
class _Band:
    """Some whole rows of a PNG's pixels: deflated on their own, ending on a byte boundary
    and not marked last, so that bands put one after the other are one valid stream."""

    height: int
    deflated: bytes
    raw_length: int  # bytes before compression: each row's filter byte and its pixels
    adler: int  # Adler-32 of those bytes


def _band_of(image: Image.Image, top: int, bottom: int) -> _Band:
    """Rows ``top`` to ``bottom`` (exclusive) of an RGB ``image``, unfiltered and deflated.

    Rows are unfiltered (filter 0) because a band cannot see the row above it, which PNG's
    Up, Average and Paeth filters refer to. A band is compressed once and sent many times,
    so zlib runs at its default level 6 rather than its fastest: a chart of 84 KB instead
    of 113 KB; level 9 would save 5% more at 5 times the cost of each new band."""
    stride = image.width * 3
    pixels = image.crop((0, top, image.width, bottom)).tobytes() if bottom > top else b""
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(bottom - top))
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate: the zlib wrapper is ``_png``'s
    deflated = deflate.compress(raw) + deflate.flush(zlib.Z_SYNC_FLUSH)
    return _Band(bottom - top, deflated, len(raw), zlib.adler32(raw))


def _png(height: int, bands: Sequence[_Band]) -> bytes:
    """A PNG of ``bands`` stacked: one zlib stream of the bands' deflated rows."""
    adler = 1  # the Adler-32 of nothing
    for band in bands:
        adler = adler32_combine(adler, band.adler, band.raw_length)
    stream = b"".join(
        (b"\x78\x9c", *(band.deflated for band in bands), b"\x03\x00", struct.pack(">I", adler))
    )  # zlib header, the bands, an empty last block, the checksum
    header = struct.pack(">IIBBBBB", WIDTH, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, no interlace
    return b"".join((_PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", stream), _chunk(b"IEND", b"")))


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two byte strings one after the other, from each one's checksum and
    the second's length (zlib's ``adler32_combine``, which Python's zlib does not offer)."""
    base = 65521
    rest = second_length % base
    low = ((first & 0xFFFF) + (second & 0xFFFF) + base - 1) % base
    high = (rest * (first & 0xFFFF) + (first >> 16) + (second >> 16) + base - rest) % base
    return low | high << 16


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=BASES_KEPT)
def _shared_bands(title: str, labels: tuple[str, ...], scale: tuple[str, str, str]) -> tuple[_Band, ...]:
    """The bands of ``_base``'s picture around the rows' strips: one above the first strip,
    then one below each row's strip (the last one reaching the bottom of the chart)."""
    base, strips = _base(title, labels, scale)
    edges = [0]
    for top in strips:
        edges += [top, top + STRIP]
    edges.append(base.height)
    return tuple(_band_of(base, edges[i], edges[i + 1]) for i in range(0, len(edges), 2))


@functools.lru_cache(maxsize=ROW_BANDS_KEPT)
def _row_band(
    lean: Lean | None, answer: str | None, shares: tuple[float, float, float] | None, skipped: str
) -> _Band:
    """A row's strip: its track, its dot and its answer, drawn on the background as
    ``draw_chart`` draws them (a row's label is not in it: it is in the shared bands)."""
    from PIL import Image, ImageDraw

    row = ChartRow("", lean, answer, shares)
    strip = Image.new("RGB", (WIDTH, STRIP), BACKGROUND)
    draw = ImageDraw.Draw(strip)
    _track(strip, draw, row, skipped, TRACK_BAND // 2)
    if answer:
        _answer(draw, row, TRACK_BAND)
    return _band_of(strip, 0, STRIP)


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
